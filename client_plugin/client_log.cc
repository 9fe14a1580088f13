// SPDX-License-Identifier: LGPL-3.0-or-later
#include "client_log.h"

#include <cstdio>

namespace localio::client {

void Logger::Write(int level, const std::string& line) const {
  if (!enabled(level)) return;
  // One fprintf per line: stdio locks the stream, so lines of concurrent
  // contexts do not interleave.
  std::fprintf(stderr, "localio: %s\n", line.c_str());
}

}  // namespace localio::client
