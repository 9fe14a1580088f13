#include "vfs_handle.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

namespace localio {
namespace {

constexpr uint8_t kTypeMask = 0xC0;
constexpr uint8_t kType8 = 0x40;
constexpr uint8_t kType16 = 0x80;
constexpr uint8_t kType32 = 0xC0;
constexpr uint8_t kDummy = 0x20;
constexpr uint8_t kFsidMask = 0x1F;

int FsidSize(uint8_t fsid_type) {
  switch (fsid_type) {
    case 0: return 0;            // no fsid
    case 1: case 2: return 8;    // one u64, major only
    case 3: return 16;           // two u64
    case 4: case 5: return 8;    // two u32, device
    default: return -1;
  }
}

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() { if (fd_ >= 0) close(fd_); }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
 private:
  int fd_;
};

}  // namespace

MapObjectType MapObjectTypeOfMode(uint32_t st_mode) {
  if (S_ISREG(st_mode)) return MapObjectType::kRegular;
  if (S_ISDIR(st_mode)) return MapObjectType::kDirectory;
  if (S_ISLNK(st_mode)) return MapObjectType::kSymlink;
  return MapObjectType::kOther;
}

std::optional<KernelHandle> ParseVfsOpaque(std::span<const uint8_t> opaque) {
  if (opaque.empty()) return std::nullopt;
  const uint8_t flags = opaque[0];
  if (flags & kDummy) return std::nullopt;
  const int fsid = FsidSize(flags & kFsidMask);
  if (fsid < 0) return std::nullopt;
  size_t cursor = 1 + static_cast<size_t>(fsid);
  KernelHandle kh;
  auto take = [&](size_t n) -> bool {
    if (cursor + n > opaque.size()) return false;
    cursor += n;
    return true;
  };
  switch (flags & kTypeMask) {
    case kType8: {
      if (!take(1)) return std::nullopt;
      kh.type = opaque[cursor - 1];
      break;
    }
    case kType16: {
      int16_t v;
      if (!take(2)) return std::nullopt;
      std::memcpy(&v, &opaque[cursor - 2], 2);
      kh.type = v;
      break;
    }
    case kType32: {
      int32_t v;
      if (!take(4)) return std::nullopt;
      std::memcpy(&v, &opaque[cursor - 4], 4);
      kh.type = v;
      break;
    }
    default:
      return std::nullopt;
  }
  const size_t n = opaque.size() - cursor;
  if (n == 0 || n > kKernelHandleMax) return std::nullopt;
  kh.size = static_cast<uint32_t>(n);
  std::memcpy(kh.bytes.data(), &opaque[cursor], n);
  return kh;
}

std::string VfsOpaqueOf(int dir_fd, const char* path) {
  std::vector<uint8_t> buf(sizeof(file_handle) + kKernelHandleMax);
  auto* fh = reinterpret_cast<file_handle*>(buf.data());
  fh->handle_bytes = kKernelHandleMax;
  int mount_id = 0;
  const int flags = path[0] == '\0' ? AT_EMPTY_PATH : 0;
  if (name_to_handle_at(dir_fd, path, fh, &mount_id, flags) != 0) return {};
  std::string out;
  if (fh->handle_type >= 0 && fh->handle_type <= 0xff) {
    out.push_back(static_cast<char>(kType8));
    out.push_back(static_cast<char>(fh->handle_type));
  } else {
    out.push_back(static_cast<char>(kType32));
    int32_t t = fh->handle_type;
    out.append(reinterpret_cast<const char*>(&t), 4);
  }
  out.append(reinterpret_cast<const char*>(fh->f_handle), fh->handle_bytes);
  return out;
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

  Fd fd(open_by_handle_at(root_fd, fh, O_PATH | O_CLOEXEC));
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
