/* SPDX-License-Identifier: LGPL-3.0-or-later */
// An owned file descriptor, closed when the owner goes (or on reset).
// Move-only; -1 means none.
#ifndef LOCALIO_UNIQUE_FD_H
#define LOCALIO_UNIQUE_FD_H

#include <unistd.h>

#include <utility>

namespace localio {

class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  UniqueFd(UniqueFd&& other) noexcept : fd_(other.release()) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept {
    reset(other.release());
    return *this;
  }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  ~UniqueFd() { reset(); }

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  // Gives the fd up without closing it.
  int release() { return std::exchange(fd_, -1); }
  // Closes the fd held (if any) and holds `fd`.
  void reset(int fd = -1) {
    if (fd_ >= 0) close(fd_);
    fd_ = fd;
  }

 private:
  int fd_ = -1;
};

}  // namespace localio

#endif  // LOCALIO_UNIQUE_FD_H
