// SPDX-License-Identifier: LGPL-3.0-or-later
#include "localio/map_file.h"

#include "localio/map_layout.h"

#include <fcntl.h>
#include <linux/fs.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "localio/mapping_guard.h"

namespace localio {

namespace {

std::string Why(const std::string& what, const std::string& path, int err) {
  return what + " " + path + ": " + std::strerror(err);
}

Status Unguarded(const std::string& path, const Status& guard) {
  return Status::Error(guard.code, "not mapping " + path +
                                       ": it could not be guarded against truncation (" +
                                       guard.message + ")");
}

}  // namespace

SharedFile::SharedFile(SharedFile&& other) noexcept
    : fd_(std::move(other.fd_)),
      base_(std::exchange(other.base_, nullptr)),
      size_(std::exchange(other.size_, 0)) {}

SharedFile& SharedFile::operator=(SharedFile&& other) noexcept {
  if (this != &other) {
    Unmap();
    fd_ = std::move(other.fd_);
    base_ = std::exchange(other.base_, nullptr);
    size_ = std::exchange(other.size_, 0);
  }
  return *this;
}

SharedFile::~SharedFile() { Unmap(); }  // then fd_ closes

void SharedFile::Unmap() {
  if (base_ != nullptr) {
    UnguardMapping(base_);
    munmap(base_, size_);
  }
  base_ = nullptr;
}

Status CheckSharedFileName(int dirfd, const std::string& name, const std::string& path) {
  struct stat st;
  if (fstatat(dirfd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
    if (errno == ENOENT) return Status::Ok();
    return Status::Error(-errno, Why("cannot stat", path, errno));
  }
  if (S_ISLNK(st.st_mode))
    return Status::Error(-ELOOP, "refusing " + path + ": it is a symbolic link");
  if (!S_ISREG(st.st_mode))
    return Status::Error(-EINVAL, "refusing " + path + ": not a regular file");
  return Status::Ok();
}

Status CreateSharedFile(int dirfd, const std::string& name, const std::string& path,
                        uint64_t size, mode_t mode, int64_t gid,
                        const std::function<void(uint8_t*)>& init, SharedFile* out) {
  Status st = CheckSharedFileName(dirfd, name, path);
  if (!st.ok()) return st;
  const std::string suffix = ".tmp." + std::to_string(getpid());
  const std::string tmp = name + suffix;
  // A leftover of this pid's earlier crash; O_EXCL below.
  unlinkat(dirfd, tmp.c_str(), 0);
  int fd = openat(dirfd, tmp.c_str(), O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) return Status::Error(-errno, Why("cannot create", path + suffix, errno));
  SharedFile file(fd, nullptr, 0);
  auto fail = [&](const std::string& what) {
    int err = errno;
    unlinkat(dirfd, tmp.c_str(), 0);
    return Status::Error(-err, Why(what, path + suffix, err));
  };
  if (gid >= 0 && fchown(fd, static_cast<uid_t>(-1), static_cast<gid_t>(gid)) != 0)
    return fail("cannot set group " + std::to_string(gid) + " on");
  if (fchmod(fd, mode) != 0) return fail("cannot set mode on");
  if (ftruncate(fd, static_cast<off_t>(size)) != 0) return fail("cannot size");
  void* base = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (base == MAP_FAILED) return fail("cannot map");
  file.SetMapping(static_cast<uint8_t*>(base), size);
  // The owner may truncate the live file (docs/DESIGN.md, "Threat model"):
  // the writer then scribbles on private zero pages instead of dying of
  // SIGBUS. A mapping that cannot be guarded is not used.
  if (Status guard = GuardMapping(base, size, PROT_READ | PROT_WRITE); !guard.ok()) {
    unlink(tmp.c_str());
    return Unguarded(tmp, guard);
  }
  init(file.base());
  if (renameat(dirfd, tmp.c_str(), dirfd, name.c_str()) != 0) {
    int err = errno;
    unlinkat(dirfd, tmp.c_str(), 0);
    return Status::Error(-err, Why("cannot rename " + path + suffix + " to", path, err));
  }
  *out = std::move(file);
  return Status::Ok();
}

Status OpenSharedFileAt(int dirfd, const std::string& name, const std::string& path,
                        bool writable, const SharedFileTrust* trust, SharedFile* out) {
  const std::string what = trust != nullptr ? std::string(trust->kind) + " " + path : path;
  int fd = openat(dirfd, name.c_str(),
                  (writable ? O_RDWR : O_RDONLY) | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ELOOP && trust != nullptr)
      return Status::Error(kNotTrusted, what + " is a symbolic link, expected a regular file: "
                                               "not trusted");
    if (errno == ELOOP)
      return Status::Error(-ELOOP, "refusing " + path + ": it is a symbolic link");
    return Status::Error(-errno, Why("cannot open", what, errno));
  }
  SharedFile file(fd, nullptr, 0);
  struct stat st;
  if (fstat(fd, &st) != 0) return Status::Error(-errno, Why("cannot stat", what, errno));
  if (trust != nullptr) {
    if (const auto doubt = DoubtAboutFile(st, *trust))
      return Status::Error(kNotTrusted, what + " " + *doubt + ": not trusted");
  }
  if (!S_ISREG(st.st_mode))
    return Status::Error(-EINVAL, "refusing " + path + ": not a regular file");
  if (st.st_size <= 0) return Status::Error(-ENODATA, path + " is empty");
  const size_t size = static_cast<size_t>(st.st_size);
  void* base = mmap(nullptr, size, writable ? PROT_READ | PROT_WRITE : PROT_READ,
                    MAP_SHARED, fd, 0);
  if (base == MAP_FAILED) return Status::Error(-errno, Why("cannot map", path, errno));
  file.SetMapping(static_cast<uint8_t*>(base), size);
  // Whoever else can write the file can also truncate it under us: make
  // that a page of zeros (an invalid header, empty slots) instead of SIGBUS.
  // A mapping that cannot be guarded is not used.
  if (Status guard = GuardMapping(base, size, writable ? PROT_READ | PROT_WRITE : PROT_READ);
      !guard.ok())
    return Unguarded(path, guard);
  *out = std::move(file);
  return Status::Ok();
}

Status OpenSharedFile(const std::string& path, bool writable, const SharedFileTrust* trust,
                      SharedFile* out) {
  std::string dir, name;
  if (!SplitSharedFilePath(path, &dir, &name))
    return Status::Error(-EINVAL, "shared file path '" + path + "' names no file");
  UniqueFd dirfd;
  if (trust != nullptr) {
    Status st = OpenTrustedDir(dir, trust->owner, std::string(trust->kind) + " " + path, &dirfd);
    if (!st.ok()) return st;
  } else {
    dirfd.reset(open(dir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!dirfd.valid()) return Status::Error(-errno, Why("cannot open the directory of", path, errno));
  }
  return OpenSharedFileAt(dirfd.get(), name, path, writable, trust, out);
}

bool MapServerLockFree(int fd, uint32_t flags) {
  if (!(flags & kMapLocked)) return false;
  struct flock probe{};
  probe.l_type = F_RDLCK;
  probe.l_whence = SEEK_SET;
  probe.l_start = kMapLockStart;
  probe.l_len = kMapLockLength;
  return fcntl(fd, F_OFD_GETLK, &probe) == 0 && probe.l_type == F_UNLCK;
}

bool ProcessIsAlive(uint32_t pid) {
  if (pid == 0 || pid > static_cast<uint32_t>(INT32_MAX)) return false;
  return kill(static_cast<pid_t>(pid), 0) == 0 || errno == EPERM;
}

bool FillRandom(uint8_t* out, size_t len) {
  size_t done = 0;
  while (done < len) {
    ssize_t n = getrandom(out + done, len - done, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    done += static_cast<size_t>(n);
  }
  return true;
}

uint64_t MapBirthNs(const struct statx& sx) {
  if (!(sx.stx_mask & STATX_BTIME) || sx.stx_btime.tv_sec < 0) return 0;
  return static_cast<uint64_t>(sx.stx_btime.tv_sec) * 1000000000u + sx.stx_btime.tv_nsec;
}

bool MapInodeGeneration(int fd, uint32_t* out) {
  int generation = 0;  // the filesystems write an int (put_user on an int *)
  if (ioctl(fd, FS_IOC_GETVERSION, &generation) != 0) return false;
  *out = static_cast<uint32_t>(generation);
  return true;
}

bool MapStatxIsRegularFile(const struct statx& sx, uint64_t ino, uint64_t dev) {
  return (sx.stx_mask & STATX_TYPE) && S_ISREG(sx.stx_mode) && (sx.stx_mask & STATX_INO) &&
         sx.stx_ino == ino && makedev(sx.stx_dev_major, sx.stx_dev_minor) == dev;
}

MapInodeStamp MapInodeStampOf(int fd, const struct statx& sx) {
  MapInodeStamp stamp;
  stamp.birth_ns = MapBirthNs(sx);
  stamp.has_generation = MapInodeGeneration(fd, &stamp.generation);
  return stamp;
}

}  // namespace localio
