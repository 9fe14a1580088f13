/* SPDX-License-Identifier: LGPL-3.0-or-later */
// Opening the local file a map entry names, safely: relative to the
// export's root directory, never leaving it and never following a symlink
// (the map is input from another process and names can change under us),
// then proving that it is the object the handle names: by inode and device,
// and where the export's handles are FSAL_VFS's by the kernel handle, which
// names one object for its life (a reused inode number has another one).
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

// openat2(root_fd, relpath, flags | O_CLOEXEC | O_NOCTTY,
// RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS). fd, or -errno (-ENOSYS on a
// kernel before 5.6).
int OpenBeneath(int root_fd, const std::string& relpath, int flags);

// True when the open file `fd`, whose statx is `sx`, is the regular file
// `entry` describes: inode, device and, where the entry carries them, birth
// time and inode generation (an inode number reused after unlink and create
// has another generation, and a later birth time when a clock tick passed).
bool IsSameObject(const MapEntry& entry, int fd, const struct statx& sx);

// True when the open file `fd` has the kernel handle inside `vfs_opaque`
// (an FSAL_VFS opaque, localio/vfs_opaque.h). This, not the map's inode
// number, ties the file to the handle: Ganesha's VFS takes a LOOKUP's
// attributes and its handle in two steps, so a rename in between can give
// a handle the inode number of another object.
bool IsHandlesObject(std::span<const uint8_t> vfs_opaque, int fd);

}  // namespace localio::client

#endif  // LOCALIO_CLIENT_LOCAL_FILE_H
