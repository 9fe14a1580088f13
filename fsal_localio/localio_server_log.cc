// SPDX-License-Identifier: LGPL-3.0-or-later
#include "localio_server_log.h"

#include <atomic>
#include <cstdio>

namespace {
std::atomic<localio_log_sink> g_sink{nullptr};
}  // namespace

extern "C" void localio_server_set_log_sink(localio_log_sink sink) noexcept { g_sink = sink; }

namespace localio {
void ServerLog(int level, const std::string& message) { ServerLogText(level, message.c_str()); }

void ServerLogText(int level, const char* message) noexcept {
  if (localio_log_sink sink = g_sink.load()) {
    sink(level, message);
  } else {
    std::fprintf(stderr, "%s\n", message);
  }
}
}  // namespace localio
