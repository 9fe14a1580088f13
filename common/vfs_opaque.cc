// SPDX-License-Identifier: LGPL-3.0-or-later
#include "localio/vfs_opaque.h"

#include <fcntl.h>

#include <cerrno>
#include <cstring>
#include <string>
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

}  // namespace

bool KernelHandle::operator==(const KernelHandle& other) const {
  return type == other.type && size == other.size && size <= kKernelHandleMax &&
         std::memcmp(bytes.data(), other.bytes.data(), size) == 0;
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
  // The handle type, in host order, of the width the flags give.
  auto take_type = [&](auto width) -> bool {
    if (!take(sizeof width)) return false;
    std::memcpy(&width, &opaque[cursor - sizeof width], sizeof width);
    kh.type = width;
    return true;
  };
  bool have_type = false;
  switch (flags & kTypeMask) {
    case kType8: have_type = take_type(uint8_t{}); break;
    case kType16: have_type = take_type(int16_t{}); break;
    case kType32: have_type = take_type(int32_t{}); break;
    default: break;
  }
  if (!have_type) return std::nullopt;
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

int KernelHandleOf(int fd, KernelHandle* out) {
  std::vector<uint8_t> buf(sizeof(file_handle) + kKernelHandleMax);
  auto* fh = reinterpret_cast<file_handle*>(buf.data());
  fh->handle_bytes = kKernelHandleMax;
  int mount_id = 0;
  if (name_to_handle_at(fd, "", fh, &mount_id, AT_EMPTY_PATH) != 0) return -errno;
  if (fh->handle_bytes > kKernelHandleMax) return -EOVERFLOW;
  out->type = fh->handle_type;
  out->size = fh->handle_bytes;
  std::memcpy(out->bytes.data(), fh->f_handle, fh->handle_bytes);
  return 0;
}

}  // namespace localio
