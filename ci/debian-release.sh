#!/bin/sh
# SPDX-License-Identifier: LGPL-3.0-or-later
# The one table of the Debian releases this project knows:
#   ci/debian-release.sh              this system's major release (12, 13, 14)
#   ci/debian-release.sh codename N   release N's codename (bookworm, ...)
#   ci/debian-release.sh number NAME  codename NAME's release number
# A testing release's /etc/os-release has no VERSION_ID (forky's says
# VERSION_CODENAME=forky only): its number comes from the codename.
set -eu

table="12 bookworm
13 trixie
14 forky"

case "${1:-}" in
  codename)
    echo "$table" | awk -v n="${2:?usage: debian-release.sh codename N}" '$1 == n {print $2; f = 1} END {exit !f}' ||
      { echo "debian-release: no Debian $2 known (12, 13, 14)" >&2; exit 1; }
    ;;
  number)
    echo "$table" | awk -v c="${2:?usage: debian-release.sh number NAME}" '$2 == c {print $1; f = 1} END {exit !f}' ||
      { echo "debian-release: no Debian release named $2 known (bookworm, trixie, forky)" >&2; exit 1; }
    ;;
  "")
    # shellcheck disable=SC1091
    . /etc/os-release
    if [ -n "${VERSION_ID:-}" ]; then
      echo "$VERSION_ID"
    else
      sh "$0" number "${VERSION_CODENAME:-unknown}"
    fi
    ;;
  *)
    echo "usage: debian-release.sh [codename N | number NAME]" >&2
    exit 2
    ;;
esac
