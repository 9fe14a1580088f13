// The client's log: one line per event on stderr, prefixed "localio: ",
// filtered by the configured level (0 off, 1 errors, 2 info, 3 debug).
#ifndef LOCALIO_CLIENT_LOG_H
#define LOCALIO_CLIENT_LOG_H

#include <string>

namespace localio::client {

inline constexpr int kLogOff = 0;
inline constexpr int kLogError = 1;
inline constexpr int kLogInfo = 2;
inline constexpr int kLogDebug = 3;

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
