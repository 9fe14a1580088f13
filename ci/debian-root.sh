#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-3.0-or-later
# Makes a Debian root filesystem for the project's tests, when it is missing:
#   ci/debian-root.sh RELEASE DIR      (RELEASE: trixie, bookworm, ...)
# debootstrap --variant=minbase from the mirror this machine's apt uses, then
# what every root of ours needs before ci/setup.sh can run in it: no daemon
# started by package scripts (policy-rc.d), /etc/mtab, /src for the tree.
# A release this debootstrap has no script for (forky, the testing release,
# on Debian 12) is made with sid's script, and its root's apt ignores the
# Release file's Valid-Until: testing's Release files expire after a week,
# and a mirror may be older than that (FACTS: "apt-get update fails ...
# expired"). That setting is written into the test root only.
# A root is complete when DIR/.localio-root names its release; anything else
# at DIR (an interrupted run) is removed and made again. Run as root.
set -euo pipefail

release=${1:?usage: ci/debian-root.sh RELEASE DIR}
dir=${2:?usage: ci/debian-root.sh RELEASE DIR}
stamp=$dir/.localio-root

log() { echo "debian-root: $*"; }

if [ "$(cat "$stamp" 2>/dev/null)" = "$release" ]; then
  log "$release root present in $dir"
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "debian-root: debootstrap needs root (run: sudo $0 $*)" >&2
  exit 1
fi
if ! command -v debootstrap >/dev/null; then
  log "installing debootstrap"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends debootstrap >/dev/null
fi

# shellcheck source=ci/debian-mirror.sh
. "$(dirname "$0")/debian-mirror.sh"

if [ -e "$dir" ]; then
  log "removing incomplete root $dir"
  rm -rf --one-file-system "$dir"
fi
mkdir -p "$(dirname "$dir")"
url=$(debian_mirror)
script=/usr/share/debootstrap/scripts/$release
testing=0
if [ ! -e "$script" ]; then
  script=/usr/share/debootstrap/scripts/sid
  testing=1
fi
log "debootstrap --variant=minbase $release from $url with $(basename "$script")'s script (about a minute)"
tmp=$dir.partial
rm -rf --one-file-system "$tmp"
if ! debootstrap --variant=minbase "$release" "$tmp" "$url" "$script" >"$tmp.log" 2>&1; then
  tail -n 20 "$tmp.log" >&2
  echo "debian-root: debootstrap of $release failed (log: $tmp.log)" >&2
  exit 1
fi
rm -f "$tmp.log"

# Package scripts must not start daemons: they would run outside any test's
# namespaces and outlive it.
printf '#!/bin/sh\nexit 101\n' >"$tmp/usr/sbin/policy-rc.d"
chmod 755 "$tmp/usr/sbin/policy-rc.d"
ln -sfn /proc/self/mounts "$tmp/etc/mtab"
# A machine names itself: debootstrap leaves no /etc/hosts.
[ -s "$tmp/etc/hosts" ] || printf '127.0.0.1	localhost
::1	localhost ip6-localhost ip6-loopback
' >"$tmp/etc/hosts"
if [ "$testing" = 1 ]; then
  echo 'Acquire::Check-Valid-Until "false";' >"$tmp/etc/apt/apt.conf.d/99localio-test-root"
fi
mkdir -p "$tmp/src"
echo "$release" >"$tmp/.localio-root"
mv "$tmp" "$dir"
log "$release root ready in $dir ($(du -sh --one-file-system "$dir" | cut -f1))"
