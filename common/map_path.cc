// SPDX-License-Identifier: LGPL-3.0-or-later
#include <cstring>

#include "localio/map_types.h"

namespace localio {

bool MapRelPathIsSafe(std::string_view path) {
  if (path.size() > kMapMaxPathLen) return false;
  if (path.empty()) return true;  // the export root
  if (std::memchr(path.data(), '\0', path.size()) != nullptr) return false;
  // Every component must be non-empty and not "." or "..".
  const char* p = path.data();
  const char* const end = p + path.size();
  for (;;) {
    const auto* slash = static_cast<const char*>(std::memchr(p, '/', end - p));
    const size_t n = (slash != nullptr ? slash : end) - p;
    if (n == 0 || (n <= 2 && p[0] == '.' && (n == 1 || p[1] == '.'))) return false;
    if (slash == nullptr) return true;
    p = slash + 1;
  }
}

}  // namespace localio
