#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-3.0-or-later
# Installs what is missing, builds, and runs every test: unit, integration
# and fault (real ganesha.nfsd + rpcbind on 127.0.0.1), the demo's copies,
# the map and hello stress tests, the server's unit tests, the client core's
# threads and the C API under ThreadSanitizer, the unit tests of
# common/ and client_plugin/ under AddressSanitizer +
# UndefinedBehaviorSanitizer, and the fuzz targets for a bounded time. On
# Debian 12 it then runs the same suite (without the sanitizer and fuzz
# stages) inside a Debian 13 root and a Debian 14 (forky) root, side by side
# (ci/test-in-root.sh), each release's FSAL module and shim against each
# other release's server and nfs-cp (ctest label cross, six directions),
# builds the .deb packages of the three releases and installs each in a
# fresh root of its release (ci/test-packages.sh), and runs the images, the
# pod and the compose file of the three releases under podman (ctest label
# deployment, ci/test-deployment.sh). Ends with one summary for all.
# Exits non-zero when anything fails. Safe to run twice.
#   LOCALIO_BUILD_DIR         build directory (default: build/)
#   LOCALIO_SANITIZERS=0      skip the TSan, ASan+UBSan and fuzz stages
#   LOCALIO_OTHER_RELEASES=0  skip the Debian 13 and 14 roots (and what needs them)
#   LOCALIO_FUZZ_SECONDS      per fuzz target (default 30)
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
build=${LOCALIO_BUILD_DIR:-$here/build}
jobs=${LOCALIO_JOBS:-$(nproc)}
fuzz_seconds=${LOCALIO_FUZZ_SECONDS:-30}
sanitizers=${LOCALIO_SANITIZERS:-1}
release="Debian $(sh "$here/ci/debian-release.sh")"
started=$(date +%s)

section() { printf '\n=== %s (%s, +%d s) ===\n' "$*" "$(date +%T)" "$(( $(date +%s) - started ))"; }

section "setup ($release)"
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

section "build ($release)"
cmake -S "$here" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" -j"$jobs"

failed=0      # any stage failed
passed_n=0    # checks passed, over all stages of this release
failed_n=0    # checks failed, over all stages of this release
count() { if [ "$1" = ok ]; then passed_n=$((passed_n + 1)); else failed_n=$((failed_n + 1)); failed=1; fi; }

# ctest_stage NAME LOG CTEST-ARGS...: runs ctest, adds its counts.
ctest_stage() {
  local name=$1 log=$2
  shift 2
  (cd "$build" && ctest --output-on-failure --timeout 600 -j"$jobs" "$@") 2>&1 | tee "$log" || true
  local line total bad
  line=$(grep -E 'tests passed, [0-9]+ tests? failed out of [0-9]+' "$log" | tail -n 1 || true)
  if [ -z "$line" ]; then
    echo "test: $name: ctest ran no test or did not finish"; count fail
    return
  fi
  total=$(sed -E 's/.*out of ([0-9]+).*/\1/' <<<"$line")
  bad=$(sed -E 's/.*tests passed, ([0-9]+) tests? failed.*/\1/' <<<"$line")
  passed_n=$((passed_n + total - bad)); failed_n=$((failed_n + bad))
  [ "$bad" -eq 0 ] || failed=1
  echo "$name: $line"
}

section "ctest: unit, integration, fault ($release)"
ctest_log=$build/ctest.log
ctest_stage ctest "$ctest_log" -LE 'cross|deployment'
ctest_line=$(grep -E 'tests passed, [0-9]+ tests? failed out of' "$ctest_log" | tail -n 1 || true)

section "demo ($release)"
if LOCALIO_BUILD_DIR=$build bash "$here/ci/demo.sh" >"$build/demo.log" 2>&1; then
  sed -n '/^LOCALIO demo/,/all copies identical/p' "$build/demo.log"
  count ok
else
  tail -n 40 "$build/demo.log"; echo "demo: FAILED"; count fail
fi

# Debian 13 and 14, from a Debian 12 machine: the same suite in a root of
# each, started here so that they overlap this release's sanitizer and fuzz
# stages (they share no root, build directory or network namespace with
# them or each other; 2 cores run the three); their results are read below.
other_releases=0
[ "${LOCALIO_OTHER_RELEASES:-1}" != 0 ] && [ "$release" = "Debian 12" ] && other_releases=1
declare -A root_pid
if [ "$other_releases" = 1 ]; then
  section "Debian 13 and 14 roots: ci/test.sh in .cache/rootfs/trixie and .cache/rootfs/forky, in the background"
  for n in 13 14; do
    bash "$here/ci/test-in-root.sh" "$n" >"$build/debian$n.log" 2>&1 &
    root_pid[$n]=$!
  done
fi

if [ "$sanitizers" != 0 ]; then
  section "ThreadSanitizer: map and hello stress, the server's unit tests, the client core, the C API against the real server"
  # Every thread of these is ours: a data race in them is ours too. The
  # server's unit tests stop it while publishers run; the C API's integration
  # tests run against ganesha.nfsd with the FSAL of the normal build (the
  # stock server cannot load an instrumented module). A TSan report fails
  # the program (exit 66).
  tsan_build=$build-tsan
  cmake -S "$here" -B "$tsan_build" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_C_FLAGS=-fsanitize=thread -DCMAKE_CXX_FLAGS=-fsanitize=thread \
    -DCMAKE_EXE_LINKER_FLAGS=-fsanitize=thread \
    -DLOCALIO_TEST_FSAL_LIBRARY="$build/fsal_localio/libfsallocalio.so" >/dev/null
  tsan_units="common/map_stress_test common/hello_stress_test
    fsal_localio/fsal_localio_localio_server_test fsal_localio/fsal_localio_vfs_handle_test
    fsal_localio/fsal_localio_config_test fsal_localio/fsal_localio_passthrough_test
    fsal_localio/fsal_localio_publish_test client_plugin/context_registry_test
    client_plugin/completions_test client_plugin/c_api_boundary_test"
  tsan_targets=$(for t in $tsan_units; do echo "${t#*/}"; done)
  # shellcheck disable=SC2086  # one word per target
  if cmake --build "$tsan_build" -j"$jobs" --target $tsan_targets localio_client_integration_test; then
    # TSan needs a non-randomised address space on recent kernels (setarch
    # -R, inherited by what ctest starts).
    for t in $tsan_units; do
      if (cd "$tsan_build" && setarch "$(uname -m)" -R "tests/$t" >"$tsan_build/${t#*/}.log" 2>&1); then
        count ok
      else
        echo "tsan: $t FAILED"; tail -n 60 "$tsan_build/${t#*/}.log"; count fail
      fi
    done
    if setarch "$(uname -m)" -R ctest --test-dir "$tsan_build/tests/client_plugin" \
        --output-on-failure --timeout 600 -R '^integration\.client_plugin$'; then
      count ok
    else
      echo "tsan: the C API's integration tests FAILED"; count fail
    fi
  else
    count fail
  fi

  section "AddressSanitizer + UndefinedBehaviorSanitizer: unit tests of common/ and client_plugin/, the C API against the real server"
  # The map reader, the RPC codec and the client core parse what other
  # processes wrote: run their unit tests with ASan+UBSan, every UB report fatal.
  # Then the C API's integration tests (sync, async, a server restart, a
  # detach with calls in flight), against ganesha.nfsd with the FSAL of the
  # normal build.
  asan_build=$build-asan
  asan_flags="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined"
  # LOCALIO_WERROR=OFF: GCC 12's flow warnings (-Wstringop-overflow) misfire on
  # sanitizer-instrumented code; the normal build keeps them fatal.
  cmake -S "$here" -B "$asan_build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DLOCALIO_BUILD_FSAL=OFF \
    -DLOCALIO_WERROR=OFF -DCMAKE_C_FLAGS="$asan_flags" -DCMAKE_CXX_FLAGS="$asan_flags" \
    -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=address,undefined" \
    -DCMAKE_SHARED_LINKER_FLAGS="-fsanitize=address,undefined" \
    -DLOCALIO_TEST_FSAL_LIBRARY="$build/fsal_localio/libfsallocalio.so" >/dev/null
  asan_targets="wire_handle_test map_layout_test map_writer_test map_reader_test hello_area_test
    trusted_dir_test socket_owner_test map_stress_test hello_stress_test rpc_unit_test path_map_test
    credentials_test client_options_test local_file_test handshake_test preload_env_test
    preload_abi_test completions_test c_api_boundary_test localio_client_integration_test
    safety_restart_test rpc_credential_test safety_identity_test"
  # shellcheck disable=SC2086  # one word per target
  if cmake --build "$asan_build" -j"$jobs" --target $asan_targets; then
    for dir in tests/common tests/rpc tests/client_plugin; do
      if ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1 \
          ctest --test-dir "$asan_build/$dir" -L unit --output-on-failure --timeout 600 -j"$jobs" \
          -E 'preload_imports|PreloadForeignAbi'; then
        count ok
      else
        echo "asan: unit tests in $dir FAILED"; count fail
      fi
    done
    if ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1 \
        LSAN_OPTIONS=suppressions="$here/tests/client_plugin/lsan.supp" \
        ctest --test-dir "$asan_build/tests/client_plugin" --output-on-failure --timeout 600 \
        -R '^integration\.client_(plugin|safety_restart|safety_identity)$'; then
      count ok
    else
      echo "asan: the C API's integration tests FAILED"; count fail
    fi
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
fi

this_release="$release: ${ctest_line:-ctest: no summary}; $passed_n passed, $failed_n failed"
total_passed=$passed_n total_failed=$failed_n

# cross_run LOG COMMAND...: one direction of the cross test, counted in the
# totals; it must run (not skip) and pass.
cross_ok=0
cross_run() {
  local log=$1
  shift
  if "$@" 2>&1 | tee "$log" && grep -q '100% tests passed' "$log" && ! grep -q 'Skipped' "$log"; then
    cross_ok=$((cross_ok + 1)); total_passed=$((total_passed + 1))
  else
    total_failed=$((total_failed + 1)); failed=1
  fi
}

# The Debian 13 and 14 roots' results, then each release's build against
# each other release's server and nfs-cp.
other_summaries=()
cross_release=""
if [ "$other_releases" = 1 ]; then
  for n in 13 14; do
    wait "${root_pid[$n]}" || true
    section "Debian $n root: its log ($build/debian$n.log)"
    cat "$build/debian$n.log"
    summary=$(grep -E "^Debian $n: " "$build/debian$n.log" | tail -n 1 || true)
    if [[ $summary =~ \;\ ([0-9]+)\ passed,\ ([0-9]+)\ failed$ ]]; then
      total_passed=$((total_passed + BASH_REMATCH[1]))
      total_failed=$((total_failed + BASH_REMATCH[2]))
      [ "${BASH_REMATCH[2]}" = 0 ] || failed=1
    else
      summary="Debian $n: did not finish (see $build/debian$n.log)"
      total_failed=$((total_failed + 1)); failed=1
    fi
    other_summaries+=("$summary")
  done

  # Each release's FSAL module and shim in each other release's server and
  # nfs-cp, run where that server is (Debian 12: here; 13, 14: in their
  # roots, which see this tree at /src). A build as a root sees it: Debian
  # 12's is $build under /src, 13's and 14's build-debian<N>.
  case $build in
    "$here"/*) build_in_root=/src/${build#"$here"/} ;;
    *) build_in_root="" ;;
  esac
  for from in 12 13 14; do
    if [ "$from" = 12 ]; then
      where=() test_dir=$build
    else
      where=(bash "$here/ci/in-root.sh" --private-net
             "$here/.cache/rootfs/$(sh "$here/ci/debian-release.sh" codename "$from")" --)
      test_dir=/src/build-debian$from
    fi
    for other in 12 13 14; do
      [ "$from" != "$other" ] || continue
      section "cross: Debian $other's build in Debian $from's server and nfs-cp"
      if [ "$other" = 12 ]; then
        other_build=$build_in_root
      elif [ "$from" = 12 ]; then
        other_build=$here/build-debian$other
      else
        other_build=/src/build-debian$other
      fi
      if [ -z "$other_build" ]; then
        echo "cross: $build is outside the tree, so the roots cannot see it"
        total_failed=$((total_failed + 1)); failed=1; continue
      fi
      cross_run "$build/cross-$from-$other.log" env LOCALIO_OTHER_BUILD="$other_build" \
        "${where[@]}" ctest --test-dir "$test_dir" --output-on-failure --timeout 600 -L cross
    done
  done
  cross_release="cross-version: $cross_ok of 6 directions passed"

  section "packages: built for Debian 12, 13 and 14, installed with apt-get in fresh roots"
  pkg_log=$build/packages.log
  bash "$here/ci/test-packages.sh" 2>&1 | tee "$pkg_log" || true
  packages_release=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$pkg_log" | tail -n 1 || true)
  if [[ $packages_release =~ ^([0-9]+)\ passed,\ ([0-9]+)\ failed$ ]] && [ "${BASH_REMATCH[1]}" = 3 ]; then
    total_passed=$((total_passed + 3))
  else
    total_failed=$((total_failed + 1)); failed=1
  fi
  packages_release="packages: ${packages_release:-did not finish}"

  section "deployment: the images, the pod and the compose file under podman (ctest -L deployment)"
  dep_log=$build/deployment.log
  ctest --test-dir "$build" -L deployment -V --timeout 3000 2>&1 | tee "$dep_log" || true
  deployment_release=$(grep -oE '[0-9]+ passed, [0-9]+ failed$' "$dep_log" | tail -n 1 || true)
  if [[ $deployment_release =~ ^([0-9]+)\ passed,\ ([0-9]+)\ failed$ ]]; then
    total_passed=$((total_passed + BASH_REMATCH[1])); total_failed=$((total_failed + BASH_REMATCH[2]))
    [ "${BASH_REMATCH[2]}" = 0 ] || failed=1
  else
    total_failed=$((total_failed + 1)); failed=1
  fi
  deployment_release="deployment: ${deployment_release:-did not finish}"
fi

section summary
echo "$this_release"
for summary in "${other_summaries[@]}"; do echo "$summary"; done
[ -z "$cross_release" ] || echo "$cross_release"
[ -z "${packages_release:-}" ] || echo "$packages_release"
[ -z "${deployment_release:-}" ] || echo "$deployment_release"
echo "all: $total_passed passed, $total_failed failed in $(( $(date +%s) - started )) s"
exit "$failed"
