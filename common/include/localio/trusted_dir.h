/* SPDX-License-Identifier: LGPL-3.0-or-later */
// Trust in the shared files (docs/DESIGN.md, "Threat model"): a map and its
// hello file count only where no uid but the server's (and root) could have
// put them, so that a neighbour who takes the map's path first cannot hand a
// client a map of its own. As OpenSSH's StrictModes does for its keys: the
// directory holding them belongs to the server's uid or root and nobody
// else may write it, and every directory above it belongs to root or the
// server's uid and is writable by nobody else or sticky, so that no other
// uid can rename the directory away or put another in its place.
//
// Every check is made on what was opened (fstat of a descriptor; the walk
// up goes by openat(fd, "..")), never on a path, so nothing can be swapped
// in between a check and the use. Paths appear only in sentences.
#ifndef LOCALIO_TRUSTED_DIR_H
#define LOCALIO_TRUSTED_DIR_H

#include <sys/stat.h>
#include <sys/types.h>

#include <cerrno>
#include <cstdint>
#include <optional>
#include <string>

#include "localio/status.h"
#include "localio/unique_fd.h"

namespace localio {

// The code of every refusal for want of trust: the file may be fine, but
// nothing proves that only the trusted uid could have made it.
inline constexpr int kNotTrusted = -EPERM;

// The uid trusted to own the shared files, and how sentences name it.
struct TrustedOwner {
  uid_t uid = 0;
  std::string name;  // "the server's uid 0 (LOCALIO_SERVER_UID)"
};

// The id setfsuid and chown read as "none": never a real one.
inline constexpr uint64_t kNoneId = 0xffffffffULL;

// An id as AUTH_SYS carries it and LOCALIO_SERVER_UID names the server's,
// written in decimal: 0 .. 2^32-2 (2^32-1 is kNoneId), nothing but digits.
bool ParseId(const char* text, uint32_t* out);

// The server's uid as clients and their tools name it: "the server's uid N
// (LOCALIO_SERVER_UID)".
TrustedOwner ServerUidOwner(uid_t uid);

// What a shared file must be to be used.
struct SharedFileTrust {
  TrustedOwner owner;
  const char* kind = "file";  // how sentences name it: "map", "hello file"
  // Permission bits it must not have: LOCALIO_MAP_FORBIDDEN_WRITE or
  // LOCALIO_HELLO_FORBIDDEN_WRITE (localio/defaults.h).
  mode_t forbidden_write = S_IWGRP | S_IWOTH;
};

// Splits `path` at its last '/' into the directory ("." for a bare name,
// "/" for "/name") and the name. False when it names no file (empty, ends
// in '/', or the name is "." or "..").
bool SplitSharedFilePath(const std::string& path, std::string* dir, std::string* name);

// Why the directory `fd` (named `dir` in sentences) or one above it is not
// trusted; nothing when it is. With `holds_files`, `fd` must be owned by
// `owner` or root and writable by neither group nor others; without (a
// directory in which the caller is about to create the one that holds
// them), `fd` is checked as the directories above are: owned by root or
// `owner`, and writable by neither group nor others, or sticky.
struct DirDoubt {
  std::string dir;     // as this process sees it (/proc/self/fd), else `dir`
  bool above = false;  // a directory above `fd`, not `fd` itself
  // "is writable by group and others (mode 1777), expected a directory
  // only the server's uid 0 (LOCALIO_SERVER_UID) or root may write"
  std::string why;
};
std::optional<DirDoubt> DoubtAboutDir(int fd, const std::string& dir, const TrustedOwner& owner,
                                      bool holds_files = true);

// Why the opened file with status `st` is not what `trust` asks ("is owned
// by uid 1001, not by the server's uid 0 (LOCALIO_SERVER_UID)"); nothing
// when it is.
std::optional<std::string> DoubtAboutFile(const struct stat& st, const SharedFileTrust& trust);

// Opens directory `dir` (as O_PATH; symlinks in it are followed: what
// counts is what was opened) into *out and checks it with DoubtAboutDir.
// `of` names the file it is for ("map /run/localio/map"). A refusal is
// kNotTrusted with one sentence ("directory /dev/shm of map
// /dev/shm/ganesha-localio is writable by ...: not trusted"); a directory
// that cannot be opened is its errno.
Status OpenTrustedDir(const std::string& dir, const TrustedOwner& owner, const std::string& of,
                      UniqueFd* out);

// `mode`'s permission bits as sentences show them: "1777", "0640".
std::string ModeText(mode_t mode);

// "writable by group and others (mode 1777)": who of group and others
// `mode` lets write, counting only the write bits in `bits`, for sentences;
// "" when none.
std::string WritableBy(mode_t mode, mode_t bits = S_IWGRP | S_IWOTH);

}  // namespace localio

#endif  // LOCALIO_TRUSTED_DIR_H
