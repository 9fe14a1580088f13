#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-3.0-or-later
# Runs a command inside a root made by ci/debian-root.sh:
#   ci/in-root.sh [--private-net] DIR -- COMMAND [ARG...]
# The command gets private mount and pid namespaces (every process it starts
# ends with it), this tree at /src, proc, a read-only sysfs, a tmpfs on /run,
# the host's /dev (loop devices for the tests' small filesystems, /dev/pts)
# with a tmpfs of its own on /dev/shm. With --private-net it also
# gets a network namespace of its own with only loopback up (127.0.0.1 and
# 127.0.0.2: glibc's AI_ADDRCONFIG ignores a lone 127.0.0.1, and Ganesha then
# finds no address for its Bind_addr); without it, the host's network (for
# apt). LOCALIO_* variables pass through; the rest of the environment does
# not. Run as root.
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
usage="usage: ci/in-root.sh [--private-net] DIR -- COMMAND [ARG...]"

if [ "${1:-}" = --inside ]; then
  # Second stage, already in the new namespaces.
  shift
  net=$1 dir=$2
  shift 2
  # Ganesha's VFS finds an export's filesystem in /proc/self/mounts: the root
  # must be a mount point of its own.
  mount --bind "$dir" "$dir"
  mount -t proc proc "$dir/proc"
  # Read-only sysfs: with --private-net it shows this namespace's loopback
  # (the tests meter its bytes).
  mount -t sysfs -o ro sysfs "$dir/sys"
  mount -t tmpfs -o mode=0755 tmpfs "$dir/run"
  mkdir -p "$dir/run/ganesha"
  mount --rbind /dev "$dir/dev"  # with /dev/pts, which apt wants for its log
  mount -t tmpfs -o mode=1777 tmpfs "$dir/dev/shm"
  mkdir -p "$dir/src"
  mount --bind "$here" "$dir/src"
  if [ "$net" = 1 ]; then
    ip link set lo up
    ip addr add 127.0.0.2/8 dev lo
  else
    touch "$dir/etc/resolv.conf"
    mount --bind /etc/resolv.conf "$dir/etc/resolv.conf"
  fi
  env_args=(PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root
            LANG=C.UTF-8 TERM="${TERM:-dumb}")
  while IFS= read -r name; do env_args+=("$name=${!name}"); done < <(compgen -e | grep '^LOCALIO_' || true)
  exec chroot "$dir" /usr/bin/env -i "${env_args[@]}" "$@"
fi

net=0
if [ "${1:-}" = --private-net ]; then net=1; shift; fi
dir=${1:?$usage}
shift
[ "${1:-}" = -- ] || { echo "$usage" >&2; exit 2; }
shift
[ $# -gt 0 ] || { echo "$usage" >&2; exit 2; }
if [ ! -f "$dir/.localio-root" ]; then
  echo "in-root: $dir is not a root made by ci/debian-root.sh" >&2
  exit 1
fi
dir=$(cd "$dir" && pwd)
ns=(--mount --pid --fork --propagation private)
[ "$net" = 1 ] && ns+=(--net)
exec unshare "${ns[@]}" -- bash "$here/ci/in-root.sh" --inside "$net" "$dir" "$@"
