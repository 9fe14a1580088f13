#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-3.0-or-later
# The sidecar deployment, run for real under podman, for Debian 12, 13 and
# 14 (forky):
#   1. installs podman, runc, catatonit and docker-compose from Debian's
#      packages; podman runs with this project's ci/containers.conf
#      (CONTAINERS_CONF), docker-compose against a podman API socket of this
#      run's own (podman-compose 1.0.3 cannot share a network namespace
#      between services: it turns network_mode "service:ganesha" into an
#      option podman refuses);
#   2. makes the base images debian:12, debian:13 and debian:14 from
#      debootstrap minbase roots (no image registry is reachable), unless
#      images of those names exist (forky's root, and so its images, carry
#      ci/debian-root.sh's apt setting for an expired testing Release file);
#   3. builds the ganesha, client and client-test images of config/Dockerfile
#      for the release and tags them as the deployment files name them;
#   4. podman kube play config/k8s-pod.yaml, unmodified: the example client's
#      copy is identical and bypassed (its loopback share, measured in the
#      pod's network namespace, under 1%), the server is ready, the map and
#      its hello file fit the memory volume's sizeLimit for the image's
#      Max_Entries, the map's directory is root's and 0755 and the map and
#      hello file 0640/0660 root:localio; then a long-lived client in the pod
#      (localio-fault-client, NFSv3) bypasses, the map's directory is opened
#      to all (0777, as Kubernetes makes an emptyDir) and given a file of uid
#      1000, the server container is killed and started again (its entry
#      point takes the directory back and removes that file), the client
#      falls back to RPC, handshakes again, shows its counters in
#      localio-stat, and every block it verifies (written and fsynced before
#      and after the kill) is intact;
#   5. docker-compose up on config/docker-compose.yml, unmodified: the same
#      copy checks, the tmpfs volume's size, and the map's modes;
#   6. the topologies beyond the sidecar (ci/test-topologies.sh, in a
#      network namespace of its own): a data mover on the host under the
#      shim (PRELOAD_LIBRARY, the build's) and ganesha.nfsd in containers
#      with published ports, one and two servers; the DaemonSet's server
#      with two application pods (config/k8s-daemonset.yaml);
#   7. removes the pods, containers and volumes it made, by name, and the
#      images, by name and by id (every image that was not there before).
# Ends with "N passed, M failed". Run as root. Safe to run twice.
#   test-deployment.sh [PRELOAD_LIBRARY]   (without it, step 6 is not run)
#   LOCALIO_DEPLOY_RELEASES="12 13 14"     the releases, in this order
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
preload=${1:-}
cache=$here/.cache/rootfs
export CONTAINERS_CONF=$here/ci/containers.conf
work=$(mktemp -d /tmp/localio-deployment.XXXXXX)
made_images=()
service_pid=""

check_prefix=deployment
source "$here/tests/harness/checks.sh"
source "$here/ci/container-checks.sh"

cleanup() {
  set +e
  podman kube down "$here/config/k8s-pod.yaml" >/dev/null 2>&1
  podman rm -f nfs-localio-restart-client >/dev/null 2>&1
  if [ -n "$service_pid" ]; then
    (cd "$here/config" && DOCKER_HOST=unix://$work/podman.sock docker-compose -p localio-compose \
       down -v >/dev/null 2>&1)
    kill "$service_pid" 2>/dev/null; wait "$service_pid" 2>/dev/null
  fi
  for image in "${made_images[@]}"; do podman rmi -f "$image" >/dev/null 2>&1; done
  # The build stages' images and kube play's pause image are this run's too:
  # every image id that was not there when it began.
  local id
  for _ in 1 2; do  # children before parents
    for id in $(podman images -a -q --no-trunc | sort -u | comm -13 "$work/images-before" -); do
      podman rmi -f "$id" >/dev/null 2>&1
    done
  done
  rm -rf "$work"
}
trap cleanup EXIT

say "installing podman, runc, catatonit, docker-compose"
missing=()
for p in podman runc catatonit docker-compose python3-yaml; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

podman images -a -q --no-trunc | sort -u >"$work/images-before"
podman system service --time=0 "unix://$work/podman.sock" >"$work/podman-service.log" 2>&1 &
service_pid=$!
for _ in $(seq 50); do [ -S "$work/podman.sock" ] && break; sleep 0.1; done

# The example client's report: its loopback share (percent) below 1.
share_under_1() { awk '/of the data/ { s = $(NF - 3); sub("%", "", s); found = 1 }
                       END { exit !(found && s + 0 < 1) }' "$1"; }
# map_modes_are CONTAINER: the map's directory, the map and its hello file
# have the owners and modes clients trust.
map_modes_are() {
  [ "$(podman exec "$1" stat -c '%U:%G %a' /run/localio /run/localio/map /run/localio/map.hello |
       tr '\n' ' ')" = "root:root 755 root:localio 640 root:localio 660 " ]
}
container_exit() { podman inspect -f '{{.State.ExitCode}}' "$1" 2>/dev/null; }
container_done() { [ "$(podman inspect -f '{{.State.Status}}' "$1" 2>/dev/null)" = exited ]; }

run_pod() {
  local v=$1
  say "Debian $v: podman kube play config/k8s-pod.yaml"
  podman kube play "$here/config/k8s-pod.yaml" >"$work/kube-$v.log" 2>&1 || { cat "$work/kube-$v.log"; return 1; }
  until_ok 180 container_done nfs-localio-client || say "the example client did not finish in 180 s"
  podman logs nfs-localio-client >"$work/pod-client-$v.log" 2>&1
  sed 's/^/  client: /' "$work/pod-client-$v.log"
  check "Debian $v pod: the example client succeeded" \
    test "$(container_exit nfs-localio-client)" = 0
  check "Debian $v pod: its copy is identical" grep -q 'and back, identical' "$work/pod-client-$v.log"
  check "Debian $v pod: under 1% of the data crossed loopback" share_under_1 "$work/pod-client-$v.log"
  check "Debian $v pod: the server's readiness check passes" \
    podman exec nfs-localio-ganesha /usr/local/bin/localio-server-ready
  podman logs nfs-localio-ganesha >"$work/pod-server-$v.log" 2>&1
  check "Debian $v pod: the server loaded LOCALIO and stacked the export" \
    grep -q 'LOCALIO: export 10 (/srv/data) stacked over VFS' "$work/pod-server-$v.log"

  check "Debian $v pod: the map's directory is root's (755), the map 640 and its hello file 660 root:localio" \
    map_modes_are nfs-localio-ganesha
  check "Debian $v pod: the metrics sidecar serves localio_server_up 1 at :9588/metrics" \
    metrics_up nfs-localio-ganesha

  # The map and its hello file against the memory volume's sizeLimit.
  local limit_mi entries map_bytes
  limit_mi=$(sed -n 's/^ *sizeLimit: *\([0-9]*\)Mi$/\1/p' "$here/config/k8s-pod.yaml")
  entries=$(podman exec nfs-localio-ganesha localio-stat /run/localio/map | sed -n 's/^entries .* \/ \([0-9]*\).*/\1/p')
  map_bytes=$(podman exec nfs-localio-ganesha sh -c 'stat -c %s /run/localio/map /run/localio/map.hello' |
              awk '{ s += $1 } END { print s }')
  say "map of $entries entries: $map_bytes bytes with its hello file, volume sizeLimit ${limit_mi} MiB"
  check "Debian $v pod: the map for Max_Entries $entries fits the ${limit_mi}Mi volume" \
    test "$map_bytes" -le $((limit_mi << 20))

  restart_under_a_client "$v"
  podman kube down "$here/config/k8s-pod.yaml" >/dev/null 2>&1
}

restart_under_a_client() {
  local v=$1 log=$work/restart-client-$v.log
  say "Debian $v pod: a long-lived client, then the server killed and started again"
  podman exec nfs-localio-ganesha sh -c \
    'head -c 131072 /dev/zero >/srv/data/restart.bin && chown 1000:2000 /srv/data/restart.bin'
  # The C API client sees the volumes where the server does (no path map).
  podman run -d --name nfs-localio-restart-client --pod nfs-localio \
    --volumes-from nfs-localio-ganesha -u 1000:2000 --cap-drop ALL localio-client-test:0.1 \
    localio-fault-client rw nfs://127.0.0.1/srv/data /run/localio/map /tmp/stop \
    file=/restart.bin id=7 blocks=32 fsync=4 seconds=120 timeout_ms=2000 >/dev/null
  # grep reads the whole log: with -q it could stop early and fail the
  # pipeline (pipefail) with podman's broken pipe.
  log_has() { podman logs nfs-localio-restart-client 2>&1 | grep "$1" >/dev/null; }
  check "Debian $v restart: the client bypasses" until_ok 30 log_has '^ready '
  local stat_json=$work/stat-$v.json
  podman exec nfs-localio-ganesha localio-stat --json /run/localio/map >"$stat_json"
  check "Debian $v restart: localio-stat shows the client's bypassed writes" \
    grep -Eq '"write_ops": *[1-9]' "$stat_json"
  # The server's next start finds the directory as Kubernetes makes an
  # emptyDir (0777), with a file another uid put there meanwhile: its entry
  # point takes the directory back, or it would not publish the map there.
  podman exec nfs-localio-ganesha chmod 0777 /run/localio
  podman exec nfs-localio-restart-client touch /run/localio/left-by-uid-1000
  # Times on the kernel's monotonic clock, as the client's events are.
  local killed_ms
  killed_ms=$(awk '{ printf "%d", $1 * 1000 }' /proc/uptime)
  podman kill nfs-localio-ganesha >/dev/null
  check "Debian $v restart: the client falls back to RPC" \
    until_ok 10 log_has '^event fallback_server_changed'
  until_ok 10 container_done nfs-localio-ganesha || true
  podman start nfs-localio-ganesha >/dev/null 2>&1 || true  # may have restarted itself
  check "Debian $v restart: the server is ready again" \
    until_ok 60 podman exec nfs-localio-ganesha /usr/local/bin/localio-server-ready
  say "the server was ready again $(awk -v k="$killed_ms" '{ printf "%d", $1 * 1000 - k }' /proc/uptime) ms after the kill"
  check "Debian $v restart: the entry point made the map's directory root's and 755 again" \
    map_modes_are nfs-localio-ganesha
  check "Debian $v restart: and removed what uid 1000 left in it" \
    podman exec nfs-localio-ganesha test ! -e /run/localio/left-by-uid-1000
  check "Debian $v restart: the client handshakes again and bypasses" \
    until_ok 60 log_has '^event bypass_again'
  # The bypass decides at the start of a call; the RPC it then sends waits
  # for the dead server (timeout_ms) or the new one.
  podman logs nfs-localio-restart-client 2>&1 | awk -v k="$killed_ms" '
    /^event fallback_call_began/ { began = $3 }
    /^event fallback_server_changed/ {
      printf "deployment: the first call after the kill (begun %d ms after it) went to RPC; " \
             "that RPC returned %d ms after the kill\n", began - k, $3 - k }
    /^event bypass_again/ { printf "deployment: bypassed again %d ms after the kill\n", $3 - k }'
  fell_back_within() {  # fell_back_within MS: the bypass stopped within MS of the kill
    podman logs nfs-localio-restart-client 2>&1 |
      awk -v k="$killed_ms" -v limit="$1" '/^event fallback_call_began/ { found = 1; d = $3 - k }
                                           END { exit !(found && d < limit) }'
  }
  check "Debian $v restart: the bypass stopped within 1 s of the kill" fell_back_within 1000

  podman exec nfs-localio-restart-client touch /tmp/stop
  until_ok 60 container_done nfs-localio-restart-client || true
  podman logs nfs-localio-restart-client >"$log" 2>&1
  grep -E '^(ready|event|count (bad|rounds|read_ops|write_ops|fallback_server_changed|handshakes_ok))' \
    "$log" | sed 's/^/  restart client: /'
  check "Debian $v restart: every block read back as written, before and after the kill" \
    test "$(container_exit nfs-localio-restart-client)" = 0 -a -z "$(grep '^bad ' "$log")"
  podman rm -f nfs-localio-restart-client >/dev/null
}

run_compose() {
  local v=$1
  say "Debian $v: docker-compose up on config/docker-compose.yml (podman API)"
  export DOCKER_HOST=unix://$work/podman.sock
  (cd "$here/config" && docker-compose -p localio-compose up -d --no-build) >"$work/compose-$v.log" 2>&1 ||
    { cat "$work/compose-$v.log"; return 1; }
  until_ok 180 container_done localio-compose_client_1 || say "the example client did not finish in 180 s"
  podman logs localio-compose_client_1 >"$work/compose-client-$v.log" 2>&1
  sed 's/^/  client: /' "$work/compose-client-$v.log"
  check "Debian $v compose: the example client succeeded" \
    test "$(container_exit localio-compose_client_1)" = 0
  check "Debian $v compose: its copy is identical" grep -q 'and back, identical' "$work/compose-client-$v.log"
  check "Debian $v compose: under 1% of the data crossed loopback" share_under_1 "$work/compose-client-$v.log"
  local size_kib
  size_kib=$(podman exec localio-compose_ganesha_1 df -k /run/localio | awk 'NR == 2 { print $2 }')
  say "map volume: a tmpfs of $size_kib KiB"
  check "Debian $v compose: the map is on a 64 MiB tmpfs" test "$size_kib" = 65536
  check "Debian $v compose: the map's directory is root's (755), the map 640 and its hello file 660 root:localio" \
    map_modes_are localio-compose_ganesha_1
  (cd "$here/config" && docker-compose -p localio-compose down -v) >/dev/null 2>&1
  unset DOCKER_HOST
}

for v in ${LOCALIO_DEPLOY_RELEASES:-12 13 14}; do
  name=$(sh "$here/ci/debian-release.sh" codename "$v")
  if ! podman image exists "debian:$v"; then
    bash "$here/ci/debian-root.sh" "$name" "$cache/$name-base"
    tar -C "$cache/$name-base" -c . | podman import -q - "debian:$v" >/dev/null
    made_images+=("debian:$v")
  fi
  say "Debian $v: building the images"
  build_ok=1
  for target in ganesha client client-test; do
    if podman build -q --format docker --network host -f "$here/config/Dockerfile" \
         --build-arg "DEBIAN=$v" --target "$target" -t "localio-$target:deb$v" "$here" \
         >"$work/build-$target-$v.log" 2>&1; then
      made_images+=("localio-$target:deb$v")
      podman tag "localio-$target:deb$v" "localio-$target:0.1"
    else
      tail -n 30 "$work/build-$target-$v.log"; build_ok=0
    fi
  done
  made_images+=(localio-ganesha:0.1 localio-client:0.1 localio-client-test:0.1)
  check "Debian $v: the images build" test "$build_ok" = 1
  [ "$build_ok" = 1 ] || continue
  run_pod "$v" || check "Debian $v: the pod runs" false
  run_compose "$v" || check "Debian $v: the compose file runs" false
  if [ -n "$preload" ]; then
    bash "$here/ci/test-topologies.sh" "$v" "$preload" 2>&1 | tee "$work/topologies-$v.log" || true
    if [[ $(tail -n 1 "$work/topologies-$v.log") =~ ^([0-9]+)\ passed,\ ([0-9]+)\ failed$ ]]; then
      passed=$((passed + BASH_REMATCH[1])); failed=$((failed + BASH_REMATCH[2]))
    else
      check "Debian $v: the topologies ran to the end" false
    fi
  else
    say "Debian $v: no PRELOAD_LIBRARY given: the topologies are not run"
  fi
done
check_summary
