#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-3.0-or-later
# Builds the project's .deb packages for the Debian release this machine
# (or root) runs: localio-fsal, liblocalio-client, localio-preload, into
# LOCALIO_PACKAGE_DIR (default build-packages-debian<N>/). Installs what is
# missing first (ci/setup.sh). Prints the packages' paths. Safe to run twice.
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
release=$(sh "$here/ci/debian-release.sh")
build=${LOCALIO_PACKAGE_DIR:-$here/build-packages-debian$release}

bash "$here/ci/setup.sh" >&2
cmake -S "$here" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_INSTALL_PREFIX=/usr \
  -DLOCALIO_BUILD_TESTS=OFF >&2
cmake --build "$build" -j"$(nproc)" >&2
rm -f "$build"/*.deb
(cd "$build" && cpack -G DEB >&2)
ls "$build"/*.deb
