// SPDX-License-Identifier: LGPL-3.0-or-later
#include "local_file.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cerrno>

#include "localio/vfs_opaque.h"

namespace localio::client {

int OpenExportRoot(const std::string& path) {
  const int fd = open(path.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
  return fd >= 0 ? fd : -errno;
}

int OpenBeneath(int root_fd, const std::string& relpath, int flags) {
  open_how how{};
  how.flags = static_cast<uint64_t>(flags | O_CLOEXEC | O_NOCTTY);
  how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS;
  // glibc 2.36 has no openat2() wrapper.
  long fd;
  do {
    fd = syscall(SYS_openat2, root_fd, relpath.c_str(), &how, sizeof how);
  } while (fd < 0 && errno == EINTR);
  return fd >= 0 ? static_cast<int>(fd) : -errno;
}

bool IsHandlesObject(std::span<const uint8_t> vfs_opaque, int fd) {
  const std::optional<KernelHandle> want = ParseVfsOpaque(vfs_opaque);
  KernelHandle got;
  return want && KernelHandleOf(fd, &got) == 0 && got == *want;
}

bool IsSameObject(const MapEntry& entry, int fd, const struct statx& sx) {
  if (entry.type != MapObjectType::kRegular || !MapStatxIsRegularFile(sx, entry.ino, entry.dev))
    return false;
  if (entry.stamp.birth_ns != 0 && MapBirthNs(sx) != entry.stamp.birth_ns) return false;
  uint32_t generation;
  return !entry.stamp.has_generation ||
         (MapInodeGeneration(fd, &generation) && generation == entry.stamp.generation);
}

}  // namespace localio::client
