// SPDX-License-Identifier: LGPL-3.0-or-later
#include "localio/trusted_dir.h"

#include <fcntl.h>
#include <limits.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>

#include "localio/path_rules.h"

namespace localio {

namespace {

// More levels than any real path has (PATH_MAX / 2 components of one
// character): a deeper walk is refused rather than followed.
constexpr int kMaxDepth = PATH_MAX / 2;

// The path of the directory open as `fd` as this process sees it, for
// sentences only; `fallback` when /proc cannot say.
std::string NameOf(int fd, const std::string& fallback) {
  char link[64];
  std::snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
  char target[PATH_MAX];
  const ssize_t n = readlink(link, target, sizeof target - 1);
  if (n <= 0 || target[0] != '/') return fallback;
  return std::string(target, static_cast<size_t>(n));
}

const char* TypeName(mode_t mode) {
  switch (mode & S_IFMT) {
    case S_IFDIR: return "a directory";
    case S_IFLNK: return "a symbolic link";
    case S_IFIFO: return "a FIFO";
    case S_IFSOCK: return "a socket";
    case S_IFCHR: return "a character device";
    case S_IFBLK: return "a block device";
  }
  return "not a regular file";
}

// The directory that holds the shared files: the owner's or root's, and no
// one else writes it.
std::optional<std::string> HolderDoubt(const struct stat& st, const TrustedOwner& owner) {
  if (!S_ISDIR(st.st_mode)) return std::string("is ") + TypeName(st.st_mode) + ", not a directory";
  if (st.st_uid != owner.uid && st.st_uid != 0)
    return "is owned by uid " + std::to_string(st.st_uid) + ", not by " + owner.name + " or root";
  if (st.st_mode & (S_IWGRP | S_IWOTH))
    return "is " + WritableBy(st.st_mode) + ", expected a directory only " + owner.name +
           " or root may write";
  return std::nullopt;
}

// A directory above it: root's or the owner's, and no one else may rename
// what it holds (not writable by others, or sticky).
std::optional<std::string> AboveDoubt(const struct stat& st, const TrustedOwner& owner) {
  if (st.st_uid != 0 && st.st_uid != owner.uid)
    return "is owned by uid " + std::to_string(st.st_uid) + ", not by root or " + owner.name;
  if ((st.st_mode & (S_IWGRP | S_IWOTH)) && !(st.st_mode & S_ISVTX))
    return "is " + WritableBy(st.st_mode) +
           " and not sticky, so another uid could rename what it holds or put another "
           "directory in its place";
  return std::nullopt;
}

}  // namespace

bool ParseId(const char* text, uint32_t* out) {
  if (text == nullptr || *text == '\0' || std::strlen(text) > 10) return false;
  uint64_t value = 0;
  for (const char* p = text; *p != '\0'; ++p) {
    if (*p < '0' || *p > '9') return false;
    value = value * 10 + static_cast<uint64_t>(*p - '0');
  }
  if (value >= kNoneId) return false;
  *out = static_cast<uint32_t>(value);
  return true;
}

std::string ModeText(mode_t mode) {
  char text[8];
  std::snprintf(text, sizeof text, "%04o", static_cast<unsigned>(mode & 07777));
  return text;
}

TrustedOwner ServerUidOwner(uid_t uid) {
  return {uid, "the server's uid " + std::to_string(uid) + " (LOCALIO_SERVER_UID)"};
}

std::string WritableBy(mode_t mode, mode_t bits) {
  const bool group = mode & bits & S_IWGRP;
  const bool others = mode & bits & S_IWOTH;
  if (!group && !others) return "";
  return std::string("writable by ") + (group && others ? "group and others" : group ? "group" : "others") +
         " (mode " + ModeText(mode) + ")";
}

bool SplitSharedFilePath(const std::string& path, std::string* dir, std::string* name) {
  const size_t slash = path.rfind('/');
  *name = slash == std::string::npos ? path : path.substr(slash + 1);
  if (name->empty() || localio_dots_of(name->data(), name->size()) != LOCALIO_NOT_DOTS)
    return false;
  if (slash == std::string::npos) {
    *dir = ".";
  } else {
    *dir = path.substr(0, slash);
    if (dir->empty()) *dir = "/";
  }
  return true;
}

std::optional<DirDoubt> DoubtAboutDir(int fd, const std::string& dir, const TrustedOwner& owner,
                                      bool holds_files) {
  struct stat st;
  if (fstat(fd, &st) != 0)
    return DirDoubt{dir, false, std::string("cannot be examined: ") + std::strerror(errno)};
  if (const auto why = holds_files ? HolderDoubt(st, owner) : AboveDoubt(st, owner))
    return DirDoubt{NameOf(fd, dir), false, *why};
  // Up by "..": the kernel's own idea of the parent (across mounts, within
  // this process's root), not the path's text.
  int at = fd;
  UniqueFd held;
  for (int depth = 1; depth <= kMaxDepth; ++depth) {
    UniqueFd up(openat(at, "..", O_PATH | O_DIRECTORY | O_CLOEXEC));
    const std::string fallback =
        "the directory " + std::to_string(depth) + " level" + (depth > 1 ? "s" : "") + " above " + dir;
    struct stat up_st;
    if (!up.valid() || fstat(up.get(), &up_st) != 0)
      return DirDoubt{fallback, true, std::string("cannot be examined: ") + std::strerror(errno)};
    if (up_st.st_dev == st.st_dev && up_st.st_ino == st.st_ino) return std::nullopt;  // "/"
    if (const auto why = AboveDoubt(up_st, owner))
      return DirDoubt{NameOf(up.get(), fallback), true, *why};
    held = std::move(up);
    at = held.get();
    st = up_st;
  }
  return DirDoubt{dir, true, "is more than " + std::to_string(kMaxDepth) + " directories deep"};
}

std::optional<std::string> DoubtAboutFile(const struct stat& st, const SharedFileTrust& trust) {
  if (!S_ISREG(st.st_mode)) return std::string("is ") + TypeName(st.st_mode) + ", expected a regular file";
  if (st.st_uid != trust.owner.uid)
    return "is owned by uid " + std::to_string(st.st_uid) + ", not by " + trust.owner.name;
  if (st.st_mode & trust.forbidden_write)
    return "is " + WritableBy(st.st_mode, trust.forbidden_write) +
           ", expected no write permission for " +
           ((trust.forbidden_write & S_IWGRP) ? "group or others" : "others");
  return std::nullopt;
}

Status OpenTrustedDir(const std::string& dir, const TrustedOwner& owner, const std::string& of,
                      UniqueFd* out) {
  UniqueFd fd(open(dir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!fd.valid())
    return Status::Error(-errno, "cannot open directory " + dir + " of " + of + ": " +
                                     std::strerror(errno));
  if (const auto doubt = DoubtAboutDir(fd.get(), dir, owner))
    return Status::Error(kNotTrusted, "directory " + doubt->dir + (doubt->above ? " above " : " of ") +
                                          of + " " + doubt->why + ": not trusted");
  *out = std::move(fd);
  return Status::Ok();
}

}  // namespace localio
