// SPDX-License-Identifier: LGPL-3.0-or-later
#include "vfs_handle.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "localio/unique_fd.h"

namespace localio {

MapObjectType MapObjectTypeOfMode(uint32_t st_mode) {
  if (S_ISREG(st_mode)) return MapObjectType::kRegular;
  if (S_ISDIR(st_mode)) return MapObjectType::kDirectory;
  if (S_ISLNK(st_mode)) return MapObjectType::kSymlink;
  return MapObjectType::kOther;
}

int ResolveVfsHandle(int root_fd, std::string_view root_path,
                     std::span<const uint8_t> opaque, ResolvedObject* out) {
  auto kh = ParseVfsOpaque(opaque);
  if (!kh) return -EINVAL;
  std::vector<uint8_t> buf(sizeof(file_handle) + kKernelHandleMax);
  auto* fh = reinterpret_cast<file_handle*>(buf.data());
  fh->handle_bytes = kh->size;
  fh->handle_type = kh->type;
  std::memcpy(fh->f_handle, kh->bytes.data(), kh->size);

  UniqueFd fd(open_by_handle_at(root_fd, fh, O_PATH | O_CLOEXEC));
  if (fd.get() < 0) return errno == ENOENT ? -ESTALE : -errno;
  struct stat st;
  if (fstat(fd.get(), &st) != 0) return -errno;
  // An unlinked file has no path to publish (and its /proc link says so).
  if (!S_ISDIR(st.st_mode) && st.st_nlink == 0) return -ESTALE;

  char link[64];
  snprintf(link, sizeof(link), "/proc/self/fd/%d", fd.get());
  std::string target(4096, '\0');
  const ssize_t n = readlink(link, target.data(), target.size());
  if (n < 0) return -errno;
  if (static_cast<size_t>(n) >= target.size()) return -ENAMETOOLONG;
  target.resize(static_cast<size_t>(n));

  std::string_view root = root_path;
  while (root.size() > 1 && root.back() == '/') root.remove_suffix(1);
  std::string rel;
  if (target == root) {
    rel.clear();
  } else if (root == "/" && target.size() > 1 && target[0] == '/') {
    rel = target.substr(1);
  } else if (target.size() > root.size() + 1 &&
             target.compare(0, root.size(), root) == 0 &&
             target[root.size()] == '/') {
    rel = target.substr(root.size() + 1);
  } else {
    return -EXDEV;
  }
  if (!rel.empty() && !MapRelPathIsSafe(rel)) return -ENAMETOOLONG;

  // The link is the kernel's best guess (a dentry can be disconnected or
  // renamed meanwhile): trust it only when the path leads to this object.
  struct stat check;
  if (rel.empty()) {
    if (fstat(root_fd, &check) != 0) return -errno;
  } else if (fstatat(root_fd, rel.c_str(), &check, AT_SYMLINK_NOFOLLOW) != 0) {
    return -ESTALE;
  }
  if (check.st_ino != st.st_ino || check.st_dev != st.st_dev) return -ESTALE;

  out->relpath = std::move(rel);
  out->ino = st.st_ino;
  out->dev = st.st_dev;
  out->type = MapObjectTypeOfMode(st.st_mode);
  return 0;
}

}  // namespace localio
