#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-3.0-or-later
# Checks what a shared object needs from the system that loads it:
#   elf_imports.sh FILE --needed "SONAME..." [--weak-from LIB] [--max-glibc X.Y]
#                  [--exports "SYMBOL..."]
#     --needed     the only DT_NEEDED entries allowed
#     --weak-from  every undefined unversioned symbol (one that no needed
#                  library provides) must be weak and defined by LIB
#     --max-glibc  no symbol version newer than GLIBC_X.Y
#     --exports    the only symbols FILE may define for others ("": none)
# Prints every problem; exit 1 if any.
set -euo pipefail

file=$1
shift
needed="" weak_from="" max_glibc="" exports="" check_exports=0
while [ $# -gt 0 ]; do
  case $1 in
    --needed) needed=$2; shift 2 ;;
    --weak-from) weak_from=$2; shift 2 ;;
    --max-glibc) max_glibc=$2; shift 2 ;;
    --exports) exports=$2; check_exports=1; shift 2 ;;
    *) echo "elf_imports: unknown option $1" >&2; exit 2 ;;
  esac
done

problems=0
problem() { echo "$file: $*"; problems=$((problems + 1)); }

[ -r "$file" ] || { echo "elf_imports: cannot read $file" >&2; exit 2; }

while read -r lib; do
  case " $needed " in
    *" $lib "*) ;;
    *) problem "needs $lib (allowed: $needed)" ;;
  esac
done < <(readelf -d "$file" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')

# Undefined symbols without a version come from no needed library.
# Toolchain hooks are weak and optional everywhere: profiling, and the
# transactional-memory entry points a static libstdc++ refers to.
is_toolchain() {
  case $1 in _ITM_* | _ZGTt* | __gmon_start__ | __cxa_pure_virtual) return 0 ;; esac
  return 1
}
defined=""
if [ -n "$weak_from" ]; then
  defined=$(nm -D --defined-only "$weak_from" | awk '{print $3}')
fi
while read -r kind name; do
  if is_toolchain "$name"; then
    [ "$kind" = w ] || problem "imports $name strong"
    continue
  fi
  if [ -z "$weak_from" ]; then
    problem "leaves $name undefined"
  elif [ "$kind" != w ] && [ "$kind" != v ]; then
    problem "imports $name strong: a server without it would fail to load the file"
  elif ! grep -qx "$name" <<<"$defined"; then
    problem "imports $name, which $weak_from does not define"
  fi
done < <(nm -D --undefined-only "$file" | awk '$NF !~ /@/ {print $(NF-1), $NF}')

if [ -n "$max_glibc" ]; then
  newest=$(objdump -T "$file" | grep -oE 'GLIBC_[0-9]+(\.[0-9]+)+' | sed 's/GLIBC_//' | sort -uV | tail -n 1)
  if [ -n "$newest" ] && [ "$(printf '%s\n%s\n' "$newest" "$max_glibc" | sort -V | tail -n 1)" != "$max_glibc" ]; then
    problem "needs GLIBC_$newest, newer than GLIBC_$max_glibc: $(objdump -T "$file" | grep -E "GLIBC_$newest" | awk '{print $NF}' | tr '\n' ' ')"
  fi
fi

if [ "$check_exports" = 1 ]; then
  # Version nodes (type A) name no code or data.
  while read -r kind name; do
    [ "$kind" = A ] && continue
    case " $exports " in
      *" $name "*) ;;
      *) problem "exports $name (allowed: ${exports:-none})" ;;
    esac
  done < <(nm -D --defined-only "$file" | awk '{print $(NF-1), $NF}')
fi

if [ "$problems" -gt 0 ]; then
  echo "$problems problem(s)"
  exit 1
fi
echo "$file: imports ok"
