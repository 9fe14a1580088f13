/* SPDX-License-Identifier: LGPL-3.0-or-later */
// What one call of the installed libnfs can carry over RPC, for the tests
// and localio-bench (cmake/Libnfs.cmake defines
// LOCALIO_LIBNFS_VERSION_MAJOR). The bypass takes any size.
#pragma once

#include <cstdint>

#ifndef LOCALIO_LIBNFS_VERSION_MAJOR
#error "LOCALIO_LIBNFS_VERSION_MAJOR must be defined by the build"
#endif

namespace localio::harness {

// libnfs 4.0 cannot encode an NFSv4 WRITE above about 3.9 KiB ("Failed to
// encode COMPOUND4args", fixed in 5.0.0): NFSv4 data that may go by RPC is
// written in 2 KiB pieces there. libnfs 5 sends a call of any size, split
// into WRITEs of the server's size.
inline constexpr bool kLibnfsSmallV4Writes = LOCALIO_LIBNFS_VERSION_MAJOR < 5;
inline constexpr uint64_t kMaxV4RpcWrite = kLibnfsSmallV4Writes ? 2048 : uint64_t{1} << 20;

// libnfs 4.0 breaks its NFSv4 connection on a READ above about 1 MiB: 512
// KiB pieces there; 0 = no limit.
inline constexpr uint64_t kMaxV4RpcRead = kLibnfsSmallV4Writes ? 512 * 1024 : 0;

}  // namespace localio::harness
