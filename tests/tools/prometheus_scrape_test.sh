#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-3.0-or-later
# localio-stat's metrics against the real tools: promtool accepts
# `localio-stat --prometheus`, and a real prometheus, started here, scrapes
# `localio-stat --serve` next to a running ganesha.nfsd (localio-testserver)
# and a client that bypasses (localio-fault-client, the C API): its query
# API returns the client's bypassed bytes and the server's up. Where the
# server is Ganesha 9.x (built with its own exporter, libganesha_monitoring),
# its exporter runs too (Enable_Metrics, Monitoring_Port) and the same
# prometheus scrapes both side by side, as docs/DEPLOYMENT.md shows: Ganesha's
# rpcs_received_total counts the client's RPCs. Runs in a
# network namespace of its own (tests/harness/private_net.sh); every
# process it starts is stopped by pid.
#   prometheus_scrape_test.sh TESTSERVER LOCALIO_STAT FAULT_CLIENT
set -uo pipefail
testserver=$1 stat=$2 client=$3
work=$(mktemp -d /tmp/localio-prometheus.XXXXXX)
pids=()
check_prefix=prometheus
source "$(dirname "$0")/../harness/checks.sh"
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
  wait 2>/dev/null
  rm -rf "$work" /dev/shm/localio-prometheus-maps
}
trap cleanup EXIT
[ -n "${LOCALIO_KEEP:-}" ] && trap - EXIT
field() { grep -o "$2=[^ ]*" "$1" | head -n 1 | cut -d= -f2-; }

maps=/dev/shm/localio-prometheus-maps
mkdir -m 0755 "$maps"
core=()
ganesha_exporter=""
if ganesha.nfsd -v 2>&1 | grep -q 'Release = V9\.'; then
  port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  core=(--core-line "Enable_Metrics = true;" --core-line "Monitoring_Port = $port;")
  ganesha_exporter=127.0.0.1:$port
fi
"$testserver" --export --map-dir "$maps" "${core[@]}" >"$work/server.out" 2>&1 &
pids+=($!)
until_ok 60 grep -q '^ready' "$work/server.out" || { cat "$work/server.out"; exit 1; }
export_dir=$(field "$work/server.out" path)
head -c $((1 << 20)) /dev/zero >"$export_dir/scrape.bin"
"$client" rw "nfs://127.0.0.1$export_dir?nfsport=$(field "$work/server.out" nfs_port)&mountport=$(field "$work/server.out" mnt_port)" \
  "$maps" "$work/stop" file=/scrape.bin id=1 blocks=16 fsync=4 seconds=120 timeout_ms=2000 \
  >"$work/client.out" 2>&1 &
pids+=($!)
check "the client bypasses" until_ok 30 grep -q '^ready ' "$work/client.out"

"$stat" --prometheus "$maps" >"$work/metrics.txt"
check "promtool check metrics accepts localio-stat --prometheus" promtool check metrics <"$work/metrics.txt"
check "the text names the client's bypassed writes" \
  grep -qE '^localio_client_bypassed_bytes_total\{.*op="write"\} [1-9]' "$work/metrics.txt"

"$stat" --serve 127.0.0.1:0 "$maps" >"$work/serve.out" 2>&1 &
pids+=($!)
until_ok 10 grep -q 'serving http' "$work/serve.out"
exporter=$(sed -n 's|.*serving http://\([^/]*\)/metrics|\1|p' "$work/serve.out")
check "localio-stat --serve listens ($exporter)" test -n "$exporter"
check "GET /metrics answers in the text format" \
  bash -c "curl -sf -D '$work/headers' 'http://$exporter/metrics' | promtool check metrics && grep -qi 'content-type: text/plain; version=0.0.4' '$work/headers'"
check "another path is 404" \
  test "$(curl -s -o /dev/null -w '%{http_code}' "http://$exporter/other")" = 404

cat >"$work/prometheus.yml" <<YML
global:
  scrape_interval: 1s
scrape_configs:
  - job_name: localio
    static_configs:
      - targets: ['$exporter']
YML
if [ -n "$ganesha_exporter" ]; then
  cat >>"$work/prometheus.yml" <<YML
  - job_name: ganesha
    static_configs:
      - targets: ['$ganesha_exporter']
YML
fi
prometheus --config.file="$work/prometheus.yml" --storage.tsdb.path="$work/tsdb" \
  --web.listen-address=127.0.0.1:0 >"$work/prometheus.log" 2>&1 &
pids+=($!)
# prometheus logs the address it listens on (port 0: the kernel's choice).
until_ok 30 grep -q 'msg="Listening on"' "$work/prometheus.log"
web=$(grep 'msg="Listening on"' "$work/prometheus.log" | grep -o 'address=[^ ]*' | head -n 1 | cut -d= -f2)
query() {  # query PROMQL: the first sample's value, "" if none
  curl -sf --get "http://$web/api/v1/query" --data-urlencode "query=$1" |
    python3 -c 'import json, sys
r = json.load(sys.stdin)["data"]["result"]
print(r[0]["value"][1] if r else "")'
}
positive() { local v; v=$(query "$1"); [ -n "$v" ] && awk -v v="$v" 'BEGIN { exit !(v + 0 > 0) }'; }
up_is_1() { [ "$(query localio_server_up)" = 1 ]; }
check "prometheus ($web) scraped the exporter: localio_server_up is 1" until_ok 30 up_is_1
check "its query API returns the client's bypassed bytes (writes)" \
  until_ok 30 positive 'sum(localio_client_bypassed_bytes_total{op="write"})'
say "bypassed write bytes in prometheus: $(query 'sum(localio_client_bypassed_bytes_total{op="write"})')"
check "and the same by export (export_id 1, the test server's only export)" \
  until_ok 30 positive 'sum by (export_id) (localio_client_export_bypassed_bytes_total{op="write",export_id="1"})'
if [ -n "$ganesha_exporter" ]; then
  ganesha_up() { [ "$(query 'up{job="ganesha"}')" = 1 ]; }
  check "prometheus scraped Ganesha 9's own exporter ($ganesha_exporter) beside LOCALIO's" until_ok 30 ganesha_up
  check "Ganesha's rpcs_received_total counts the client's RPCs" until_ok 30 positive 'sum(rpcs_received_total)'
  say "Ganesha's rpcs_received_total: $(query 'sum(rpcs_received_total)'), LOCALIO's bypassed write operations: $(query 'sum(localio_client_bypassed_operations_total{op="write"})')"
fi

touch "$work/stop"
check_summary
