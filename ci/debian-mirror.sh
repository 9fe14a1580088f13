# SPDX-License-Identifier: LGPL-3.0-or-later
# Sourced by ci/debian-root.sh and ci/setup.sh:
#   debian_mirror   prints the first Debian mirror of this system's apt
#                   sources (deb822 or one-line; security mirrors skipped),
#                   deb.debian.org when there is none.
debian_mirror() {
  local m
  m=$(awk '/^URIs:/ && $2 !~ /security/ {print $2; exit}' /etc/apt/sources.list.d/*.sources 2>/dev/null || true)
  [ -n "$m" ] || m=$(awk '$1 == "deb" && $0 !~ /security/ {for (i = 2; i <= NF; i++) if ($i ~ /^https?:/) {print $i; exit}}' \
    /etc/apt/sources.list 2>/dev/null || true)
  echo "${m:-http://deb.debian.org/debian}"
}
