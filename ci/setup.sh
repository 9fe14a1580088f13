#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-3.0-or-later
# Installs every build and test dependency from Debian's packages and fetches
# the headers of the installed nfs-ganesha from Debian's source package into
# an ignored cache (.deps/nfs-ganesha-<version>). On Debian 12 it also builds
# fio with its libnfs engine from Debian's source package into that cache
# (.deps/fio-<version>-nfs/bin/fio; Debian 13's fio package has the engine).
# Run as root on Debian 12 or 13. Safe to run twice: each step checks first,
# and a second run needs no network.
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
deps_dir=${LOCALIO_DEPS_DIR:-$here/.deps}

packages=(
  build-essential cmake pkg-config git
  nfs-ganesha nfs-ganesha-vfs
  libnfs-dev libnfs-utils
  libcmocka-dev googletest libgtest-dev nlohmann-json3-dev
  rpcbind netbase liburcu-dev libkrb5-dev
  clang libclang-rt-dev
  iproute2 iptables procps psmisc util-linux e2fsprogs
  gnuplot-nox file
  # localio-stat --serve (HTTP), and promtool + prometheus for its tests.
  libmicrohttpd-dev prometheus curl
  # qemu-img and qemu-io on nfs:// URLs: qemu-block-extra has block-nfs.so.
  qemu-utils qemu-block-extra
)

# The Debian release decides where fio's nfs engine comes from: Debian 13's
# fio package is built with libnfs, Debian 12's (3.33-3) is not (its
# Build-Depends lack libnfs-dev), so there build_fio makes one from the same
# source package, with only what fio's libaio engine and its zlib features
# need on top of build-essential and libnfs-dev.
release=$(sh "$here/ci/debian-release.sh")
if [ "$release" = 12 ]; then
  packages+=(libaio-dev zlib1g-dev)
else
  packages+=(fio)
fi

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
# Either form counts as present, our one-line twin included (a root made by
# debootstrap has only /etc/apt/sources.list): else every run would add it
# again and run apt-get update.
ensure_deb_src() {
  local src=/etc/apt/sources.list.d/debian.sources
  local twin=/etc/apt/sources.list.d/localio-deb-src.sources
  if grep -rqsE '^(Types:.*deb-src|deb-src )' /etc/apt/sources.list.d/ ||
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

# libntirpc's headers at the very version the installed server links:
# Ganesha's headers include them, and their structures differ between
# versions. Where apt offers that libntirpc-dev (Debian 12, 13) it is
# installed; forky keeps nfs-ganesha 9.14 on libntirpc7.2 while its
# libntirpc-dev is already 15.2's, so there the 7.2 package is fetched from
# the mirror's pool (Debian's own .deb) and unpacked, not installed, into
# .deps/libntirpc-dev_<version>, where cmake/Ganesha.cmake looks first.
fetch_ntirpc_headers() {
  local runtime version candidate
  runtime=$(dpkg-query -W -f='${Depends}' nfs-ganesha | grep -oE 'libntirpc[0-9]+[.0-9]*' | head -n 1)
  if [ -z "$runtime" ]; then
    echo "setup: cannot tell which libntirpc nfs-ganesha links (its Depends name none)" >&2
    exit 1
  fi
  version=$(dpkg-query -W -f='${Version}' "$runtime")
  if [ "$(dpkg-query -W -f='${Version}' libntirpc-dev 2>/dev/null || true)" = "$version" ]; then
    log "libntirpc-dev $version present"
    return
  fi
  local dest=$deps_dir/libntirpc-dev_$version
  if [ -f "$dest/usr/include/ntirpc/rpc/xdr.h" ]; then
    log "libntirpc-dev $version headers present in $dest"
    return
  fi
  candidate=$(apt-cache policy libntirpc-dev | awk '$1 == "Candidate:" {print $2}')
  need_root
  if [ "$candidate" = "$version" ]; then
    log "installing libntirpc-dev $version"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "libntirpc-dev=$version" >/dev/null
    return
  fi
  # shellcheck source=ci/debian-mirror.sh
  . "$here/ci/debian-mirror.sh"
  local deb url
  deb=libntirpc-dev_${version#*:}_$(dpkg --print-architecture).deb
  url=$(debian_mirror)/pool/main/n/ntirpc/$deb
  log "apt offers libntirpc-dev ${candidate:-none}, the server links $runtime $version: fetching $url"
  mkdir -p "$deps_dir"
  if ! curl -fsSL -o "$deps_dir/$deb" "$url"; then
    echo "setup: cannot fetch $url: the headers of $runtime $version are needed to build the FSAL" >&2
    exit 1
  fi
  rm -rf "$dest"
  dpkg-deb -x "$deps_dir/$deb" "$dest"
  log "libntirpc-dev $version headers in $dest"
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

# True when the fio at $1 runs here and lists the nfs engine (built in).
fio_has_nfs() {
  "$1" --enghelp 2>/dev/null | grep -qx '[[:space:]]*nfs'
}

# Debian 12 only: fio with its libnfs ("nfs") engine, built from Debian's
# source package of the fio version apt offers (Debian's patches applied,
# Debian's hardening flags) and installed, the binary alone, into
# .deps/fio-<version>-nfs/bin/fio, where cmake/NfsClientTools.cmake looks.
# The downloaded source stays in the cache: a rebuild needs no network.
build_fio() {
  [ "$release" = 12 ] || return 0
  local deb_version
  deb_version=$(apt-cache policy fio | awk '$1 == "Candidate:" {print $2}')
  if [ -z "$deb_version" ] || [ "$deb_version" = "(none)" ]; then
    echo "setup: apt offers no fio package to take the source of" >&2
    exit 1
  fi
  local file_version=${deb_version#*:}          # no epoch in file names
  local version=${file_version%-*}              # upstream: 3.33
  local dest=$deps_dir/fio-$version-nfs
  if fio_has_nfs "$dest/bin/fio"; then
    log "fio $version with the nfs engine present in $dest"
    return
  fi
  mkdir -p "$deps_dir"
  local dsc=$deps_dir/fio_$file_version.dsc
  # The .dsc and every file it lists (orig tarball, debian tarball).
  local have_source=0 f
  if [ -s "$dsc" ]; then
    have_source=1
    for f in $(awk '/^Files:/ {on = 1; next} /^[^ ]/ {on = 0} on {print $3}' "$dsc"); do
      [ -s "$deps_dir/$f" ] || have_source=0
    done
  fi
  if [ "$have_source" = 0 ]; then
    log "fetching fio $deb_version source"
    (cd "$deps_dir" && apt-get source -qq --download-only "fio=$deb_version")
  fi
  local work=$deps_dir/fio-$version-build
  rm -rf "$work" "$dest"
  mkdir -p "$work"
  # dpkg-source applies Debian's patches (one lets CPPFLAGS through).
  if ! dpkg-source -x "$dsc" "$work/src" >"$work/build.log" 2>&1; then
    cat "$work/build.log" >&2
    echo "setup: unpacking $dsc failed" >&2
    exit 1
  fi
  log "building fio $version with libnfs (under a minute on 2 cores; log: $work/build.log)"
  local start=$SECONDS
  # --enable-libnfs: configure fails instead of leaving the engine out.
  # --disable-native: no -march=native, the binary runs on any amd64.
  if ! (cd "$work/src" &&
        eval "$(DEB_BUILD_MAINT_OPTIONS=hardening=+all dpkg-buildflags --export=sh)" &&
        ./configure --disable-native --enable-libnfs &&
        make -j"$(nproc)") >>"$work/build.log" 2>&1; then
    tail -n 20 "$work/build.log" >&2
    echo "setup: building fio failed (log: $work/build.log)" >&2
    exit 1
  fi
  install -D -m 0755 "$work/src/fio" "$dest/bin/fio"
  if ! fio_has_nfs "$dest/bin/fio"; then
    echo "setup: the fio built in $work has no nfs engine (log: $work/build.log)" >&2
    rm -rf "$dest"
    exit 1
  fi
  rm -rf "$work"
  log "$("$dest/bin/fio" --version) with the nfs engine in $dest ($((SECONDS - start)) s)"
}

install_packages
fetch_ntirpc_headers
fetch_ganesha_headers
build_fio
log "done"
