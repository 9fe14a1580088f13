/* SPDX-License-Identifier: LGPL-3.0-or-later */
// FSAL_VFS's opaque handle, for the server (resolving a handle from the
// kernel) and the client (proving that the file it opened is the object
// its handle names).
//
// The opaque is: a flags byte (filesystem-id type in the low five bits,
// 0x20 for a dummy handle, the width of the kernel handle type in the top
// two bits: 0x40 one byte, 0x80 two, 0xC0 four), the filesystem id (0, 8 or
// 16 bytes by its type), the kernel's handle type, then the kernel's handle
// bytes, as name_to_handle_at gave them to Ganesha. A kernel handle names
// one object for its whole life: it carries the inode's generation where the
// filesystem has one, so a reused inode number has another handle.
#ifndef LOCALIO_VFS_OPAQUE_H
#define LOCALIO_VFS_OPAQUE_H

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>

namespace localio {

inline constexpr size_t kKernelHandleMax = 128;  // MAX_HANDLE_SZ

struct KernelHandle {
  int32_t type = 0;
  uint32_t size = 0;
  std::array<uint8_t, kKernelHandleMax> bytes{};

  // Same type and the same `size` bytes.
  bool operator==(const KernelHandle& other) const;
};

// The kernel handle inside a VFS opaque; nothing for dummy handles and for
// anything that does not follow the layout.
std::optional<KernelHandle> ParseVfsOpaque(std::span<const uint8_t> opaque);

// Builds the VFS opaque of `path` (relative to dir_fd; "" = dir_fd itself)
// with no filesystem id, as FSAL_VFS would with fsid type 0. For tests and
// tools. Empty on error (errno set).
std::string VfsOpaqueOf(int dir_fd, const char* path);

// The kernel handle of the open file `fd` (name_to_handle_at, AT_EMPTY_PATH:
// no privilege needed). 0 or a negative errno.
int KernelHandleOf(int fd, KernelHandle* out);

}  // namespace localio

#endif  // LOCALIO_VFS_OPAQUE_H
