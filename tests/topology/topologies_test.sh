#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-3.0-or-later
# Co-located topologies beyond one server and its sidecar, with the real
# ganesha.nfsd (localio-testserver), the real rpcbind and the unmodified
# nfs-cp under the shim. Runs inside a network namespace of its own
# (tests/harness/private_net.sh); every other address it uses lives in
# network namespaces it makes inside that one.
#   1. Two servers, one Map_Directory: one nfs-cp process copies a file from
#      server A (NFSv3) to server B (NFSv4); each mount finds and confirms
#      its own server's map, without being told a map path.
#   2. A server in another network namespace ("node" srv), reached through
#      a port forward (REDIRECT of 32049/32050 to its NFS/MOUNT ports, as a
#      published port is), the export seen by the client at another path
#      (LOCALIO_PATH_MAP; the server's path hidden from the client): the
#      handshake goes through the NFS port, copies in and out over NFSv3
#      and NFSv4 bypass (the veth carries under 1% of the bytes), and a
#      plain RPC listing sees the size written through the bypass (WROTE
#      through the NFS port).
#   3. A second server (srv2) whose map is not in the client's directory:
#      a mount of it never confirms with the first server's map (the same
#      names, the other server's root handle) and its copy goes over RPC.
# Usage: topologies_test.sh TESTSERVER PRELOAD_LIBRARY
set -uo pipefail
testserver=$1 shim=$2
work=$(mktemp -d /tmp/localio-topologies.XXXXXX)
pids=()
check_prefix=topologies
source "$(dirname "$0")/../harness/checks.sh"
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
  wait 2>/dev/null
  ip netns del srv 2>/dev/null; ip netns del srv2 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

# start NAME OUTFILE [NETNS] ARGS...: a testserver, in NETNS with a /run of
# its own (its rpcbind) when given; waits for "ready".
start() {
  local out=$1 ns=$2
  shift 2
  if [ -n "$ns" ]; then
    ip netns exec "$ns" unshare --mount --propagation private sh -c \
      'mount -t tmpfs -o mode=0755 tmpfs /run && mkdir -p /run/ganesha && exec "$@"' \
      sh "$testserver" "$@" >"$out" 2>&1 &
  else
    "$testserver" "$@" >"$out" 2>&1 &
  fi
  pids+=($!)
  for _ in $(seq 300); do
    grep -q '^ready' "$out" && return 0
    kill -0 "${pids[-1]}" 2>/dev/null || break
    sleep 0.1
  done
  say "server did not start:"; cat "$out"; exit 1
}
field() { grep -o "$2=[^ ]*" "$1" | head -n 1 | cut -d= -f2-; }
bytes() { echo $(( $(cat /sys/class/net/$1/statistics/rx_bytes) + $(cat /sys/class/net/$1/statistics/tx_bytes) )); }
under1pct() { [ "$1" -lt $(( $2 / 100 )) ]; }
size=$((16 << 20))
head -c $size /dev/urandom >"$work/in.bin"

# 1. Two servers, one directory of maps.
maps=/dev/shm/localio-topologies-maps
mkdir -m 0755 "$maps"
start "$work/a.out" "" --export --map-dir "$maps"
start "$work/b.out" "" --export --map-dir "$maps"  # after A: Ganesha re-registers NFS with rpcbind
cp "$work/in.bin" "$(field "$work/a.out" path)/src.bin"
url_a="$(field "$work/a.out" v3 | sed 's|?|/src.bin?|')"
url_b="$(field "$work/b.out" v4 | sed 's|?|/dst.bin?|')"
before=$(bytes lo)
LOCALIO_MAP=$maps LOCALIO_LOG=2 LD_PRELOAD=$shim nfs-cp "$url_a" "$url_b" >"$work/cp1.out" 2>&1
moved=$(( $(bytes lo) - before ))
cat "$work/cp1.out"
check "two servers: nfs-cp's copy from A (v3) to B (v4) is identical" \
  cmp -s "$work/in.bin" "$(field "$work/b.out" path)/dst.bin"
check "two servers: the mount of A confirmed A's map" \
  grep -q "confirmed on LOCALIO port .*map $(field "$work/a.out" map)\$" "$work/cp1.out"
check "two servers: the mount of B confirmed B's map" \
  grep -q "confirmed on LOCALIO port .*map $(field "$work/b.out" map)\$" "$work/cp1.out"
say "two servers: $moved bytes on loopback for $((2 * size)) bytes read and written"
check "two servers: both sides bypassed (loopback under 1%)" under1pct "$moved" $((2 * size))

# 2. A server on another "node", behind a port forward, another path.
mkdir -p /run/netns
ip netns add srv
ip link add veth-c type veth peer name veth-s
ip link set veth-s netns srv
ip addr add 10.77.0.1/24 dev veth-c && ip link set veth-c up
ip -n srv addr add 10.77.0.2/24 dev veth-s && ip -n srv link set veth-s up && ip -n srv link set lo up
start "$work/s.out" srv --export --bind 0.0.0.0 --map-dir "$maps"
ip netns exec srv iptables -t nat -A PREROUTING -p tcp --dport 32049 -j REDIRECT --to-ports "$(field "$work/s.out" nfs_port)"
ip netns exec srv iptables -t nat -A PREROUTING -p tcp --dport 32050 -j REDIRECT --to-ports "$(field "$work/s.out" mnt_port)"
server_root=$(field "$work/s.out" path)
# The client's view: the export at /srv/view; the server's path hidden.
client() {
  unshare --mount --propagation private bash -c '
    mkdir -p /srv/view && mount --bind "$1" /srv/view && mount -t tmpfs tmpfs "$(dirname "$1")"
    shift; exec "$@"' sh "$server_root" "$@"
}
v3="nfs://10.77.0.2$server_root/f.bin?nfsport=32049&mountport=32050"
v4="nfs://10.77.0.2/export-1/g.bin?version=4&nfsport=32049"
before=$(bytes veth-c)
client env LOCALIO_MAP=$maps LOCALIO_PATH_MAP="$server_root=/srv/view" LOCALIO_LOG=2 \
  LD_PRELOAD="$shim" nfs-cp "$work/in.bin" "$v3" >"$work/cp2.out" 2>&1
client env LOCALIO_MAP=$maps LOCALIO_PATH_MAP="$server_root=/srv/view" LOCALIO_LOG=2 \
  LD_PRELOAD="$shim" nfs-cp "$v3" "$v4" >>"$work/cp2.out" 2>&1
moved=$(( $(bytes veth-c) - before ))
cat "$work/cp2.out"
check "port forward: the NFSv3 copy in is identical" cmp -s "$work/in.bin" "$server_root/f.bin"
check "port forward: the NFSv3 -> NFSv4 copy is identical" cmp -s "$work/in.bin" "$server_root/g.bin"
check "port forward: every mount confirmed through the NFS port" \
  test "$(grep -c "confirmed through its NFS port 32049, map $(field "$work/s.out" map)\$" "$work/cp2.out")" -eq 3
say "port forward: $moved bytes on the veth for $((3 * size)) bytes read and written"
check "port forward: bypassed (veth under 1%)" under1pct "$moved" $((3 * size))
nfs-ls "nfs://10.77.0.2/export-1?version=4&nfsport=32049" >"$work/ls.out" 2>&1
cat "$work/ls.out"
check "port forward: RPC sees the size written through the bypass (WROTE through the NFS port)" \
  grep -qE "[[:space:]]$size[[:space:]]+g\.bin" "$work/ls.out"

# 3. Another server whose map is not in the client's directory.
ip netns add srv2
ip link add veth-c2 type veth peer name veth-s2
ip link set veth-s2 netns srv2
ip addr add 10.77.1.1/24 dev veth-c2 && ip link set veth-c2 up
ip -n srv2 addr add 10.77.1.2/24 dev veth-s2 && ip -n srv2 link set veth-s2 up && ip -n srv2 link set lo up
maps2=/dev/shm/localio-topologies-maps2
mkdir -m 0755 "$maps2"
start "$work/t.out" srv2 --export --bind 0.0.0.0 --map-dir "$maps2"
ip netns exec srv2 iptables -t nat -A PREROUTING -p tcp --dport 32049 -j REDIRECT --to-ports "$(field "$work/t.out" nfs_port)"
ip netns exec srv2 iptables -t nat -A PREROUTING -p tcp --dport 32050 -j REDIRECT --to-ports "$(field "$work/t.out" mnt_port)"
before=$(bytes veth-c2)
LOCALIO_MAP=$maps LOCALIO_LOG=2 LD_PRELOAD="$shim" nfs-cp "$work/in.bin" \
  "nfs://10.77.1.2$(field "$work/t.out" path)/h.bin?nfsport=32049&mountport=32050" >"$work/cp3.out" 2>&1
moved=$(( $(bytes veth-c2) - before ))
cat "$work/cp3.out"
check "other server: its copy is identical" cmp -s "$work/in.bin" "$(field "$work/t.out" path)/h.bin"
check "other server: never confirmed (no map of it in the directory)" \
  bash -c "! grep -q confirmed '$work/cp3.out' && grep -q 'not local' '$work/cp3.out'"
check "other server: the copy went over RPC (veth carried the data)" test "$moved" -gt "$size"

check_summary
