/* SPDX-License-Identifier: LGPL-3.0-or-later */
// Opening the local file a map entry names, safely: relative to the
// export's root directory, never leaving it and never following a symlink
// (the map is input from another process and names can change under us),
// never opening or blocking on anything but a regular file (a FIFO or a
// device put at the path), and proving that it is the object the handle
// names: by inode and device, and where the export's handles are
// FSAL_VFS's by the kernel handle, which names one object for its life (a
// reused inode number has another one).
#ifndef LOCALIO_CLIENT_LOCAL_FILE_H
#define LOCALIO_CLIENT_LOCAL_FILE_H

#include <sys/stat.h>

#include <cstdint>
#include <span>
#include <string>

#include "localio/map_types.h"

namespace localio::client {

// Opens the directory `path` (O_PATH | O_DIRECTORY | O_CLOEXEC) for use as
// a root. fd, or -errno.
int OpenExportRoot(const std::string& path);

// openat2(root_fd, relpath, flags | O_CLOEXEC, RESOLVE_BENEATH |
// RESOLVE_NO_SYMLINKS), with O_NOCTTY unless flags has O_PATH (which takes
// no other flags). fd, or -errno (-ENOSYS on a kernel before 5.6).
int OpenBeneath(int root_fd, const std::string& relpath, int flags);

// The statx fields a local file is checked with when opened and re-checked
// (kMapIdentityStatxMask, and the ctime).
inline constexpr unsigned kLocalFileStatxMask = kMapIdentityStatxMask | STATX_CTIME;

// A local file OpenObjectBeneath opened, or why it did not.
struct LocalOpen {
  int fd = -1;        // open for I/O and the entry's object; -1: not opened
  int error = 0;      // fd < 0: -errno of the open that failed, or 0 when
                      // the path names something else than the object
  struct statx sx{};  // fd's, with kLocalFileStatxMask
};

// Opens `relpath` beneath `root_fd` (as OpenBeneath) for I/O with `flags`
// (an access mode, O_SYNC, O_DSYNC) only when it is the regular file
// `entry` names, and never opens, blocks on or follows anything else: an
// O_PATH open first, whose statx must show the entry's regular file (inode,
// device, birth time; where `vfs_opaque` is not empty, its kernel handle);
// then the open for I/O with O_NONBLOCK (cleared after: a FIFO put at the
// path in between cannot block it), which must be the same inode as the
// O_PATH one, still open, and the entry's object in full (IsSameObject).
LocalOpen OpenObjectBeneath(int root_fd, const std::string& relpath, int flags,
                            const MapEntry& entry, std::span<const uint8_t> vfs_opaque);

// True when statx `sx` is of the regular file `entry` describes: inode,
// device and, where the entry carries one, birth time. What an O_PATH
// descriptor can show.
bool IsEntrysInode(const MapEntry& entry, const struct statx& sx);

// True when the open file `fd`, whose statx is `sx`, is the regular file
// `entry` describes: IsEntrysInode and, where the entry carries one, the
// inode generation (an inode number reused after unlink and create has
// another generation, and a later birth time when a clock tick passed).
// `fd` must be open for I/O (the generation is an ioctl).
bool IsSameObject(const MapEntry& entry, int fd, const struct statx& sx);

// True when the open file `fd` has the kernel handle inside `vfs_opaque`
// (an FSAL_VFS opaque, localio/vfs_opaque.h). This, not the map's inode
// number, ties the file to the handle: Ganesha's VFS takes a LOOKUP's
// attributes and its handle in two steps, so a rename in between can give
// a handle the inode number of another object.
bool IsHandlesObject(std::span<const uint8_t> vfs_opaque, int fd);

// The ctime of `sx` in ns since the epoch; 0 when statx gave none.
uint64_t CtimeNs(const struct statx& sx);
// How old a ctime must be before a re-check may trust that any later
// change of the file moves it: a change within the same timestamp granule
// (a clock tick; a second or two on some filesystems) leaves it as it is.
inline constexpr uint64_t kCtimeSettleNs = 2'000'000'000;
// CtimeNs(sx) when it is at least kCtimeSettleNs older than `now_ns`
// (Clock::RealtimeNs); 0 (re-open at the next check) when it is younger.
uint64_t SettledCtimeNs(const struct statx& sx, uint64_t now_ns);

}  // namespace localio::client

#endif  // LOCALIO_CLIENT_LOCAL_FILE_H
