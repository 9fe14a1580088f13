/* SPDX-License-Identifier: LGPL-3.0-or-later */
// The client's log: one line per event on stderr, prefixed "localio: ",
// filtered by the configured level (0 off, 1 errors, 2 info, 3 debug).
#ifndef LOCALIO_CLIENT_LOG_H
#define LOCALIO_CLIENT_LOG_H

#include <string>

#include "localio/defaults.h"

namespace localio::client {

inline constexpr int kLogOff = LOCALIO_CLIENT_LOG_OFF;
inline constexpr int kLogError = LOCALIO_CLIENT_LOG_ERROR;
inline constexpr int kLogInfo = LOCALIO_CLIENT_LOG_INFO;
inline constexpr int kLogDebug = LOCALIO_CLIENT_LOG_DEBUG;

class Logger {
 public:
  explicit Logger(int level = kLogError) : level_(level) {}
  bool enabled(int level) const { return level <= level_; }
  void Error(const std::string& line) const { Write(kLogError, line); }
  void Info(const std::string& line) const { Write(kLogInfo, line); }
  void Debug(const std::string& line) const { Write(kLogDebug, line); }

 private:
  void Write(int level, const std::string& line) const;
  int level_;
};

}  // namespace localio::client

#endif  // LOCALIO_CLIENT_LOG_H
