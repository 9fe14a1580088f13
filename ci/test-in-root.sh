#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-3.0-or-later
# The project's own test suite inside a root of another Debian release,
# from a Debian 12 machine:
#   ci/test-in-root.sh 13     Debian 13 (trixie): ganesha.nfsd 6.5
#   ci/test-in-root.sh 14     Debian 14 (forky, testing): ganesha.nfsd 9.14
# Makes the root when missing (ci/debian-root.sh, cached in
# .cache/rootfs/<codename>), installs what ci/setup.sh installs there (with
# the host's network), then runs ci/test.sh in it with private mount, pid
# and network namespaces: that release's stock ganesha.nfsd, rpcbind and
# libnfs-utils, the project built in build-debian<N>/ from this tree. The
# sanitizer and fuzz stages stay on the host (the code is the same).
# Prints that run's output; its last line is "N passed, M failed".
# Run as root. Safe to run twice.
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
number=${1:?usage: ci/test-in-root.sh 13|14}
codename=$(sh "$here/ci/debian-release.sh" codename "$number")
root=$here/.cache/rootfs/$codename

bash "$here/ci/debian-root.sh" "$codename" "$root"
echo "debian$number: ci/setup.sh in the root"
bash "$here/ci/in-root.sh" "$root" -- bash /src/ci/setup.sh
export LOCALIO_BUILD_DIR=/src/build-debian$number LOCALIO_SANITIZERS=0 LOCALIO_OTHER_RELEASES=0
exec bash "$here/ci/in-root.sh" --private-net "$root" -- bash /src/ci/test.sh
