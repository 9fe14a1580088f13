#include "localio/map_types.h"

namespace localio {

bool MapRelPathIsSafe(std::string_view path) {
  if (path.size() > kMapMaxPathLen) return false;
  if (path.empty()) return true;  // the export root
  // One pass: every component must be non-empty, not "." or "..", NUL-free.
  size_t component = 0;  // length of the current component so far
  size_t dots = 0;       // how many of its characters are '.'
  for (const char c : path) {
    if (c == '\0') return false;
    if (c == '/') {
      if (component == 0 || (component == dots && dots <= 2)) return false;
      component = dots = 0;
      continue;
    }
    ++component;
    dots += c == '.';
  }
  return component != 0 && !(component == dots && dots <= 2);
}

}  // namespace localio
