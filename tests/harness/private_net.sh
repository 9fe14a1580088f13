#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-3.0-or-later
# Runs a test in network, mount and pid namespaces of its own (ctest:
# localio_test(... PRIVATE_NET)): only loopback, up, with 127.0.0.1 and
# 127.0.0.2 (glibc's AI_ADDRCONFIG ignores a lone 127.0.0.1); a sysfs that
# shows this loopback's byte counters (the tests' meter of the bypass, which
# no other test then disturbs); private tmpfs on /run (rpcbind's socket,
# /run/ganesha) and /dev/shm; and an rpcbind of its own. Every process the
# test starts ends with it. Run as root.
#   private_net.sh COMMAND [ARG...]
set -euo pipefail
if [ "${1:-}" != --inside ]; then
  exec unshare --net --mount --pid --fork --propagation private -- bash "$0" --inside "$@"
fi
shift
mount -t proc proc /proc
mount -t sysfs -o ro sysfs /sys
mount -t tmpfs -o mode=0755 tmpfs /run
mkdir -p /run/ganesha /run/lock
mount -t tmpfs -o mode=1777 tmpfs /dev/shm
ip link set lo up
ip addr add 127.0.0.2/8 dev lo
rpcbind -f -w &
for _ in $(seq 100); do
  rpcinfo -p 127.0.0.1 >/dev/null 2>&1 && break
  sleep 0.05
done
rpcinfo -p 127.0.0.1 >/dev/null 2>&1 || { echo "private_net: rpcbind did not answer" >&2; exit 1; }
"$@"
