/* SPDX-License-Identifier: LGPL-3.0-or-later */
// Resolving an FSAL_VFS opaque handle to a path below an export root, from
// the kernel. Used when a handle reaches the FSAL without a name (after a
// server restart or a cache eviction) and so cannot be published from its
// parent's entry.
//
// FSAL_VFS's opaque: localio/vfs_opaque.h.
#ifndef LOCALIO_VFS_HANDLE_H
#define LOCALIO_VFS_HANDLE_H

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "localio/map_types.h"
#include "localio/vfs_opaque.h"

namespace localio {

struct ResolvedObject {
  std::string relpath;  // relative to the export root, "" = the root
  uint64_t ino = 0;
  uint64_t dev = 0;
  MapObjectType type = MapObjectType::kUnknown;
};

// Opens the object by its kernel handle on the export root's filesystem
// and finds its path below `root_path` (canonical, as the server sees it).
// `root_fd` is the root opened for reading, not O_PATH (the kernel refuses
// an O_PATH mount fd with EBADF).
// 0, or a negative errno: -EINVAL for an opaque that is not VFS's, -ESTALE
// when the object is gone or unlinked, -EXDEV when it is not below the root,
// -ENAMETOOLONG, or the errno of open_by_handle_at (-EPERM without
// CAP_DAC_READ_SEARCH).
int ResolveVfsHandle(int root_fd, std::string_view root_path,
                     std::span<const uint8_t> opaque, ResolvedObject* out);

MapObjectType MapObjectTypeOfMode(uint32_t st_mode);

}  // namespace localio

#endif  // LOCALIO_VFS_HANDLE_H
