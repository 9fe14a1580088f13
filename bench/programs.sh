#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-3.0-or-later
# Unmodified libnfs programs against a LOCALIO export, with and without the
# shim, against the same work on the local file, in one run (issue 23's
# targets; docs/PERFORMANCE.md records the figures):
#   fio 4 KiB random read and write, queue depth 1: the nfs engine (+ shim,
#     and plain RPC) against fio psync on the export's file;
#   the same at queue depth 8 against fio io_uring at depth 8;
#   qemu-img convert of a 1 GiB raw image out of the export (+ shim, plain)
#     against the same convert from the local file.
# Each fio case runs $LOCALIO_BENCH_SECONDS (default 10) seconds; the order
# of the cases alternates over $LOCALIO_BENCH_ROUNDS (default 3) rounds, that
# of the converts over $LOCALIO_BENCH_CONVERT_ROUNDS (default 9), and the
# table shows each case's median. Needs a build (LOCALIO_BUILD_DIR,
# default build/) with localio-testserver and the shim, and ci/setup.sh's
# fio and qemu. Run as root. Prints the table; nothing is asserted.
# fio keeps the page cache (invalidate=0) for the local runs as the nfs
# engine cannot drop it. The converts write to /dev/shm. In the Debian 13
# root of ci/in-root.sh, Ganesha 6.5's VFS exports no tmpfs ("resolve_posix_
# filesystem ... No such file or directory"): give LOCALIO_BENCH_DIR an ext4
# of its own there (docs/PERFORMANCE.md shows how).
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
build=${LOCALIO_BUILD_DIR:-$here/build}
seconds=${LOCALIO_BENCH_SECONDS:-10}
rounds=${LOCALIO_BENCH_ROUNDS:-3}
convert_rounds=${LOCALIO_BENCH_CONVERT_ROUNDS:-9}
fio_mib=${LOCALIO_BENCH_FIO_MIB:-1024}
image_mib=${LOCALIO_BENCH_IMAGE_MIB:-1024}

log() { echo "bench: $*" >&2; }
die() { echo "bench: $*" >&2; exit 1; }

testserver=$build/tests/harness/localio-testserver
shim=$build/client_plugin/preload/liblocalio_preload.so
# As cmake/NfsClientTools.cmake looks: Debian 12's build first, then PATH.
fio=$(ls "$here"/.deps/fio-*-nfs/bin/fio 2>/dev/null | head -n 1 || true)
[ -n "$fio" ] && "$fio" --enghelp 2>/dev/null | grep -qw nfs || fio=""
[ -n "$fio" ] || fio=$(command -v fio || true)
[ -x "$testserver" ] && [ -f "$shim" ] || die "build $build first (localio-testserver, localio_preload)"
[ -n "$fio" ] && "$fio" --enghelp 2>/dev/null | grep -qw nfs || die "no fio with the nfs engine (ci/setup.sh)"
command -v qemu-img >/dev/null || die "no qemu-img (ci/setup.sh)"

# The work directory is on a tmpfs ($LOCALIO_BENCH_DIR, default /dev/shm):
# the export, the image and the converts' output live in memory, so that a
# disk does not set the pace.
work=$(mktemp -d "${LOCALIO_BENCH_DIR:-/dev/shm}/localio-bench-programs.XXXXXX")
server_pid=""
cleanup() {
  if [ -n "$server_pid" ]; then
    kill -TERM "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  rm -rf "$work" "${out:-}"
}
trap cleanup EXIT

export_dir=$work/export
"$testserver" --export-dir "$export_dir" --fsal LOCALIO >"$work/server.out" 2>"$work/server.err" &
server_pid=$!
for _ in $(seq 600); do
  grep -q '^ready$' "$work/server.out" && break
  kill -0 "$server_pid" 2>/dev/null || { cat "$work/server.err" >&2; server_pid=""; die "server exited"; }
  sleep 0.1
done
grep -q '^ready$' "$work/server.out" || die "server not ready after 60 s"
field() { sed -n "s/.* $2=\([^ ]*\).*/\1/p" <<<"$1"; }
server_line=$(grep '^server ' "$work/server.out")
nfs_port=$(field "$server_line" nfs_port)
mnt_port=$(field "$server_line" mnt_port)
map=$(field "$server_line" map)
export_url="nfs://127.0.0.1$export_dir?nfsport=$nfs_port&mountport=$mnt_port"

log "filling a $fio_mib MiB fio file and a $image_mib MiB image with random data"
head -c "$((fio_mib << 20))" /dev/urandom >"$export_dir/fio.bin"
head -c "$((image_mib << 20))" /dev/urandom >"$export_dir/image.raw"

shimmed() { env LD_PRELOAD="$shim" LOCALIO_MAP="$map" "$@"; }

# fio_iops RW ENGINE DEPTH [shim]: IOPS of one time-based run.
fio_iops() {
  local rw=$1 engine=$2 depth=$3 how=${4:-} args
  args=(--name=bench --rw="$rw" --bs=4k --size="${fio_mib}M" --iodepth="$depth"
        --time_based --runtime="$seconds" --randrepeat=0 --norandommap --invalidate=0 --minimal)
  if [ "$engine" = nfs ]; then
    args+=(--ioengine=nfs --nfs_url="$export_url" --filename=fio.bin)
  else
    args+=(--ioengine="$engine" --filename="$export_dir/fio.bin")
  fi
  local out
  if [ "$how" = shim ]; then out=$(shimmed "$fio" "${args[@]}"); else out=$("$fio" "${args[@]}"); fi
  # --minimal (terse v3): field 8 is read IOPS, field 49 write IOPS.
  if [ "${rw#rand}" = read ]; then cut -d';' -f8 <<<"$out"; else cut -d';' -f49 <<<"$out"; fi
}

# convert_mibs SOURCE [shim]: MiB/s of qemu-img convert SOURCE -> tmpfs.
out=$(mktemp -d /dev/shm/localio-bench-out.XXXXXX)
convert_mibs() {
  local src=$1 how=${2:-} start end
  rm -f "$out/out.raw"
  sync  # the fio runs' dirty pages are written back before, not during, the copy
  start=$(date +%s%N)
  if [ "$how" = shim ]; then
    shimmed qemu-img convert -O raw "$src" "$out/out.raw"
  else
    qemu-img convert -O raw "$src" "$out/out.raw"
  fi
  end=$(date +%s%N)
  cmp -s "$out/out.raw" "$export_dir/image.raw" || die "qemu-img convert of $src: the copy differs"
  awk -v mib="$image_mib" -v ns="$((end - start))" 'BEGIN { printf "%.0f", mib * 1e9 / ns }'
}

median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

declare -A results
cases=(
  "randread nfs 1 shim" "randread psync 1" "randread nfs 1"
  "randwrite nfs 1 shim" "randwrite psync 1" "randwrite nfs 1"
  "randread nfs 8 shim" "randread io_uring 8" "randread nfs 8"
  "randwrite nfs 8 shim" "randwrite io_uring 8" "randwrite nfs 8"
)
converts=("convert shim" "convert local" "convert rpc")
# rounds CASE...: the cases, $rounds times, every other round backwards.
rounds() {
  local cases=("$@") order c round i v
  for round in $(seq "$rounds"); do
    log "round $round of $rounds"
    order=("${cases[@]}")
    if [ $((round % 2)) = 0 ]; then
      order=()
      for ((i = ${#cases[@]} - 1; i >= 0; i--)); do order+=("${cases[$i]}"); done
    fi
    for c in "${order[@]}"; do
      v=$(run_case "$c")
      log "$c: $v"
      results[$c]+="$v "
    done
  done
}
run_case() {
  # shellcheck disable=SC2086
  set -- $1
  case "$1 $2" in
    "convert shim") convert_mibs "nfs://127.0.0.1$export_dir/image.raw" shim ;;
    "convert rpc") convert_mibs "nfs://127.0.0.1$export_dir/image.raw" ;;
    "convert local") convert_mibs "$export_dir/image.raw" ;;
    *) fio_iops "$@" ;;
  esac
}
rounds "${cases[@]}"
# The converts on their own, after one untimed copy each (the first copy
# out of a file just written runs behind the write-back of the fio runs).
for c in "${converts[@]}"; do run_case "$c" >/dev/null; done
rounds=$convert_rounds rounds "${converts[@]}"

m() { tr ' ' '\n' <<<"${results[$1]}" | grep . | median; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2fx", a / b }'; }

echo
echo "Unmodified programs, 4 KiB random I/O on a $fio_mib MiB file (fio $("$fio" --version)),"
echo "qemu-img convert of a $image_mib MiB raw image ($(qemu-img --version | head -n 1)); medians of $rounds rounds"
echo "(converts: $convert_rounds),"
echo "${seconds} s per fio run; ganesha.nfsd $(/usr/bin/ganesha.nfsd -v 2>&1 | sed -n 's/.*Release = V//p'), libnfs $(pkg-config --modversion libnfs), on $(nproc) cores"
echo
printf '%-34s %12s %12s %12s %10s %8s\n' case "shim" local "rpc" "shim/local" target
for rw in randread randwrite; do
  s=$(m "$rw nfs 1 shim"); l=$(m "$rw psync 1"); r=$(m "$rw nfs 1")
  printf '%-34s %12s %12s %12s %10s %8s\n' "fio $rw 4k qd1 (IOPS; local psync)" "$s" "$l" "$r" "$(ratio "$s" "$l")" ">=0.85x"
done
for rw in randread randwrite; do
  s=$(m "$rw nfs 8 shim"); l=$(m "$rw io_uring 8"); r=$(m "$rw nfs 8")
  printf '%-34s %12s %12s %12s %10s %8s\n' "fio $rw 4k qd8 (IOPS; io_uring)" "$s" "$l" "$r" "$(ratio "$s" "$l")" ">=1.0x"
done
s=$(m "convert shim"); l=$(m "convert local"); r=$(m "convert rpc")
printf '%-34s %12s %12s %12s %10s %8s\n' "qemu-img convert (MiB/s)" "$s" "$l" "$r" "$(ratio "$s" "$l")" ">=0.8x"
printf '%-34s %12s %12s %12s %10s %8s\n' "qemu-img convert shim / rpc" "" "" "" "$(ratio "$s" "$r")" ">=3x"
