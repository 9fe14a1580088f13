#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-3.0-or-later
# Demo on one host: installs what is missing, builds, starts ganesha.nfsd
# (through the test harness's localio-testserver) with a LOCALIO-stacked
# export and a plain VFS export on 127.0.0.1, copies a file in and out over
# NFSv3 and NFSv4 through each, prints MiB/s and checks sha256. Then runs a
# short localio-bench (its own server; rpc vs localio vs local on one file)
# and prints its table; the chart goes to $LOCALIO_DEMO_PNG (default
# <build>/localio-bench-demo.png).
# Run as root on Debian 12 or 13. Safe to run twice: every run uses fresh
# temp dirs.
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
build=${LOCALIO_BUILD_DIR:-$here/build}
size_mib=${LOCALIO_DEMO_MIB:-64}
bench_png=${LOCALIO_DEMO_PNG:-$build/localio-bench-demo.png}

log() { echo "demo: $*"; }

bash "$here/ci/setup.sh"
log "building in $build"
cmake -S "$here" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" -j"$(nproc)" --target localio-testserver localio-nfs-client \
  localio-bench localio_preload

testserver=$build/tests/harness/localio-testserver
client=$build/tests/integration/localio-nfs-client
bench=$build/bench/localio-bench
shim=$(find "$build/client_plugin/preload" -name 'liblocalio_preload.so' | head -n 1)
# libnfs 4.0 (Debian 12) cannot encode an NFSv4 WRITE above ~3.9 KiB, so its
# nfs-cp cannot upload over v4 by RPC; libnfs 5 (Debian 13) can.
libnfs_version=$(pkg-config --modversion libnfs)
small_v4_writes=0
[ "${libnfs_version%%.*}" -ge 5 ] || small_v4_writes=1

work=$(mktemp -d "${TMPDIR:-/tmp}/localio-demo.XXXXXX")
server_pid=""
cleanup() {
  if [ -n "$server_pid" ]; then
    kill -TERM "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

# The harness starts rpcbind itself when none answers, and stops it on exit.
"$testserver" --export --fsal LOCALIO --export --fsal VFS >"$work/server.out" 2>"$work/server.err" &
server_pid=$!
for _ in $(seq 600); do
  grep -q '^ready$' "$work/server.out" && break
  if ! kill -0 "$server_pid" 2>/dev/null; then
    cat "$work/server.err" >&2
    echo "demo: localio-testserver exited before the server was ready" >&2
    server_pid=""
    exit 1
  fi
  sleep 0.1
done
grep -q '^ready$' "$work/server.out" || { echo "demo: server not ready after 60 s" >&2; exit 1; }

# field LINE NAME: the value of NAME=... in a localio-testserver line.
field() { sed -n "s/.* $2=\([^ ]*\).*/\1/p" <<<"$1"; }
server_line=$(grep '^server ' "$work/server.out")
nfs_port=$(field "$server_line" nfs_port)
mnt_port=$(field "$server_line" mnt_port)
map_path=$(field "$server_line" map)
log "ganesha.nfsd pid $(field "$server_line" pid), NFS port $nfs_port, MOUNT port $mnt_port, map $map_path"

url() {  # url EXPORT_LINE VERSION FILE
  if [ "$2" = 3 ]; then
    echo "nfs://127.0.0.1$(field "$1" path)/$3?nfsport=$nfs_port&mountport=$mnt_port"
  else
    echo "nfs://127.0.0.1$(field "$1" pseudo)/$3?version=4&nfsport=$nfs_port"
  fi
}

now_ns() { date +%s%N; }
# Bytes the loopback interface moved, both directions: the bypass measured
# from outside the plugin.
lo_bytes() { echo $(( $(cat /sys/class/net/lo/statistics/rx_bytes) + $(cat /sys/class/net/lo/statistics/tx_bytes) )); }
lo_share() { awk -v b="$1" -v mib="$size_mib" 'BEGIN { printf "%.3f%%", 100 * b / (mib * 1048576) }'; }
mib_per_s() { awk -v mib="$size_mib" -v ns="$1" 'BEGIN { printf "%.1f", mib * 1e9 / ns }'; }

src=$work/source.bin
head -c "$((size_mib * 1024 * 1024))" /dev/urandom >"$src"
want=$(sha256sum "$src" | cut -d' ' -f1)

echo
echo "LOCALIO demo: ${size_mib} MiB file, client and ganesha.nfsd $(/usr/bin/ganesha.nfsd -v 2>&1 | sed -n 's/.*Release = V//p') on 127.0.0.1, libnfs $libnfs_version"
echo "Without the shim every byte goes through Ganesha's RPC path (LOCALIO-stacked"
echo "FSAL over VFS, and plain VFS for comparison). With LD_PRELOAD=liblocalio_preload.so"
echo "the same unmodified nfs-cp reads and writes the file locally. 'loopback' is what"
echo "the lo interface moved (both directions) as a share of the file's size."
if [ "$small_v4_writes" = 1 ]; then
  echo "v4 'in' without the shim uses localio-nfs-client with 2 KiB WRITEs: libnfs $libnfs_version"
  echo "cannot encode a larger NFSv4 WRITE, so nfs-cp fails on v4 uploads over RPC."
fi
echo
printf '%-8s %-4s %-4s %-20s %10s %10s  %s\n' export nfs dir tool MiB/s loopback sha256
failed=0
while read -r line; do
  fsal=$(field "$line" fsal)
  for v in 3 4; do
    name=demo-v$v.bin
    lo_start=$(lo_bytes)
    start=$(now_ns)
    if [ "$v" = 3 ] || [ "$small_v4_writes" = 0 ]; then
      tool=nfs-cp
      nfs-cp "$src" "$(url "$line" "$v" "$name")" </dev/null >/dev/null ||
        { echo "demo: nfs-cp into $fsal over v$v failed" >&2; exit 1; }
    else
      tool="localio-nfs-client"
      "$client" "$(url "$line" 4 "")" put "$src" "$name" 2048 </dev/null >/dev/null ||
        { echo "demo: upload into $fsal over v4 failed" >&2; exit 1; }
    fi
    in_ns=$(( $(now_ns) - start ))
    in_lo=$(( $(lo_bytes) - lo_start ))
    stored=$(field "$line" path)/$name
    in_ok=ok
    [ "$(sha256sum "$stored" | cut -d' ' -f1)" = "$want" ] || { in_ok=MISMATCH; failed=1; }
    printf '%-8s %-4s %-4s %-20s %10s %10s  %s\n' "$fsal" "v$v" in "$tool" "$(mib_per_s "$in_ns")" \
      "$(lo_share "$in_lo")" "$in_ok"

    back=$work/back-$fsal-v$v.bin
    lo_start=$(lo_bytes)
    start=$(now_ns)
    nfs-cp "$(url "$line" "$v" "$name")" "$back" </dev/null >/dev/null ||
      { echo "demo: nfs-cp out of $fsal over v$v failed" >&2; exit 1; }
    out_ns=$(( $(now_ns) - start ))
    out_lo=$(( $(lo_bytes) - lo_start ))
    out_ok=ok
    [ "$(sha256sum "$back" | cut -d' ' -f1)" = "$want" ] || { out_ok=MISMATCH; failed=1; }
    printf '%-8s %-4s %-4s %-20s %10s %10s  %s\n' "$fsal" "v$v" out nfs-cp "$(mib_per_s "$out_ns")" \
      "$(lo_share "$out_lo")" "$out_ok"
    rm -f "$back"

    [ "$fsal" = LOCALIO ] || continue
    # The same copies by the unmodified nfs-cp under the shim.
    shimmed() { LD_PRELOAD=$shim LOCALIO_MAP=$map_path nfs-cp "$@" </dev/null >/dev/null; }
    name=demo-shim-v$v.bin
    lo_start=$(lo_bytes); start=$(now_ns)
    shimmed "$src" "$(url "$line" "$v" "$name")" ||
      { echo "demo: nfs-cp (shim) into $fsal over v$v failed" >&2; exit 1; }
    in_ns=$(( $(now_ns) - start )); in_lo=$(( $(lo_bytes) - lo_start ))
    in_ok=ok
    [ "$(sha256sum "$(field "$line" path)/$name" | cut -d' ' -f1)" = "$want" ] || { in_ok=MISMATCH; failed=1; }
    printf '%-8s %-4s %-4s %-20s %10s %10s  %s\n' "$fsal" "v$v" in "nfs-cp + shim" "$(mib_per_s "$in_ns")" \
      "$(lo_share "$in_lo")" "$in_ok"
    lo_start=$(lo_bytes); start=$(now_ns)
    shimmed "$(url "$line" "$v" "$name")" "$back" ||
      { echo "demo: nfs-cp (shim) out of $fsal over v$v failed" >&2; exit 1; }
    out_ns=$(( $(now_ns) - start )); out_lo=$(( $(lo_bytes) - lo_start ))
    out_ok=ok
    [ "$(sha256sum "$back" | cut -d' ' -f1)" = "$want" ] || { out_ok=MISMATCH; failed=1; }
    printf '%-8s %-4s %-4s %-20s %10s %10s  %s\n' "$fsal" "v$v" out "nfs-cp + shim" "$(mib_per_s "$out_ns")" \
      "$(lo_share "$out_lo")" "$out_ok"
    rm -f "$back"
  done
done < <(grep '^export ' "$work/server.out")
echo

if [ "$failed" != 0 ]; then
  echo "demo: sha256 mismatch (see table)" >&2
  exit 1
fi
log "all copies identical (sha256 $want)"

# The bench starts its own LOCALIO server: stop ours first, so that only
# one LOCALIO listener is registered with rpcbind while it runs.
kill -TERM "$server_pid" 2>/dev/null || true
wait "$server_pid" 2>/dev/null || true
server_pid=""
echo
log "localio-bench (short run: 32 MiB file, 1 s per case and mode)"
"$bench" --size 32 --duration 1 --png "$bench_png" \
  --case v3-randread-4k-t1-sync --case v4-randread-4k-t1-sync \
  --case v3-seqread-1m-t1-sync --case v3-seqwrite-1m-t1-sync \
  --case v3-randread-4k-t1-qd8 --case v3-randread-4k-t2-sync </dev/null ||
  { echo "demo: localio-bench failed" >&2; exit 1; }
log "chart: $bench_png"
