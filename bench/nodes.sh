#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-3.0-or-later
# Many nodes, simulated on one machine (issue 24): N "nodes", each a network
# namespace and a mount namespace of its own, with its own /run (a tmpfs:
# the node's map directory, its rpcbind) and its own export directory,
# joined by veth pairs to a bridge in the namespace this script runs in
# (run it in one of its own: tests/harness/private_net.sh, or
# /work/tools/isolated). One ganesha.nfsd per node (localio-testserver),
# every node's map at the same path (/run/localio/node.map, each on its
# node's tmpfs). The data set is sharded: FILES files of FILE_MIB MiB in
# each node's export. On every node at once, one reader per file of the
# whole data set (the unmodified nfs-cat under the shim, one process per
# file, as an MLPerf-Storage-style loader opens its samples) reads every
# shard of every node, first with the bypass, then with LOCALIO_DISABLE=1
# (all RPC). Checks: every read is identical; every same-node mount
# confirms its node's server and no cross-node mount confirms anything;
# the node's veth carries the cross-node reads only. Prints the aggregate
# throughput of both runs. Ends with "N passed, M failed".
#   nodes.sh TESTSERVER PRELOAD_LIBRARY
# Environment: LOCALIO_NODES (default 2), LOCALIO_NODE_FILES (4),
# LOCALIO_NODE_FILE_MIB (16), LOCALIO_NODE_ROUNDS (1: reads of the data set
# per run).
set -uo pipefail
testserver=$(realpath "$1") shim=$(realpath "$2")
nodes=${LOCALIO_NODES:-2}
files=${LOCALIO_NODE_FILES:-4}
mib=${LOCALIO_NODE_FILE_MIB:-16}
rounds=${LOCALIO_NODE_ROUNDS:-1}
work=$(mktemp -d /tmp/localio-nodes.XXXXXX)
pids=()
declare -A anchor  # node -> the pid whose mount namespace is the node's (its server)
check_prefix=nodes
source "$(dirname "$0")/../tests/harness/checks.sh"
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
  wait 2>/dev/null
  for i in $(seq "$nodes"); do ip netns del "node$i" 2>/dev/null; done
  ip link del localio-fabric 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
[ -n "${LOCALIO_NODES_KEEP:-}" ] && trap - EXIT

# in_node I CMD...: runs CMD on node I (its network and mount namespaces).
in_node() {
  local i=$1
  shift
  # -r: the server's root too (setns to a mount namespace resets the root
  # to the namespace's own: wrong inside a chroot such as the Debian 13 root).
  nsenter --target "${anchor[$i]}" --mount --root --net="/run/netns/node$i" -- "$@"
}

ip link set lo up 2>/dev/null
ip link add localio-fabric type bridge && ip link set localio-fabric up
mkdir -p /run/netns
for i in $(seq "$nodes"); do
  ip netns add "node$i"
  ip link add "veth-n$i" type veth peer name eth0 netns "node$i"
  ip link set "veth-n$i" master localio-fabric up
  ip -n "node$i" addr add "10.78.0.$i/24" dev eth0
  ip -n "node$i" link set eth0 up
  ip -n "node$i" link set lo up
  mkdir -p "$work/node$i/data"
  for f in $(seq "$files"); do head -c $((mib << 20)) /dev/urandom >"$work/node$i/data/shard-$i-$f"; done
  # The node's server, in the node's network namespace and a mount
  # namespace of its own with a /run of its own (map directory, rpcbind):
  # every process of the node then joins that one (nsenter: no fork, so
  # the pid is the server's).
  nsenter --net="/run/netns/node$i" -- unshare --mount --propagation private sh -c \
    'mount -t tmpfs -o mode=0755 tmpfs /run && mkdir -p /run/ganesha /run/localio && exec "$@"' sh \
    "$testserver" --export-dir "$work/node$i/data" --bind 0.0.0.0 \
    --map-path /run/localio/node.map >"$work/node$i/server.out" 2>&1 &
  pids+=($!)
  anchor[$i]=$!
done
for i in $(seq "$nodes"); do
  for _ in $(seq 300); do grep -q '^ready' "$work/node$i/server.out" && break; sleep 0.1; done
  check "node $i: its server is ready" grep -q '^ready' "$work/node$i/server.out"
done
check "every node's map is at the same path, each on its node's own tmpfs" \
  bash -c "for p in ${anchor[*]}; do nsenter --target \$p --mount --root -- stat -c %d:%i /run/localio/node.map; done | sort -u | wc -l | grep -qx $nodes"

field() { grep -o "$2=[^ ]*" "$1" | head -n 1 | cut -d= -f2-; }
url_of() {  # url_of NODE FILE: NFSv3 URL of the file on that node's server
  local out=$work/node$1/server.out
  echo "nfs://10.78.0.$1$work/node$1/data/$2?nfsport=$(field "$out" nfs_port)&mountport=$(field "$out" mnt_port)"
}
veth_bytes() { echo $(( $(cat /sys/class/net/veth-n$1/statistics/rx_bytes) + $(cat /sys/class/net/veth-n$1/statistics/tx_bytes) )); }
# The node's own loopback (same-node RPC would cross it).
lo_bytes() { ip -n "node$1" -s -j link show lo | python3 -c 'import json, sys
s = json.load(sys.stdin)[0]["stats64"]; print(s["rx"]["bytes"] + s["tx"]["bytes"])'; }

# read_all MODE: every node reads the whole data set at once, one nfs-cat
# per file; prints the seconds taken. MODE: bypass or rpc.
read_all() {
  local mode=$1 env_mode="" i j f
  [ "$mode" = rpc ] && env_mode=LOCALIO_DISABLE=1
  local start end
  start=$(date +%s.%N)
  for i in $(seq "$nodes"); do
    (
      for _ in $(seq "$rounds"); do
        for j in $(seq "$nodes"); do
          for f in $(seq "$files"); do
            in_node "$i" env LD_PRELOAD="$shim" LOCALIO_LOG=2 $env_mode \
              nfs-cat "$(url_of "$j" "shard-$j-$f")" 2>>"$work/node$i/$mode.log" |
              cmp -s - "$work/node$j/data/shard-$j-$f" || echo "node $i: shard-$j-$f differs" >>"$work/node$i/$mode.bad"
          done &
        done
        wait
      done
    ) &
  done
  wait
  end=$(date +%s.%N)
  awk -v s="$start" -v e="$end" 'BEGIN { printf "%.3f", e - s }'
}

declare -A before lo_before
for i in $(seq "$nodes"); do before[$i]=$(veth_bytes "$i"); lo_before[$i]=$(lo_bytes "$i"); done
bypass_s=$(read_all bypass)
for i in $(seq "$nodes"); do
  log=$work/node$i/bypass.log
  moved=$(( $(veth_bytes "$i") - before[$i] ))
  local_moved=$(( $(lo_bytes "$i") - lo_before[$i] ))
  same=$(( files * rounds * (mib << 20) ))
  own=$(grep -c "local: server 10.78.0.$i confirmed .*map /run/localio/node.map" "$log")
  foreign=$(grep "confirmed" "$log" | grep -vc "local: server 10.78.0.$i confirmed")
  remote=$(grep -c "not local" "$log")
  cross=$(( (nodes - 1) * files * rounds * (mib << 20) ))
  check "node $i: every read identical" test ! -s "$work/node$i/bypass.bad"
  check "node $i: its $((files * rounds)) same-node mounts confirmed its own server ($own)" \
    test "$own" -eq $((files * rounds))
  check "node $i: no mount confirmed another node's server ($foreign)" test "$foreign" -eq 0
  # At least once per cross-node mount (a long read tries again after 1 s).
  check "node $i: its $(((nodes - 1) * files * rounds)) cross-node mounts are not local ($remote)" \
    test "$remote" -ge $(((nodes - 1) * files * rounds))
  say "node $i: its loopback carried $local_moved bytes for $same bytes of same-node reads; its veth $moved bytes for $cross bytes of its cross-node reads and as many of the other nodes' reads of its shards"
  check "node $i: the same-node reads bypassed (under 1% on the node's loopback)" \
    test "$local_moved" -lt $(( same / 100 ))
  check "node $i: the cross-node reads went over the network (RPC)" test "$moved" -ge $(( 2 * cross ))
done
rpc_s=$(read_all rpc)
for i in $(seq "$nodes"); do
  check "node $i: every read over RPC identical" test ! -s "$work/node$i/rpc.bad"
done
total=$(( nodes * nodes * files * rounds * mib ))
say "$nodes nodes, $((nodes * files)) shards of $mib MiB, every node reading all of them $rounds time(s): $total MiB"
awk -v t="$total" -v b="$bypass_s" -v r="$rpc_s" -v n="$nodes" 'BEGIN {
  printf "nodes: N=%d aggregate: bypass %.0f MiB/s (%.2f s), all RPC %.0f MiB/s (%.2f s), %.2fx\n",
         n, t / b, b, t / r, r, r / b }'
check_summary

