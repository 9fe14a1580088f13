/* SPDX-License-Identifier: LGPL-3.0-or-later */
// Files shared through tmpfs: created without following symlinks, built in a
// temp file and renamed into place so nobody ever sees a half-written one,
// and mapped, always relative to their directory's descriptor; opened by
// readers only when trusted (trusted_dir.h). Used by the map writer and
// reader and the hello area.
#ifndef LOCALIO_MAP_FILE_H
#define LOCALIO_MAP_FILE_H

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>

#include "localio/map_types.h"
#include "localio/trusted_dir.h"
#include "localio/unique_fd.h"

namespace localio {

// An open file and (optionally) its shared mapping; closes and unmaps on
// destruction. Move-only.
class SharedFile {
 public:
  SharedFile() = default;
  SharedFile(int fd, uint8_t* base, size_t size) : fd_(fd), base_(base), size_(size) {}
  SharedFile(SharedFile&& other) noexcept;
  SharedFile& operator=(SharedFile&& other) noexcept;
  SharedFile(const SharedFile&) = delete;
  SharedFile& operator=(const SharedFile&) = delete;
  ~SharedFile();

  int fd() const { return fd_.get(); }
  uint8_t* base() const { return base_; }
  size_t size() const { return size_; }
  void Unmap();  // keeps the fd open
  void SetMapping(uint8_t* base, size_t size) { Unmap(); base_ = base; size_ = size; }

 private:
  UniqueFd fd_;
  uint8_t* base_ = nullptr;
  size_t size_ = 0;
};

// Refuses `name` in the directory open as `dirfd` (`path` names it in
// sentences) when it is a symlink or exists as anything but a regular file.
// A missing file is fine.
Status CheckSharedFileName(int dirfd, const std::string& name, const std::string& path);

// Creates `name` in the directory open as `dirfd` (`path` names it in
// sentences) as a regular file of `size` zero bytes with permission `mode`
// (umask does not apply) and group `gid` (-1: the creator's), mapped
// read-write; `init` fills the mapping before the file is renamed into
// place over any existing one. The temp file is `<name>.tmp.<pid>` in the
// same directory, opened O_CREAT|O_EXCL|O_NOFOLLOW; removed on failure.
// Everything is relative to `dirfd` (openat, renameat): no path is
// resolved again. The mapping is guarded against truncation like
// OpenSharedFile's (or an error).
Status CreateSharedFile(int dirfd, const std::string& name, const std::string& path,
                        uint64_t size, mode_t mode, int64_t gid,
                        const std::function<void(uint8_t*)>& init, SharedFile* out);

// Opens the existing `name` in the directory open as `dirfd` (`path` names
// it in sentences) with O_NOFOLLOW|O_NONBLOCK (never a symlink, never
// waits on a FIFO) and maps all of it (its size at open, which must be >
// 0); `writable` maps it read-write. With `trust`, a file that is not what
// it asks (DoubtAboutFile, checked on the opened file before mapping) is
// refused with kNotTrusted; without, any regular file is mapped. Refuses
// non-regular and empty files. The mapping is guarded (mapping_guard.h): if
// the file is truncated later, a touch past its end reads zeros instead of
// raising SIGBUS. A mapping that cannot be guarded is an error, never
// returned.
Status OpenSharedFileAt(int dirfd, const std::string& name, const std::string& path,
                        bool writable, const SharedFileTrust* trust, SharedFile* out);

// OpenSharedFileAt of `path`: with `trust`, in its directory as
// OpenTrustedDir opens and checks it (a refusal is kNotTrusted); without
// (a tool that shows any file and says itself whether it is trusted, or a
// test), in its directory however it is.
Status OpenSharedFile(const std::string& path, bool writable, const SharedFileTrust* trust,
                      SharedFile* out);

// True when a map's header `flags` say its server holds the map lock
// (kMapLocked) and the lock on the file open as `fd` is free: that server is
// gone, whatever its pid (from another pid namespace) and heartbeat say.
bool MapServerLockFree(int fd, uint32_t flags);

// True when a process with this pid exists (in this pid namespace).
bool ProcessIsAlive(uint32_t pid);

// Fills `out` with `len` random bytes; false if the kernel has none to give.
bool FillRandom(uint8_t* out, size_t len);

}  // namespace localio

#endif  // LOCALIO_MAP_FILE_H
