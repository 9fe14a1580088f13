// SPDX-License-Identifier: LGPL-3.0-or-later
#include "local_file.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cerrno>
#include <ctime>

#include "localio/unique_fd.h"
#include "localio/vfs_opaque.h"

namespace localio::client {

int OpenExportRoot(const std::string& path) {
  const int fd = open(path.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
  return fd >= 0 ? fd : -errno;
}

int OpenBeneath(int root_fd, const std::string& relpath, int flags) {
  open_how how{};
  how.flags = static_cast<uint64_t>(flags | O_CLOEXEC | ((flags & O_PATH) ? 0 : O_NOCTTY));
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

bool IsEntrysInode(const MapEntry& entry, const struct statx& sx) {
  return entry.type == MapObjectType::kRegular && MapStatxIsRegularFile(sx, entry.ino, entry.dev) &&
         (entry.stamp.birth_ns == 0 || MapBirthNs(sx) == entry.stamp.birth_ns);
}

bool IsSameObject(const MapEntry& entry, int fd, const struct statx& sx) {
  if (!IsEntrysInode(entry, sx)) return false;
  uint32_t generation;
  return !entry.stamp.has_generation ||
         (MapInodeGeneration(fd, &generation) && generation == entry.stamp.generation);
}

LocalOpen OpenObjectBeneath(int root_fd, const std::string& relpath, int flags,
                            const MapEntry& entry, std::span<const uint8_t> vfs_opaque) {
  LocalOpen out;
  // Names the object without opening it: nothing of a FIFO or a device
  // runs, whatever the path names by now.
  const UniqueFd path_fd(OpenBeneath(root_fd, relpath, O_PATH));
  if (path_fd.get() < 0) {
    out.error = path_fd.get();
    return out;
  }
  struct statx named;
  if (statx(path_fd.get(), "", AT_EMPTY_PATH, kMapIdentityStatxMask, &named) != 0 ||
      !IsEntrysInode(entry, named) ||
      (!vfs_opaque.empty() && !IsHandlesObject(vfs_opaque, path_fd.get())))
    return out;
  // The path may name something else by now: O_NONBLOCK keeps a FIFO from
  // blocking the open, and the inode check below turns it away. The O_PATH
  // descriptor holds its inode, so no other object can take its number.
  UniqueFd fd(OpenBeneath(root_fd, relpath, flags | O_NONBLOCK));
  if (fd.get() < 0) {
    out.error = fd.get();
    return out;
  }
  if (statx(fd.get(), "", AT_EMPTY_PATH, kLocalFileStatxMask, &out.sx) != 0 ||
      out.sx.stx_ino != named.stx_ino || out.sx.stx_dev_major != named.stx_dev_major ||
      out.sx.stx_dev_minor != named.stx_dev_minor || !IsSameObject(entry, fd.get(), out.sx))
    return out;
  const int status_flags = fcntl(fd.get(), F_GETFL);
  if (status_flags < 0 || fcntl(fd.get(), F_SETFL, status_flags & ~O_NONBLOCK) != 0) {
    out.error = -errno;
    return out;
  }
  out.fd = fd.release();
  return out;
}

uint64_t CtimeNs(const struct statx& sx) {
  if (!(sx.stx_mask & STATX_CTIME) || sx.stx_ctime.tv_sec < 0) return 0;
  return static_cast<uint64_t>(sx.stx_ctime.tv_sec) * 1'000'000'000 + sx.stx_ctime.tv_nsec;
}

uint64_t SettledCtimeNs(const struct statx& sx, uint64_t now_ns) {
  const uint64_t ctime = CtimeNs(sx);
  return ctime != 0 && ctime + kCtimeSettleNs <= now_ns ? ctime : 0;
}

}  // namespace localio::client
