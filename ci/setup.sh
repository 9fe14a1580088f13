#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-3.0-or-later
# Installs every build and test dependency from Debian's packages and fetches
# the headers of the installed nfs-ganesha from Debian's source package into
# an ignored cache (.deps/nfs-ganesha-<version>). Run as root on Debian 12 or
# 13. Safe to run twice: each step checks first, and a second run needs no
# network.
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
deps_dir=${LOCALIO_DEPS_DIR:-$here/.deps}

packages=(
  build-essential cmake pkg-config git
  nfs-ganesha nfs-ganesha-vfs libntirpc-dev
  libnfs-dev libnfs-utils
  libcmocka-dev googletest libgtest-dev nlohmann-json3-dev
  rpcbind netbase liburcu-dev libkrb5-dev
  clang libclang-rt-dev
  iproute2 procps psmisc util-linux e2fsprogs
  gnuplot-nox file
)

log() { echo "setup: $*"; }

need_root() {
  if [ "$(id -u)" -ne 0 ]; then
    echo "setup: installing packages needs root (run: sudo $0)" >&2
    exit 1
  fi
}

missing_packages() {
  local p
  for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || echo "$p"
  done
}

# deb-src twin of Debian's deb entries, needed for 'apt-get source'.
ensure_deb_src() {
  local src=/etc/apt/sources.list.d/debian.sources
  local twin=/etc/apt/sources.list.d/localio-deb-src.sources
  if grep -rqs '^Types:.*deb-src' /etc/apt/sources.list.d/ ||
     grep -qs '^deb-src' /etc/apt/sources.list; then
    return 1
  fi
  if [ -f "$src" ]; then
    sed 's/^Types:.*/Types: deb-src/' "$src" > "$twin"
  else
    grep '^deb ' /etc/apt/sources.list | sed 's/^deb /deb-src /' > /etc/apt/sources.list.d/localio-deb-src.list
  fi
  return 0
}

install_packages() {
  local missing
  missing=$(missing_packages)
  local added_src=0
  ensure_deb_src && added_src=1
  if [ -n "$missing" ] || [ "$added_src" = 1 ] || [ ! -d /var/lib/apt/lists ] ||
     [ -z "$(ls /var/lib/apt/lists/*Sources* 2>/dev/null)" ]; then
    need_root
    log "apt-get update"
    apt-get update -qq
  fi
  if [ -n "$missing" ]; then
    need_root
    log "installing:" $missing
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >/dev/null
  else
    log "packages present"
  fi
}

# Ganesha ships no -dev package: take the headers from the source package of
# the version that is installed (CMake finds them by the same version).
fetch_ganesha_headers() {
  local ganesha_deb_version ganesha_version
  ganesha_deb_version=$(dpkg-query -W -f='${Version}' nfs-ganesha)
  ganesha_version=${ganesha_deb_version#*:}
  ganesha_version=${ganesha_version%%-*}
  local dest=$deps_dir/nfs-ganesha-$ganesha_version
  if [ -f "$dest/src/include/fsal_api.h" ]; then
    log "ganesha headers present in $dest"
    return
  fi
  mkdir -p "$deps_dir"
  local tarball=$deps_dir/nfs-ganesha_$ganesha_version.orig.tar.gz
  if [ ! -s "$tarball" ]; then
    log "fetching nfs-ganesha $ganesha_deb_version source"
    (cd "$deps_dir" && apt-get source -qq --download-only --tar-only "nfs-ganesha=$ganesha_deb_version")
  fi
  local tmp
  tmp=$(mktemp -d "$deps_dir/extract.XXXXXX")
  tar -xzf "$tarball" -C "$tmp"
  local top
  top=$(find "$tmp" -mindepth 1 -maxdepth 1 -type d | head -n 1)
  rm -rf "$dest"
  mv "$top" "$dest"
  rm -rf "$tmp"
  log "ganesha headers in $dest"
}

install_packages
fetch_ganesha_headers
log "done"
