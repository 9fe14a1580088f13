// SPDX-License-Identifier: LGPL-3.0-or-later
#include "harness/files.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

namespace localio::harness {

bool ReadFile(const std::string& path, std::string* bytes) {
  bytes->clear();
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  char buf[64 * 1024];
  ssize_t n;
  while ((n = read(fd, buf, sizeof buf)) != 0) {
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) break;
    bytes->append(buf, static_cast<size_t>(n));
  }
  const int err = errno;
  close(fd);
  if (n == 0) return true;
  bytes->clear();
  errno = err;
  return false;
}

std::string ReadFile(const std::string& path) {
  std::string bytes;
  ReadFile(path, &bytes);
  return bytes;
}

bool WriteFile(const std::string& path, std::string_view bytes) {
  const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return false;
  bool ok = true;
  while (ok && !bytes.empty()) {
    const ssize_t n = write(fd, bytes.data(), bytes.size());
    if (n > 0) {
      bytes.remove_prefix(static_cast<size_t>(n));
    } else if (n == 0 || errno != EINTR) {
      if (n == 0) errno = EIO;  // write() made no progress and set no errno
      ok = false;
    }
  }
  const int err = errno;
  // close() can report a deferred write error (NFS, a full disk): it counts.
  if (close(fd) != 0) return false;
  errno = err;
  return ok;
}

}  // namespace localio::harness
