#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test: unit, integration
# and fault (real ganesha.nfsd + rpcbind on 127.0.0.1), the map stress test
# under ThreadSanitizer, the unit tests of common/ and client_plugin/ under
# AddressSanitizer + UndefinedBehaviorSanitizer, and the fuzz targets for a
# bounded time.
# Exits non-zero when anything fails. Safe to run twice.
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
build=${LOCALIO_BUILD_DIR:-$here/build}
jobs=${LOCALIO_JOBS:-$(nproc)}
fuzz_seconds=${LOCALIO_FUZZ_SECONDS:-30}

section() { printf '\n=== %s ===\n' "$*"; }

section setup
bash "$here/ci/setup.sh"

# One rpcbind for the whole run; the test harness starts its own only when
# none answers. Stopped by pid on exit, and only if this script started it.
rpcbind_pid=""
stop_rpcbind() {
  if [ -n "$rpcbind_pid" ]; then
    kill "$rpcbind_pid" 2>/dev/null || true
    wait "$rpcbind_pid" 2>/dev/null || true
  fi
}
trap stop_rpcbind EXIT
if ! rpcinfo -p 127.0.0.1 >/dev/null 2>&1; then
  /usr/sbin/rpcbind -f -w &
  rpcbind_pid=$!
  for _ in $(seq 50); do
    rpcinfo -p 127.0.0.1 >/dev/null 2>&1 && break
    sleep 0.1
  done
  rpcinfo -p 127.0.0.1 >/dev/null || { echo "test: rpcbind did not start" >&2; exit 1; }
fi

section build
cmake -S "$here" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" -j"$jobs"

failed=0      # any stage failed
passed_n=0    # checks passed, over all stages
failed_n=0    # checks failed, over all stages
count() { if [ "$1" = ok ]; then passed_n=$((passed_n + 1)); else failed_n=$((failed_n + 1)); failed=1; fi; }

section "ctest (unit, integration, fault)"
ctest_log=$build/ctest.log
(cd "$build" && ctest --output-on-failure --timeout 600 -j"$jobs") 2>&1 | tee "$ctest_log" || true
ctest_line=$(grep -E 'tests passed, [0-9]+ tests? failed out of [0-9]+' "$ctest_log" | tail -n 1 || true)
if [ -n "$ctest_line" ]; then
  total=$(sed -E 's/.*out of ([0-9]+).*/\1/' <<<"$ctest_line")
  bad=$(sed -E 's/.*tests passed, ([0-9]+) tests? failed.*/\1/' <<<"$ctest_line")
  passed_n=$((passed_n + total - bad)); failed_n=$((failed_n + bad))
  [ "$bad" -eq 0 ] || failed=1
else
  echo "test: ctest ran no test or did not finish"; count fail
fi

section "ThreadSanitizer: map stress"
tsan_build=$build-tsan
cmake -S "$here" -B "$tsan_build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DLOCALIO_BUILD_FSAL=OFF \
  -DCMAKE_C_FLAGS=-fsanitize=thread -DCMAKE_CXX_FLAGS=-fsanitize=thread \
  -DCMAKE_EXE_LINKER_FLAGS=-fsanitize=thread >/dev/null
if cmake --build "$tsan_build" -j"$jobs" --target map_stress_test; then
  # TSan needs a non-randomised address space on recent kernels.
  if setarch "$(uname -m)" -R "$tsan_build/tests/common/map_stress_test"; then count ok; else count fail; fi
else
  count fail
fi

section "AddressSanitizer + UndefinedBehaviorSanitizer: unit tests of common/ and client_plugin/"
# The map reader, the RPC codec and the client core parse what other
# processes wrote: run their unit tests with ASan+UBSan, every UB report fatal.
asan_build=$build-asan
asan_flags="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined"
# LOCALIO_WERROR=OFF: GCC 12's flow warnings (-Wstringop-overflow) misfire on
# sanitizer-instrumented code; the normal build keeps them fatal.
cmake -S "$here" -B "$asan_build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DLOCALIO_BUILD_FSAL=OFF \
  -DLOCALIO_WERROR=OFF -DCMAKE_C_FLAGS="$asan_flags" -DCMAKE_CXX_FLAGS="$asan_flags" \
  -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=address,undefined" \
  -DCMAKE_SHARED_LINKER_FLAGS="-fsanitize=address,undefined" >/dev/null
asan_targets="wire_handle_test map_layout_test map_writer_test map_reader_test hello_area_test
  map_stress_test rpc_unit_test path_map_test credentials_test client_options_test
  local_file_test handshake_test preload_env_test preload_abi_test"
# shellcheck disable=SC2086  # one word per target
if cmake --build "$asan_build" -j"$jobs" --target $asan_targets; then
  for dir in tests/common tests/rpc tests/client_plugin; do
    if ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1 \
        ctest --test-dir "$asan_build/$dir" -L unit --output-on-failure --timeout 600 -j"$jobs"; then
      count ok
    else
      echo "asan: unit tests in $dir FAILED"; count fail
    fi
  done
else
  count fail
fi

section "fuzz (${fuzz_seconds}s per target)"
fuzz_build=$build-fuzz
CC=clang CXX=clang++ cmake -S "$here" -B "$fuzz_build" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DLOCALIO_BUILD_FSAL=OFF -DLOCALIO_FUZZ=ON >/dev/null
fuzz_targets=$(cd "$here/tests/fuzz" && ls ./*_fuzz.cc 2>/dev/null | sed 's|^\./||; s|\.cc$||')
for t in $fuzz_targets; do
  if ! cmake --build "$fuzz_build" -j"$jobs" --target "$t"; then count fail; continue; fi
  corpus=$fuzz_build/corpus/$t
  mkdir -p "$corpus"
  if "$fuzz_build/tests/fuzz/$t" -max_total_time="$fuzz_seconds" -print_final_stats=0 \
       "$corpus" >"$fuzz_build/$t.log" 2>&1; then
    echo "fuzz $t: clean for ${fuzz_seconds}s"; count ok
  else
    echo "fuzz $t: FAILED"; tail -n 40 "$fuzz_build/$t.log"; count fail
  fi
done

section summary
echo "ctest: ${ctest_line:-no summary}"
echo "$passed_n passed, $failed_n failed"
exit "$failed"
