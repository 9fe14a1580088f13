/* SPDX-License-Identifier: LGPL-3.0-or-later */
// localio-stat --serve ADDR:PORT: answers GET /metrics over HTTP with what
// `render` returns at that moment (Prometheus' text format), until SIGINT
// or SIGTERM. The HTTP server is libmicrohttpd's (one internal thread, one
// request at a time); every other path is 404, every other method 405.
#ifndef LOCALIO_TOOLS_STAT_SERVE_H
#define LOCALIO_TOOLS_STAT_SERVE_H

#include <cstdint>
#include <functional>
#include <ostream>
#include <string>

#include "localio/status.h"

namespace localio::tools {

// "127.0.0.1:9588", "[::1]:9588", "0.0.0.0:9588" -> address and port.
// An error names what is wrong with `text`.
Status ParseListenAddress(const std::string& text, std::string* address, uint16_t* port);

// Serves until SIGINT or SIGTERM (blocked in this thread and waited for);
// `ready` (may be empty) runs once the socket listens, with the port bound
// (the one asked for, or the kernel's choice for port 0). 0 on a clean
// stop; 1 with a sentence on `err` when the socket cannot be set up.
int ServeMetrics(const std::string& address, uint16_t port,
                 const std::function<std::string()>& render,
                 const std::function<void(uint16_t)>& ready, std::ostream& err);

}  // namespace localio::tools

#endif  // LOCALIO_TOOLS_STAT_SERVE_H
