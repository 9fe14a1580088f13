/* SPDX-License-Identifier: LGPL-3.0-or-later */
/* Where the LOCALIO server's messages go: Ganesha's log once the FSAL has
 * set a sink (main.c), stderr before that. */
#ifndef LOCALIO_SERVER_LOG_H
#define LOCALIO_SERVER_LOG_H

#ifdef __cplusplus
#include <string>
extern "C" {
#endif

/* The severity of a server message; main.c maps each to Ganesha's level. */
enum localio_server_log_level {
	LOCALIO_SERVER_LOG_DEBUG = 0,
	LOCALIO_SERVER_LOG_INFO = 1,
	LOCALIO_SERVER_LOG_WARN = 2,
	LOCALIO_SERVER_LOG_CRIT = 3,
};

typedef void (*localio_log_sink)(int level, const char *message);

/* Installs the sink; NULL restores stderr. */
#ifdef __cplusplus
void localio_server_set_log_sink(localio_log_sink sink) noexcept;
#else
void localio_server_set_log_sink(localio_log_sink sink);
#endif

#ifdef __cplusplus
}

namespace localio {
void ServerLog(int level, const std::string& message);
// The same for a fixed text, without allocating (for failure paths).
void ServerLogText(int level, const char* message) noexcept;
}  // namespace localio
#endif

#endif /* LOCALIO_SERVER_LOG_H */
