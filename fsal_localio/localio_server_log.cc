#include "localio_server_log.h"

#include <atomic>
#include <cstdio>

namespace {
std::atomic<localio_log_sink> g_sink{nullptr};
}  // namespace

extern "C" void localio_server_set_log_sink(localio_log_sink sink) { g_sink = sink; }

namespace localio {
void ServerLog(int level, const std::string& message) {
  if (localio_log_sink sink = g_sink.load()) {
    sink(level, message.c_str());
  } else {
    std::fprintf(stderr, "%s\n", message.c_str());
  }
}
}  // namespace localio
