/* SPDX-License-Identifier: LGPL-3.0-or-later */
// Values the map's writer takes and its reader hands out (errors are
// Status, status.h). Plain copies: nothing here points into the shared file.
#ifndef LOCALIO_MAP_TYPES_H
#define LOCALIO_MAP_TYPES_H

#include <sys/stat.h>

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <vector>
#include <string_view>

#include "localio/defaults.h"
#include "localio/fh_format.h"
#include "localio/map_enums.h"
#include "localio/map_layout.h"
#include "localio/status.h"

namespace localio {

// A client's single-use handshake nonce and a server start's identity.
using Nonce = std::array<uint8_t, 16>;
using InstanceId = std::array<uint8_t, 16>;


// Squash modes as Ganesha applies them to the RPC path, and object types:
// the C enums' values (map_enums.h), which the C side uses.
enum class MapSquash : uint32_t {
  kNone = LOCALIO_SQUASH_NONE,
  kRootSquash = LOCALIO_SQUASH_ROOT,
  kRootIdSquash = LOCALIO_SQUASH_ROOT_ID,
  kAllSquash = LOCALIO_SQUASH_ALL,
};

enum class MapObjectType : uint8_t {
  kUnknown = LOCALIO_OBJ_UNKNOWN,
  kRegular = LOCALIO_OBJ_REGULAR,
  kDirectory = LOCALIO_OBJ_DIRECTORY,
  kSymlink = LOCALIO_OBJ_SYMLINK,
  kOther = LOCALIO_OBJ_OTHER,
};

// One export row as the server describes it.
struct MapExport {
  uint16_t export_id = 0;
  bool read_only = false;
  MapSquash squash = MapSquash::kNone;
  uint32_t anon_uid = LOCALIO_DEFAULT_ANON_ID;
  uint32_t anon_gid = LOCALIO_DEFAULT_ANON_ID;
  std::string server_root;  // absolute, < kMapRootPathField bytes
  std::string client_root;  // absolute; empty = same as server_root
  bool kernel_handles = false;  // opaques are FSAL_VFS's (kMapExportKernelHandles)
  // The root directory's FSAL opaque (MapExportRow::root_handle); empty
  // until the server looked the root up. SetExport keeps the row's.
  std::vector<uint8_t> root_handle;

  bool operator==(const MapExport&) const = default;
};

// MapSlot's birth_ns and inode_generation: what tells an object from a
// later one with its inode number. All zero/false = nothing published.
struct MapInodeStamp {
  uint64_t birth_ns = 0;
  bool has_generation = false;
  uint32_t generation = 0;

  bool operator==(const MapInodeStamp&) const = default;
};

// One entry as a reader copied it out of the map; already validated (see
// MapRelPathIsSafe). Fixed size so a lookup allocates nothing.
struct MapEntry {
  uint16_t export_id = 0;
  MapObjectType type = MapObjectType::kUnknown;
  uint8_t handle_len = 0;
  uint16_t path_len = 0;
  uint64_t ino = 0;
  uint64_t dev = 0;
  uint64_t generation = 0;
  uint64_t published_ms = 0;
  MapInodeStamp stamp;
  // The entry's record as the map holds it: the handle, then the path and
  // its NUL (MapSlot).
  std::array<uint64_t, kMapMaxRecordUnits> record{};

  std::span<const uint8_t> handle() const {
    return {reinterpret_cast<const uint8_t*>(record.data()), handle_len};
  }
  std::string_view path() const {
    return {reinterpret_cast<const char*>(record.data()) + handle_len, path_len};
  }
};

// The header's values at one moment.
struct MapHeaderSnapshot {
  InstanceId instance_id{};
  uint32_t server_pid = 0;
  uint64_t heartbeat_ms = 0;
  uint64_t epoch = 0;
  uint16_t port = 0;      // LOCALIO listener
  uint16_t nfs_port = 0;  // the server's NFS port (0: not published)
  bool alive = false;
  localio_fh_format fh_format{};
  uint32_t capacity = 0;
  uint64_t entries_used = 0;
  uint64_t evictions = 0;
  uint64_t arena_bytes = 0;       // the record arena's size
  uint64_t arena_used_bytes = 0;  // in live records, as the writer counts them
};

struct MapStats {
  uint64_t entries_used = 0;
  uint64_t capacity = 0;
  uint64_t evictions = 0;
  uint64_t arena_bytes = 0;       // the record arena's size
  uint64_t arena_used_bytes = 0;  // in live records
  uint64_t compactions = 0;       // times the full arena was compacted
};

// True for a path the map may hold: relative (no leading '/'), no empty,
// "." or ".." component, no NUL, at most kMapMaxPathLen bytes. "" names the
// export root itself.
bool MapRelPathIsSafe(std::string_view path);
// True for one component the map may hold: MapRelPathIsSafe, not empty,
// no '/' (a name the FSAL publishes in a directory).
bool MapNameIsSafe(std::string_view name);

// The birth time statx reported, in ns since the epoch (MapSlot::birth_ns),
// or 0 when the filesystem reports none.
uint64_t MapBirthNs(const struct statx& sx);
// The inode generation of the open file fd (FS_IOC_GETVERSION): true and
// *out set, or false where the filesystem has none (tmpfs: ENOTTY).
bool MapInodeGeneration(int fd, uint32_t* out);
// Both, for the open file fd whose statx is sx.
MapInodeStamp MapInodeStampOf(int fd, const struct statx& sx);

// The statx fields that tell an object's identity (what the two functions
// above and MapStatxIsRegularFile read).
inline constexpr unsigned kMapIdentityStatxMask = STATX_TYPE | STATX_INO | STATX_BTIME;
// True when statx `sx` (asked with kMapIdentityStatxMask) is of a regular
// file with inode `ino` on device `dev` (as MapSlot keeps it).
bool MapStatxIsRegularFile(const struct statx& sx, uint64_t ino, uint64_t dev);

}  // namespace localio

#endif  // LOCALIO_MAP_TYPES_H
