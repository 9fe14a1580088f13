# SPDX-License-Identifier: LGPL-3.0-or-later
# Checks on the project's containers that ci/test-deployment.sh and
# ci/test-topologies.sh share (sourced).
#   metrics_up CONTAINER  GET /metrics at 127.0.0.1:9588 in the container's
#                         network namespace (bash's /dev/tcp: the images have
#                         no HTTP client) says the server is up
metrics_up() {
  podman exec "$1" bash -c 'exec 3<>/dev/tcp/127.0.0.1/9588 &&
    printf "GET /metrics HTTP/1.0\r\n\r\n" >&3 && grep -q "^localio_server_up{.*} 1" <&3'
}
