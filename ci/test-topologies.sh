#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-3.0-or-later
# The data mover on the host, ganesha.nfsd in containers (issue 24), run
# for real under podman with the release's images (ci/test-deployment.sh
# builds them), in a network and mount namespace of this script's own: the
# podman bridge and the containers' addresses exist only there; the host
# side reaches each server through a port published on 127.0.0.1, as a
# data mover reaches a containerised nfsd.
#   1. One server container (config/ganesha-node.conf, its own network
#      namespace, ports 2049/20048 published at 32049/32050, the map on a
#      host tmpfs directory shared with it): the unmodified nfs-cp under
#      the shim, as uid 1000 in group localio, copies a file in and out over
#      NFSv3; the export is the host directory the container mounts
#      (LOCALIO_PATH_MAP). The handshake goes through the published NFS
#      port; under 1% of the bytes cross the podman bridge.
#   2. A second server container (published at 33049/33050, Client_Root in
#      its config: no path map needed) in the same map directory: one
#      nfs-cp process per file copies a tree from server 1 (NFSv3) to
#      server 2 (NFSv4); both mounts of each process bypass.
#   3. One server per node: the pods of config/k8s-daemonset.yaml, made
#      from its DaemonSet and Deployment templates (podman 4.3 plays
#      neither kind) and played as pods: the server pod on the "node"'s
#      network (hostNetwork), two application pods, each in its own network
#      namespace, mounting the server at the node's address on the podman
#      bridge, with the map directory and the export on hostPaths; both
#      copy 64 MiB in and out, identical, with under 1% of the data on
#      their network.
# Removes the pods and containers it made, by name. Ends with "N passed, M failed".
#   test-topologies.sh RELEASE PRELOAD_LIBRARY   (RELEASE: 12 or 13)
set -uo pipefail
if [ "${1:-}" != --inside ]; then
  exec unshare --net --mount --propagation private -- bash "$0" --inside "$@"
fi
shift
v=$1 shim=$2
here=$(cd "$(dirname "$0")/.." && pwd)
export CONTAINERS_CONF=$here/ci/containers.conf
ip link set lo up
work=$(mktemp -d /tmp/localio-topologies.XXXXXX)
chmod 0755 "$work"  # the mover (uid 1000) goes through it to the map directory
check_prefix=topologies
check_label="Debian $v"
source "$here/tests/harness/checks.sh"
source "$here/ci/container-checks.sh"
names=(localio-topo-a localio-topo-b)
pods=(nfs-localio-node nfs-localio-app-1 nfs-localio-app-2)
cleanup() {
  for n in "${names[@]}"; do podman rm -f "$n" >/dev/null 2>&1; done
  for p in "${pods[@]}"; do podman pod rm -f "$p" >/dev/null 2>&1; done
  umount "$work/maps" "$work/node-maps" 2>/dev/null
  [ -n "${LOCALIO_KEEP:-}" ] || rm -rf "$work"
}
trap cleanup EXIT

mkdir -p "$work/maps" "$work/a" "$work/b"
mount -t tmpfs -o mode=0755,size=256m tmpfs "$work/maps"
# Server b tells its clients where they see its export (Client_Root).
sed "s|# Client_Root = .*|Client_Root = $work/b;|" "$here/config/ganesha-node.conf" >"$work/node-b.conf"
grep -q "Client_Root = $work/b;" "$work/node-b.conf" || { say "no Client_Root line to set"; exit 1; }

# serve NAME HOST_NFS_PORT HOST_MNT_PORT EXPORT_DIR CONFIG
serve() {
  podman run -d --name "$1" --hostname "${1#localio-topo-}-node" \
    -p "127.0.0.1:$2:2049" -p "127.0.0.1:$3:20048" \
    -v "$4:/srv/data" -v "$work/maps:/run/localio" -v "$5:/etc/ganesha/ganesha.conf:ro" \
    --cap-add DAC_READ_SEARCH "localio-ganesha:deb$v" >/dev/null
}
ready() { until_ok 90 podman exec "$1" /usr/local/bin/localio-server-ready; }
bridge_bytes() {  # every byte on this namespace's bridges (netlink: /sys is the host's)
  ip -s -j link show type bridge | python3 -c 'import json, sys
print(sum(l["stats64"]["rx"]["bytes"] + l["stats64"]["tx"]["bytes"] for l in json.load(sys.stdin)))'
}
as_mover() { setpriv --reuid 1000 --regid 2000 --clear-groups "$@"; }
under1pct() { [ "$1" -lt $(( $2 / 100 )) ]; }

serve localio-topo-a 32049 32050 "$work/a" "$here/config/ganesha-node.conf"
check "host mover: the server container is ready" ready localio-topo-a
map_a=$work/maps/a-node-2049.map
check "host mover: the server named its map a-node-2049.map in the shared directory" test -f "$map_a"

size=$((32 << 20))
head -c $size /dev/urandom >"$work/in.bin"
chmod 0644 "$work/in.bin"
mkdir -p "$work/mover" && chown 1000:2000 "$work/mover"  # where the mover writes on the host
before=$(bridge_bytes)
as_mover env LD_PRELOAD="$shim" LOCALIO_MAP="$work/maps" LOCALIO_PATH_MAP="/srv/data=$work/a" LOCALIO_LOG=2 \
  nfs-cp "$work/in.bin" "nfs://127.0.0.1/srv/data/in.bin?nfsport=32049&mountport=32050" >"$work/mover1.log" 2>&1
as_mover env LD_PRELOAD="$shim" LOCALIO_MAP="$work/maps" LOCALIO_PATH_MAP="/srv/data=$work/a" LOCALIO_LOG=2 \
  nfs-cp "nfs://127.0.0.1/srv/data/in.bin?nfsport=32049&mountport=32050" "$work/mover/out.bin" >>"$work/mover1.log" 2>&1
moved=$(( $(bridge_bytes) - before ))
sed 's/^/  mover: /' "$work/mover1.log"
check "host mover: the copy in is identical" cmp -s "$work/in.bin" "$work/a/in.bin"
check "host mover: the copy out is identical" cmp -s "$work/in.bin" "$work/mover/out.bin"
check "host mover: both mounts confirmed through the published NFS port" \
  test "$(grep -c "confirmed through its NFS port 32049, map $map_a\$" "$work/mover1.log")" -eq 2
say "host mover: $moved bytes on the podman bridge for $((2 * size)) bytes copied"
check "host mover: bypassed (under 1% on the bridge)" under1pct "$moved" $((2 * size))

serve localio-topo-b 33049 33050 "$work/b" "$work/node-b.conf"
check "two servers: the second server container is ready" ready localio-topo-b
map_b=$work/maps/b-node-2049.map
check "two servers: both maps are in the directory, each under its own name" \
  test -f "$map_a" -a -f "$map_b"
mkdir -p "$work/a/tree"
files=6
for i in $(seq $files); do head -c $((8 << 20)) /dev/urandom >"$work/a/tree/f$i"; done
chown -R 1000:2000 "$work/a/tree"
mkdir -p "$work/b/tree" && chown 1000:2000 "$work/b/tree"
before=$(bridge_bytes)
: >"$work/mover2.log"
for i in $(seq $files); do
  as_mover env LD_PRELOAD="$shim" LOCALIO_MAP="$work/maps" LOCALIO_PATH_MAP="/srv/data=$work/a" LOCALIO_LOG=2 \
    nfs-cp "nfs://127.0.0.1/srv/data/tree/f$i?nfsport=32049&mountport=32050" \
    "nfs://127.0.0.1/data/tree/f$i?version=4&nfsport=33049" >>"$work/mover2.log" 2>&1
done
moved=$(( $(bridge_bytes) - before ))
sed 's/^/  mover: /' "$work/mover2.log" | sort | uniq -c | sed 's/^ */  /'
same=0
for i in $(seq $files); do cmp -s "$work/a/tree/f$i" "$work/b/tree/f$i" && same=$((same + 1)); done
check "two servers: every file of the tree arrived identical ($same of $files)" test "$same" -eq "$files"
check "two servers: each process confirmed server 1's map through its NFS port" \
  test "$(grep -c "confirmed through its NFS port 32049, map $map_a\$" "$work/mover2.log")" -eq "$files"
check "two servers: and server 2's through its own" \
  test "$(grep -c "confirmed through its NFS port 33049, map $map_b\$" "$work/mover2.log")" -eq "$files"
say "two servers: $moved bytes on the podman bridge for $((2 * files * (8 << 20))) bytes read and written"
check "two servers: both sides bypassed (under 1% on the bridge)" under1pct "$moved" $((2 * files * (8 << 20)))

# 3. One server per node, two application pods.
for n in "${names[@]}"; do podman rm -f "$n" >/dev/null 2>&1; done
mkdir -p "$work/node-maps" "$work/node-data" "$work/pods"
mount -t tmpfs -o mode=0755,size=256m tmpfs "$work/node-maps"
gateway=$(podman network inspect podman --format '{{range .Subnets}}{{.Gateway}}{{end}}' 2>/dev/null)
[ -n "$gateway" ] || gateway=10.88.0.1
# The pods of the manifest, with this run's hostPaths, images and the
# node's address on the bridge (status.hostIP).
python3 - "$here/config/k8s-daemonset.yaml" "$work" "$v" "$gateway" <<'PY'
import copy, sys, yaml
manifest, work, release, node_ip = sys.argv[1:]
paths = {"/var/lib/localio/data": work + "/node-data", "/run/localio": work + "/node-maps"}
def pod(name, template):
    spec = copy.deepcopy(template["spec"])
    for vol in spec.get("volumes", []):
        vol["hostPath"]["path"] = paths[vol["hostPath"]["path"]]
        vol["hostPath"].pop("type", None)
    for c in spec["containers"]:
        c["image"] = c["image"].replace(":0.1", ":deb" + release)
        env = []
        for e in c.get("env", []):
            if e["name"] == "NODE_IP":
                continue
            if "value" in e:
                e["value"] = e["value"].replace("$(NODE_IP)", node_ip)
            env.append(e)
        c["env"] = env
        c.pop("readinessProbe", None)
        # podman 4.3 refuses port mappings with the host's network; on the
        # node's network the port is the container's own anyway.
        if spec.get("hostNetwork"):
            c.pop("ports", None)
    spec["restartPolicy"] = "Never" if name != "nfs-localio-node" else "Always"
    out = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name}, "spec": spec}
    with open(f"{work}/pods/{name}.yaml", "w") as f:
        yaml.safe_dump(out, f)
docs = list(yaml.safe_load_all(open(manifest)))
kinds = {d["kind"]: d for d in docs}
pod("nfs-localio-node", kinds["DaemonSet"]["spec"]["template"])
for i in range(1, kinds["Deployment"]["spec"]["replicas"] + 1):
    pod(f"nfs-localio-app-{i}", kinds["Deployment"]["spec"]["template"])
PY
check "node server: the pods are made from config/k8s-daemonset.yaml" \
  test -f "$work/pods/nfs-localio-app-2.yaml"
podman kube play "$work/pods/nfs-localio-node.yaml" >"$work/kube-node.log" 2>&1 || cat "$work/kube-node.log"
check "node server: the DaemonSet's server is ready on the node's network" ready nfs-localio-node-ganesha
node_map=$(ls "$work/node-maps"/*.map 2>/dev/null | head -n 1)
check "node server: its metrics container serves localio_server_up 1 on the node's :9588" \
  until_ok 20 metrics_up nfs-localio-node-ganesha
check "node server: its map is in the node's hostPath ($(basename "${node_map:-none}"))" test -n "$node_map"
pod_netns() {  # the network namespace of pod $1 (its infra container's), while it runs
  local infra pid
  infra=$(podman pod inspect -f '{{.InfraContainerID}}' "$1" 2>/dev/null)
  pid=$(podman inspect -f '{{.State.Pid}}' "$infra" 2>/dev/null)
  [ -n "$pid" ] && [ "$pid" != 0 ] && readlink "/proc/$pid/ns/net"
}
declare -A app_netns
for i in 1 2; do
  podman kube play "$work/pods/nfs-localio-app-$i.yaml" >"$work/kube-app-$i.log" 2>&1 || cat "$work/kube-app-$i.log"
  app_netns[$i]=$(pod_netns "nfs-localio-app-$i")
done
for i in 1 2; do
  c=nfs-localio-app-$i-client
  deadline=$(( $(date +%s) + 240 ))
  until [ "$(podman inspect -f '{{.State.Status}}' "$c" 2>/dev/null)" = exited ]; do
    [ "$(date +%s)" -lt "$deadline" ] || break
    sleep 1
  done
  podman logs "$c" >"$work/app-$i.log" 2>&1
  sed "s/^/  app $i: /" "$work/app-$i.log"
  check "node server: application pod $i copied in and out, identical" grep -q 'and back, identical' "$work/app-$i.log"
  check "node server: application pod $i bypassed (under 1% of the data on its network)" \
    awk '/of the data/ { s = $(NF - 3); sub("%", "", s); found = 1 } END { exit !(found && s + 0 < 1) }' "$work/app-$i.log"
done
ns1=${app_netns[1]} ns2=${app_netns[2]}
say "node server: application pods' network namespaces: ${ns1:-?} and ${ns2:-?}; the node's $(readlink /proc/self/ns/net)"
check "node server: the two pods are in network namespaces of their own, not the node's" \
  test -n "$ns1" -a -n "$ns2" -a "$ns1" != "$ns2" -a "$ns1" != "$(readlink /proc/self/ns/net)"

check_summary
