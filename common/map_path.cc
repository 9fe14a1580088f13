// SPDX-License-Identifier: LGPL-3.0-or-later
#include <cstring>

#include "localio/map_types.h"
#include "localio/path_rules.h"

namespace localio {

bool MapRelPathIsSafe(std::string_view path) {
  if (path.size() > kMapMaxPathLen) return false;
  if (path.empty()) return true;  // the export root
  if (std::memchr(path.data(), '\0', path.size()) != nullptr) return false;
  // Every component must be non-empty and not "." or ".." (path_rules.h).
  const char* p = path.data();
  const char* const end = p + path.size();
  for (;;) {
    const auto* slash = static_cast<const char*>(std::memchr(p, '/', end - p));
    const size_t n = (slash != nullptr ? slash : end) - p;
    if (n == 0 || localio_dots_of(p, n) != LOCALIO_NOT_DOTS) return false;
    if (slash == nullptr) return true;
    p = slash + 1;
  }
}

bool MapNameIsSafe(std::string_view name) {
  return !name.empty() && name.find('/') == std::string_view::npos && MapRelPathIsSafe(name);
}

}  // namespace localio
