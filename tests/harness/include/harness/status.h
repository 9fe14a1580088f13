// Errors as values for the test harness: a Status is ok or carries a sentence
// naming what failed. No exceptions leave the harness.
#pragma once

#include <string>
#include <utility>

namespace localio::harness {

class Status {
 public:
  Status() = default;  // ok
  static Status Error(std::string message) { return Status(std::move(message)); }

  bool ok() const { return !failed_; }
  const std::string& message() const { return message_; }

 private:
  explicit Status(std::string message) : failed_(true), message_(std::move(message)) {}
  bool failed_ = false;
  std::string message_;
};

}  // namespace localio::harness
