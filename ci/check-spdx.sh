#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-3.0-or-later
# Fails, naming each file, when a source file of the tree lacks the
# project's SPDX line (LGPL-3.0-or-later, LICENSE) in its first two lines.
# Source files: C, C++, assembly, shell, CMake, the shim's version script,
# the Dockerfile and the image's scripts; not docs, configs or data.
set -euo pipefail

root=${1:-$(cd "$(dirname "$0")/.." && pwd)}
cd "$root"
tag='SPDX-License-Identifier: LGPL-3.0-or-later'

if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  list() { git ls-files; }
else
  list() { find . -path ./.git -prune -o -path './build*' -prune -o -path ./.deps -prune \
             -o -path ./.cache -prune -o -type f -print | sed 's|^\./||'; }
fi

missing=0 checked=0
while IFS= read -r f; do
  case "$f" in
    docs/*) continue ;;
    *.c|*.h|*.cc|*.S|*.sh|*.cmake|*.map|*/CMakeLists.txt|CMakeLists.txt|*/Dockerfile|config/image/*|.ci/run) ;;
    *) continue ;;
  esac
  checked=$((checked + 1))
  if ! head -n 2 "$f" | grep -qF "$tag"; then
    echo "check-spdx: $f has no '$tag' line" >&2
    missing=$((missing + 1))
  fi
done < <(list)

if [ "$checked" -eq 0 ]; then
  echo "check-spdx: found no source files under $root" >&2
  exit 1
fi
if [ "$missing" -ne 0 ]; then
  echo "check-spdx: $missing of $checked source files lack the SPDX line" >&2
  exit 1
fi
echo "check-spdx: $checked source files carry the SPDX line"
