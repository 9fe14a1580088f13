#!/usr/bin/env bash
# Demo on one host: installs what is missing, builds, starts ganesha.nfsd
# (through the test harness's localio-testserver) with a LOCALIO-stacked
# export and a plain VFS export on 127.0.0.1, copies a file in and out over
# NFSv3 and NFSv4 through each, prints MiB/s and checks sha256. Then runs a
# short localio-bench (its own server; rpc vs localio vs local on one file)
# and prints its table; the chart goes to $LOCALIO_DEMO_PNG (default
# <build>/localio-bench-demo.png).
# Run as root on Debian 12. Safe to run twice: every run uses fresh temp dirs.
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
  localio-bench

testserver=$build/tests/harness/localio-testserver
client=$build/tests/integration/localio-nfs-client
bench=$build/tools/bench/localio-bench

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
log "ganesha.nfsd pid $(field "$server_line" pid), NFS port $nfs_port, MOUNT port $mnt_port"

url() {  # url EXPORT_LINE VERSION FILE
  if [ "$2" = 3 ]; then
    echo "nfs://127.0.0.1$(field "$1" path)/$3?nfsport=$nfs_port&mountport=$mnt_port"
  else
    echo "nfs://127.0.0.1$(field "$1" pseudo)/$3?version=4&nfsport=$nfs_port"
  fi
}

now_ns() { date +%s%N; }
mib_per_s() { awk -v mib="$size_mib" -v ns="$1" 'BEGIN { printf "%.1f", mib * 1e9 / ns }'; }

src=$work/source.bin
head -c "$((size_mib * 1024 * 1024))" /dev/urandom >"$src"
want=$(sha256sum "$src" | cut -d' ' -f1)

echo
echo "LOCALIO demo: ${size_mib} MiB file, client and ganesha.nfsd on 127.0.0.1"
echo "These copies use the plain libnfs tools (no LOCALIO shim): every byte goes"
echo "through Ganesha's RPC path; the bypass is measured by localio-bench below."
echo "The table compares the LOCALIO-stacked FSAL (over VFS) with plain VFS."
echo "v4 'in' uses localio-nfs-client with 2 KiB WRITEs: libnfs 4.0 cannot encode"
echo "a larger NFSv4 WRITE, so nfs-cp (1 MiB writes) fails on v4 uploads."
echo
printf '%-8s %-4s %-4s %-20s %10s  %s\n' export nfs dir tool MiB/s sha256
failed=0
while read -r line; do
  fsal=$(field "$line" fsal)
  for v in 3 4; do
    name=demo-v$v.bin
    start=$(now_ns)
    if [ "$v" = 3 ]; then
      tool=nfs-cp
      nfs-cp "$src" "$(url "$line" 3 "$name")" </dev/null >/dev/null ||
        { echo "demo: nfs-cp into $fsal over v3 failed" >&2; exit 1; }
    else
      tool="localio-nfs-client"
      "$client" "$(url "$line" 4 "")" put "$src" "$name" 2048 </dev/null >/dev/null ||
        { echo "demo: upload into $fsal over v4 failed" >&2; exit 1; }
    fi
    in_ns=$(( $(now_ns) - start ))
    stored=$(field "$line" path)/$name
    in_ok=ok
    [ "$(sha256sum "$stored" | cut -d' ' -f1)" = "$want" ] || { in_ok=MISMATCH; failed=1; }
    printf '%-8s %-4s %-4s %-20s %10s  %s\n' "$fsal" "v$v" in "$tool" "$(mib_per_s "$in_ns")" "$in_ok"

    back=$work/back-$fsal-v$v.bin
    start=$(now_ns)
    nfs-cp "$(url "$line" "$v" "$name")" "$back" </dev/null >/dev/null ||
      { echo "demo: nfs-cp out of $fsal over v$v failed" >&2; exit 1; }
    out_ns=$(( $(now_ns) - start ))
    out_ok=ok
    [ "$(sha256sum "$back" | cut -d' ' -f1)" = "$want" ] || { out_ok=MISMATCH; failed=1; }
    printf '%-8s %-4s %-4s %-20s %10s  %s\n' "$fsal" "v$v" out nfs-cp "$(mib_per_s "$out_ns")" "$out_ok"
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
