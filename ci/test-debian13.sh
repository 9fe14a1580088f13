#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-3.0-or-later
# The project's own test suite inside a Debian 13 (trixie) root, from a
# Debian 12 machine: makes the root when missing (ci/debian-root.sh, cached
# in .cache/rootfs/trixie), installs what ci/setup.sh installs there (with
# the host's network), then runs ci/test.sh in it with private mount, pid
# and network namespaces: trixie's stock ganesha.nfsd 6.5, rpcbind and
# libnfs-utils 5.0.2, the project built in build-debian13/ from this tree.
# The sanitizer and fuzz stages stay on the host (the code is the same).
# Prints that run's output; its last line is "N passed, M failed".
# Run as root. Safe to run twice.
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
root=${LOCALIO_DEBIAN13_ROOT:-$here/.cache/rootfs/trixie}

bash "$here/ci/debian-root.sh" trixie "$root"
echo "debian13: ci/setup.sh in the root"
bash "$here/ci/in-root.sh" "$root" -- bash /src/ci/setup.sh
export LOCALIO_BUILD_DIR=/src/build-debian13 LOCALIO_SANITIZERS=0 LOCALIO_DEBIAN13=0
exec bash "$here/ci/in-root.sh" --private-net "$root" -- bash /src/ci/test.sh
