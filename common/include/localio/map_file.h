/* SPDX-License-Identifier: LGPL-3.0-or-later */
// Files shared through tmpfs: created without following symlinks, built in a
// temp file and renamed into place so nobody ever sees a half-written one,
// and mapped. Used by the map writer and the hello area.
#ifndef LOCALIO_MAP_FILE_H
#define LOCALIO_MAP_FILE_H

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>

#include "localio/map_types.h"
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

// Refuses a `path` whose final component is a symlink or exists as anything
// but a regular file. A missing file is fine.
Status CheckSharedFilePath(const std::string& path);

// Creates `path` as a regular file of `size` zero bytes with permission
// `mode` (umask does not apply) and group `gid` (-1: the creator's), mapped
// read-write; `init` fills the mapping before the file is renamed into place
// over any existing one. The temp file is `<path>.tmp.<pid>` in the same
// directory, opened O_CREAT|O_EXCL|O_NOFOLLOW; removed on failure. The
// mapping is guarded against truncation like OpenSharedFile's (or an error).
Status CreateSharedFile(const std::string& path, uint64_t size, mode_t mode,
                           int64_t gid, const std::function<void(uint8_t*)>& init,
                           SharedFile* out);

// Opens an existing `path` without following a symlink in its final
// component and maps all of it (its size at open, which must be > 0);
// `writable` maps it read-write. Refuses non-regular and empty files. The
// mapping is guarded (mapping_guard.h): if the file is truncated later, a
// touch past its end reads zeros instead of raising SIGBUS. A mapping that
// cannot be guarded is an error, never returned.
Status OpenSharedFile(const std::string& path, bool writable, SharedFile* out);

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
