/* SPDX-License-Identifier: LGPL-3.0-or-later */
// The byte layout of the shared map file: the one contract between the
// server's MapWriter and every client's MapReader. Fixed-size POD structs in
// the host's native (little-endian) byte order, every section 64-byte aligned.
//
//   MapHeader | export keys | export rows | tag words | slots | record arena
//
// Slots come in buckets of eight; a bucket's eight tag words are one cache
// line of the tag array (8 MiB at 1M entries: it stays in cache, so a miss
// costs no memory access). A slot is 64 bytes; its handle and path live in
// the arena, in a record of 8-byte units the slot points to. Every section's offset, count and element
// size is in the header, so a reader can check them all against the real
// file size before touching anything, and every record reference is checked
// against the arena's size before it is followed. Changing any struct,
// constant or MapHash means a new kMapLayoutVersion.
#ifndef LOCALIO_MAP_LAYOUT_H
#define LOCALIO_MAP_LAYOUT_H

#include <cstddef>
#include <sys/types.h>

#include <cstdint>
#include <cstring>

#include "localio/fh_format.h"

namespace localio {

inline constexpr char kMapMagic[8] = {'L', 'O', 'C', 'A', 'L', 'M', 'A', 'P'};
// 4: an export row carries its root's handle (MapExportRow::root_handle).
inline constexpr uint32_t kMapLayoutVersion = 4;
// The layout before (export rows without a root handle), whose MapHeader
// agrees with this one up to `flags`: a server replaces a dead server's map
// of it.
inline constexpr uint32_t kMapPreviousLayoutVersion = 3;
inline constexpr uint64_t kMapSectionAlign = 64;

inline constexpr uint32_t kMapExportRows = 256;
inline constexpr uint32_t kMapRootPathField = 1024;  // bytes incl. the NUL
inline constexpr uint32_t kMapSlotsPerBucket = 8;
// The longest FSAL opaque the map keeps: more than any NFSv3 handle carries
// (NFS3_FHSIZE 64 less Ganesha's 5-byte header: 59, FSAL_VFS's
// VFS_HANDLE_LEN), so every handle a client can hold over both versions is
// published; a longer NFSv4-only opaque (up to fh_format.h's
// max_opaque_len) is not, and its I/O goes through RPC.
inline constexpr uint32_t kMapMaxHandleLen = 64;
inline constexpr uint32_t kMapPathField = 384;  // the longest path incl. the NUL
inline constexpr uint32_t kMapMaxPathLen = kMapPathField - 1;
// The arena is counted in 8-byte units; a record is the handle, the path
// and its NUL, rounded up to whole units.
inline constexpr uint32_t kMapUnit = 8;
inline constexpr uint32_t kMapMaxRecordUnits =
    (kMapMaxHandleLen + kMapPathField + kMapUnit - 1) / kMapUnit;
// Arena units per slot: a 32-byte handle and a 40-byte path (73 bytes with
// the NUL) take 10. Beyond that, one bucket of the longest records always
// fits, however small the map.
inline constexpr uint32_t kMapArenaUnitsPerSlot = 10;
// Upper bound on buckets a reader accepts (2^25 buckets = 256M entries), so
// a hostile header cannot make size arithmetic overflow and every arena
// unit has a 32-bit index.
inline constexpr uint32_t kMapMaxBuckets = 1u << 25;

constexpr uint32_t MapRecordUnits(uint32_t handle_len, uint32_t path_len) {
  return (handle_len + path_len + 1 + kMapUnit - 1) / kMapUnit;
}

// MapHeader::flags
inline constexpr uint32_t kMapAlive = 1;  // cleared when the server stops
// The server holds an OFD write lock on the map's first byte while it runs:
// the kernel drops it when the process dies, which a reader sees at once in
// any pid namespace (a pid is no proof there). Set after the lock is taken;
// readers that predate it ignore it.
inline constexpr uint32_t kMapLocked = 2;
// The byte range of that lock.
inline constexpr off_t kMapLockStart = 0;
inline constexpr off_t kMapLockLength = 1;

// The header. Fields above header_seq are written once, before the file is
// renamed into place; readers copy them at open. epoch, port and flags change
// under header_seq (a seqlock); heartbeat_ms, entries_used, evictions and
// access_epoch are single atomic words.
struct MapHeader {
  char magic[8];
  uint32_t layout_version;
  uint32_t header_size;          // sizeof(MapHeader)
  uint64_t total_size;           // bytes the file must have at least
  uint64_t export_keys_offset;   // u32 per export row
  uint64_t export_rows_offset;
  uint32_t export_row_count;
  uint32_t export_row_size;      // sizeof(MapExportRow)
  uint64_t tags_offset;          // u64 tag word per slot, bucket after bucket
  uint64_t slots_offset;         // MapSlot per slot
  uint32_t bucket_count;         // a power of two
  uint32_t slots_per_bucket;     // kMapSlotsPerBucket
  uint32_t slot_size;            // sizeof(MapSlot)
  uint32_t tag_size;             // sizeof(uint64_t)
  uint8_t instance_id[16];       // random, new per server start
  uint32_t server_pid;
  uint32_t header_seq;           // odd while epoch/port/flags change
  uint64_t heartbeat_ms;         // CLOCK_MONOTONIC ms, every second
  uint64_t epoch;                // bumped on export add/remove/change
  uint32_t flags;                // kMapAlive
  uint16_t port;                 // LOCALIO listener, 0 = not listening
  uint16_t nfs_port;             // the server's NFS port, 0 = unknown
  localio_fh_format fh_format;
  uint64_t entries_used;         // informational, for tools
  uint64_t evictions;            // informational, for tools
  uint64_t arena_offset;         // arena_units units of kMapUnit bytes
  uint64_t arena_units;          // MapGeometryFor(bucket_count).arena_units
  uint64_t arena_used;           // informational: units in live records
  // Bumped by the server after it changed the mode, owner, group or ACL of
  // a regular file: clients re-open their local files before the next I/O
  // ("Revocation" in docs/DESIGN.md). A single atomic word. Taken from the
  // reserved bytes without a new layout version: readers that predate it
  // ignore it, and a server that predates it leaves it 0.
  uint64_t access_epoch;
  uint8_t reserved[72];
};
static_assert(sizeof(MapHeader) == 256);
static_assert(offsetof(MapHeader, instance_id) == 80);
static_assert(offsetof(MapHeader, header_seq) == 100);
static_assert(offsetof(MapHeader, heartbeat_ms) == 104);
static_assert(offsetof(MapHeader, epoch) == 112);
static_assert(offsetof(MapHeader, flags) == 120);
static_assert(offsetof(MapHeader, fh_format) == 128);
static_assert(offsetof(MapHeader, entries_used) == 136);
static_assert(offsetof(MapHeader, arena_offset) == 152);
static_assert(offsetof(MapHeader, access_epoch) == 176);

// Export key array: one u32 per row so FindExport scans 1 KiB, not 256 rows.
// 0 = row free; kMapExportKeyUsed | export id = row in use.
inline constexpr uint32_t kMapExportKeyUsed = 1u << 16;

// MapExportRow::flags
inline constexpr uint16_t kMapExportInUse = 1;
inline constexpr uint16_t kMapExportReadOnly = 2;
// The export's opaque handles are FSAL_VFS's (localio/vfs_opaque.h): a client
// proves that a file it opened is the handle's object by its kernel handle.
// Readers that predate the bit ignore it (the inode check still holds).
inline constexpr uint16_t kMapExportKernelHandles = 4;

// One export. Written under its own seqlock `seq` (odd while written).
struct MapExportRow {
  uint64_t seq;
  uint16_t export_id;
  uint16_t flags;
  uint32_t squash;               // MapSquash
  uint32_t anon_uid;
  uint32_t anon_gid;
  uint16_t server_root_len;
  uint16_t client_root_len;
  uint32_t reserved0;
  char server_root[kMapRootPathField];  // NUL-terminated, absolute
  char client_root[kMapRootPathField];  // NUL-terminated, absolute
  // The FSAL opaque of the export's root directory, once the server looked
  // it up (0 bytes before): the directory a client names in the LOOKUP
  // that carries a LOCALIO call through the NFS port (localio_proto.h,
  // "LOCALIO names").
  uint8_t root_handle_len;
  uint8_t reserved1[7];
  uint8_t root_handle[kMapMaxHandleLen];
  uint8_t reserved[24];
};
static_assert(sizeof(MapExportRow) == 2176);
static_assert(sizeof(MapExportRow) % kMapSectionAlign == 0);
static_assert(offsetof(MapExportRow, server_root) == 32);

// MapSlot::flags
inline constexpr uint16_t kMapSlotInUse = 1;
inline constexpr uint16_t kMapSlotHasGeneration = 2;  // inode_generation is set

// One entry. Written under `seq` (odd while written), and so is its record:
// a reader copies the slot and the record, then checks `seq` again. The
// record holds handle_len bytes of handle, path_len bytes of path (relative
// to the export root) and a NUL, at arena unit `record`.
struct MapSlot {
  uint64_t seq;
  uint16_t export_id;
  uint8_t handle_len;            // 1..kMapMaxHandleLen
  uint8_t type;                  // MapObjectType
  uint16_t path_len;             // <= kMapMaxPathLen
  uint16_t flags;                // kMapSlotInUse
  uint64_t ino;
  uint64_t dev;
  uint64_t generation;           // bumped whenever the slot's value changes
  uint64_t published_ms;         // CLOCK_MONOTONIC ms of the last change
  // For a regular file of an export whose handles are not kernel handles,
  // what tells it from a later object that got its inode number back: its
  // birth time (statx btime, ns since the epoch; 0 = none) and its inode
  // generation (FS_IOC_GETVERSION, with kMapSlotHasGeneration). Birth times
  // are coarse (a clock tick), so a fast reuse can share one; the generation
  // is what ext4, XFS and btrfs give, tmpfs gives neither but never reuses.
  uint64_t birth_ns;
  uint32_t inode_generation;
  uint32_t record;               // arena unit of the record
};
static_assert(sizeof(MapSlot) == 64);
static_assert(offsetof(MapSlot, birth_ns) == 48);

// A bucket's tag word: 0 = empty; else the key's tag (MapTagOf) in the low
// 32 bits and the slot's record unit in the high 32, so that a lookup can
// start loading the record while it loads the slot. The slot's own `record`
// is the one that counts: a word is a hint, read outside the seqlock.
constexpr uint64_t MapTagWord(uint32_t tag, uint32_t record) {
  return uint64_t{record} << 32 | tag;
}
constexpr uint32_t MapTagWordTag(uint64_t word) { return static_cast<uint32_t>(word); }
constexpr uint32_t MapTagWordRecord(uint64_t word) { return static_cast<uint32_t>(word >> 32); }

// Where everything sits for a given number of buckets.
struct MapGeometry {
  uint64_t export_keys_offset;
  uint64_t export_rows_offset;
  uint64_t tags_offset;
  uint64_t slots_offset;
  uint64_t arena_offset;
  uint64_t arena_units;
  uint64_t total_size;
  uint32_t bucket_count;
  uint32_t capacity;             // bucket_count * kMapSlotsPerBucket
};

constexpr uint64_t MapAlignUp(uint64_t v) {
  return (v + kMapSectionAlign - 1) & ~(kMapSectionAlign - 1);
}

// Geometry for `bucket_count` buckets (a power of two <= kMapMaxBuckets).
constexpr MapGeometry MapGeometryFor(uint32_t bucket_count) {
  MapGeometry g{};
  g.bucket_count = bucket_count;
  g.capacity = bucket_count * kMapSlotsPerBucket;
  g.export_keys_offset = MapAlignUp(sizeof(MapHeader));
  g.export_rows_offset =
      MapAlignUp(g.export_keys_offset + uint64_t{kMapExportRows} * 4);
  g.tags_offset = MapAlignUp(g.export_rows_offset +
                             uint64_t{kMapExportRows} * sizeof(MapExportRow));
  g.slots_offset = MapAlignUp(g.tags_offset + uint64_t{g.capacity} * sizeof(uint64_t));
  g.arena_offset = MapAlignUp(g.slots_offset + uint64_t{g.capacity} * sizeof(MapSlot));
  g.arena_units = uint64_t{g.capacity} * kMapArenaUnitsPerSlot +
                  uint64_t{kMapSlotsPerBucket} * kMapMaxRecordUnits;
  g.total_size = MapAlignUp(g.arena_offset + g.arena_units * kMapUnit);
  return g;
}

// The smallest geometry holding at least `max_entries` entries.
constexpr MapGeometry MapGeometryForEntries(uint64_t max_entries) {
  uint32_t buckets = 1;
  while (uint64_t{buckets} * kMapSlotsPerBucket < max_entries &&
         buckets < kMapMaxBuckets)
    buckets <<= 1;
  return MapGeometryFor(buckets);
}

// The key hash, part of the layout: bucket = low bits, tag = high 32 bits
// (never 0, which marks an empty slot).
inline uint64_t MapHash(uint16_t export_id, const uint8_t* handle,
                        size_t len) {
  constexpr uint64_t kMul = 0x9e3779b97f4a7c15ull;
  uint64_t h = (uint64_t{export_id} << 8 | len) * kMul;
  size_t i = 0;
  for (; i + 8 <= len; i += 8) {
    uint64_t w;
    std::memcpy(&w, handle + i, 8);
    h = (h ^ w) * kMul;
    h ^= h >> 29;
  }
  if (i < len) {
    uint64_t w = 0;
    std::memcpy(&w, handle + i, len - i);
    h = (h ^ w) * kMul;
  }
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdull;
  h ^= h >> 33;
  return h;
}

inline uint32_t MapTagOf(uint64_t hash) {
  uint32_t tag = static_cast<uint32_t>(hash >> 32);
  return tag == 0 ? 1 : tag;
}

}  // namespace localio

#endif  // LOCALIO_MAP_LAYOUT_H
