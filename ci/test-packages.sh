#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-3.0-or-later
# The .deb packages, as a new user gets them, for Debian 12, 13 and 14:
# builds them for each release (ci/package.sh: on this Debian 12 machine,
# and in the Debian 13 and 14 roots of ci/test-in-root.sh), installs them with apt-get in a
# fresh copy of that release's minbase root (.cache/rootfs/<release>-base,
# made by ci/debian-root.sh when missing), and runs ci/package-check.sh
# there. Removes the copies. Ends with "N passed, M failed". Run as root.
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
cache=$here/.cache/rootfs
passed=0 failed=0

# build_packages RELEASE: the packages' directory for RELEASE.
build_packages() {
  case $1 in
    bookworm) bash "$here/ci/package.sh" >/dev/null && echo "$here/build-packages-debian12" ;;
    *)
      bash "$here/ci/debian-root.sh" "$1" "$cache/$1" >&2
      bash "$here/ci/in-root.sh" "$cache/$1" -- bash /src/ci/package.sh >/dev/null &&
        echo "$here/build-packages-debian$(sh "$here/ci/debian-release.sh" number "$1")" ;;
  esac
}

for release in bookworm trixie forky; do
  echo "=== packages: $release"
  if ! debs=$(build_packages "$release"); then
    echo "test-packages: $release: the packages did not build"; failed=$((failed + 1)); continue
  fi
  ls "$debs"/*.deb
  bash "$here/ci/debian-root.sh" "$release" "$cache/$release-base"
  root=$(mktemp -d "$cache/packages-$release.XXXXXX")
  cp -a "$cache/$release-base/." "$root/"
  mkdir -p "$root/debs"
  cp "$debs"/*.deb "$root/debs/"
  if bash "$here/ci/in-root.sh" "$root" -- bash -c \
       'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
          --no-install-recommends /debs/*.deb libnfs-utils pkgconf libnfs-dev >/tmp/apt.log 2>&1 ||
        { tail -n 20 /tmp/apt.log; exit 1; }' &&
     bash "$here/ci/in-root.sh" --private-net "$root" -- bash /src/ci/package-check.sh; then
    passed=$((passed + 1))
  else
    echo "test-packages: $release: FAILED"; failed=$((failed + 1))
  fi
  rm -rf --one-file-system "$root"
done
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
