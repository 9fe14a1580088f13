/* SPDX-License-Identifier: LGPL-3.0-or-later */
// The server's side of the shared map: creates the map file (and the hello
// file beside it), keeps the header, the export table and the entries true.
// One MapWriter per server process; every method is thread-safe (Ganesha
// calls from many worker threads), writes are serialised by one mutex.
#ifndef LOCALIO_MAP_WRITER_H
#define LOCALIO_MAP_WRITER_H

#include <sys/types.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "localio/clock.h"
#include "localio/fh_format.h"
#include "localio/defaults.h"
#include "localio/hello_area.h"
#include "localio/map_file.h"
#include "localio/map_layout.h"
#include "localio/map_types.h"

namespace localio {

// The hello file's mode for a map of mode map_mode: clients write their
// nonces into it, so the group gets write when it may read the map; others
// never write it (clients would not trust it: trusted_dir.h).
constexpr mode_t MapHelloMode(mode_t map_mode) {
  return (map_mode & ~mode_t{LOCALIO_MAP_FORBIDDEN_WRITE}) | ((map_mode & 0040) >> 1);
}

struct MapConfig {
  std::string path = LOCALIO_DEFAULT_MAP_DIR "/map" LOCALIO_MAP_SUFFIX;  // hello: path + LOCALIO_HELLO_SUFFIX
  uint64_t max_entries = LOCALIO_DEFAULT_MAX_ENTRIES;  // rounded up to whole buckets
  mode_t mode = LOCALIO_DEFAULT_MAP_MODE;             // the map: clients only read it
  mode_t hello_mode = MapHelloMode(LOCALIO_DEFAULT_MAP_MODE);  // clients write it
  int64_t gid = -1;               // group of both files; -1 = the server's
  localio_fh_format fh_format = localio_fh_format_ganesha();
  // An existing map whose heartbeat is older than this belongs to a dead
  // server and is replaced.
  uint64_t stale_after_ms = LOCALIO_HEARTBEAT_STALE_MS;
  // Whose time the heartbeat, publish stamps and that staleness are; it
  // must outlive the writer.
  const Clock* clock = &SystemClock();
};

class MapWriter {
 public:
  // Creates the map at config.path and the hello file beside it, in a
  // directory clients can trust (trusted_dir.h): owned by this process's
  // euid or root, writable by neither group nor others, below directories
  // no other uid can rename it out of (else kNotTrusted, with a sentence
  // that starts "its directory ..." and says what to do). A missing
  // directory is created with mode 0755 when the one above it passes that
  // check. An existing map is replaced only when its server is dead (ALIVE
  // flag clear, pid gone or heartbeat older than stale_after_ms); a live
  // one, a symlink, or a file that is not a map is refused with an error
  // naming the problem. A mode with a write bit clients refuse
  // (LOCALIO_MAP_FORBIDDEN_WRITE, LOCALIO_HELLO_FORBIDDEN_WRITE) is
  // -EINVAL. Files are made relative to the directory opened once
  // (openat, renameat), and readers never see a half-initialised map
  // (temp file + rename).
  static Status Create(const MapConfig& config, std::unique_ptr<MapWriter>* out);
  // Marks the map dead and unmaps it; the files stay for tools to inspect.
  ~MapWriter();

  const InstanceId& instance_id() const { return instance_id_; }
  const std::string& path() const { return path_; }
  const std::string& hello_path() const { return hello_path_; }

  // The LOCALIO listener's port, and the NFS port of this server: a client
  // uses the map only for a mount whose connection goes to that NFS port.
  void SetPort(uint16_t port, uint16_t nfs_port = 0);
  // Stamps the heartbeat with the clock's now, which it returns; call
  // every second.
  uint64_t Heartbeat();
  // Clears ALIVE: clients stop using the map. Idempotent.
  void MarkDead();
  // Bumps the header's access_epoch (no lock: one atomic add): call after
  // changing a file's mode, owner, group or ACL; every client re-opens its
  // local files, as the identity RPC acts as, before its next I/O.
  void BumpAccessEpoch();

  // Adds or replaces the row of export.export_id; bumps the epoch when the
  // row is new or changed. -ENOSPC when every row is taken, -EINVAL for a
  // root path that is not absolute or does not fit kMapRootPathField.
  Status SetExport(const MapExport& row);
  // Writes the opaque of export_id's root directory into its row (the
  // server looked the root up): no epoch bump, nothing else changes. 0;
  // -ENOENT without a row, -EINVAL for an empty or too long opaque.
  int SetExportRoot(uint16_t export_id, std::span<const uint8_t> opaque);
  // Drops the export's row and every entry of it, bumps the epoch.
  // 0, or -ENOENT when it had no row (its entries, if any, are dropped).
  int RemoveExport(uint16_t export_id);
  // Drops the export's row only, bumps the epoch: clients stop bypassing
  // it at their next I/O, and its entries wait for SetExport to bring a
  // row back. 0 or -ENOENT.
  int SuspendExport(uint16_t export_id);

  // Publishes handle -> relpath and identity (stamp: MapSlot's birth_ns and
  // inode_generation; empty = none). Re-publishing an unchanged
  // entry is one hash probe and a compare, no write to the map; a changed
  // entry bumps the slot's generation. A full bucket evicts its least
  // recently published entry; a full record arena evicts entries in slot
  // order until a 32nd of it is free, and compacts it. 0, or -EMSGSIZE
  // (handle empty or longer than kMapMaxHandleLen), -ENAMETOOLONG (relpath
  // longer than kMapMaxPathLen),
  // -EINVAL (relpath not MapRelPathIsSafe). Refused entries are simply not
  // in the map: clients use RPC for them.
  // *seen_removals, when given: Removals() as of this publish (the entry is
  // still in the map while Removals() has not moved past it).
  int Publish(uint16_t export_id, std::span<const uint8_t> handle, std::string_view relpath,
              uint64_t ino, uint64_t dev, MapObjectType type, const MapInodeStamp& stamp = {},
              uint64_t* seen_removals = nullptr);
  // Publish of `name` in the directory `parent` (an entry of the map), under
  // one lock: the parent's path is read in place, not copied out and back.
  // -ENOENT when the parent has no entry, -ENOTDIR when it is no
  // directory; else as Publish (-EINVAL for a name that is not one safe
  // component).
  int PublishChild(uint16_t export_id, std::span<const uint8_t> parent, std::string_view name,
                   std::span<const uint8_t> handle, uint64_t ino, uint64_t dev,
                   MapObjectType type, const MapInodeStamp& stamp = {},
                   uint64_t* seen_removals = nullptr);
  // How many entries have left the map (unpublished, evicted, dropped):
  // one atomic load, no lock. An entry published at Removals() == N is
  // still there while Removals() == N.
  uint64_t Removals() const { return removals_.load(std::memory_order_acquire); }
  // 0 or -ENOENT.
  int Unpublish(uint16_t export_id, std::span<const uint8_t> handle);
  // After a rename of old_relpath to new_relpath in the export: rewrites
  // every entry at or below old_relpath (entries whose new path would be too
  // long are dropped). Returns how many entries changed, or -EINVAL. Scans
  // the whole table: meant for directory renames, not per-file hot paths.
  int RenamePrefix(uint16_t export_id, std::string_view old_relpath,
                   std::string_view new_relpath);
  // Whether handle has an entry: one hash probe, nothing copied (the
  // check on every handle sent to a client).
  // *seen_removals as for Publish.
  bool Holds(uint16_t export_id, std::span<const uint8_t> handle,
             uint64_t* seen_removals = nullptr) const;
  // The relpath published for handle: 0 and *out set, or -ENOENT.
  // *seen_removals as for Publish.
  int PathOf(uint16_t export_id, std::span<const uint8_t> handle, std::string* out,
             uint64_t* seen_removals = nullptr) const;

  // UUID_IS_LOCAL: true when a client of this host put `nonce` in the hello
  // area; that slot is then confirmed with this server's instance id.
  bool ConfirmNonce(const Nonce& nonce);
  // Repairs the hello file a client damaged (HelloServer::Repair): what was
  // done, for a log line, or "".
  std::string RepairHello();

  MapStats Stats() const;

 private:
  MapWriter() = default;
  MapHeader* Header() const { return reinterpret_cast<MapHeader*>(file_.base()); }
  MapSlot& SlotAt(uint32_t index) const;
  uint64_t& TagAt(uint32_t index) const;
  uint64_t* Arena() const;
  const uint8_t* RecordOf(uint32_t index) const;
  uint32_t* ExportKeys() const;
  MapExportRow* ExportRows() const;
  // Slot index of the key, or -1. Caller holds mu_.
  int64_t Find(uint16_t export_id, std::span<const uint8_t> handle, uint64_t hash) const;
  // The path of slot `index` (in the arena, valid until the next write).
  std::string_view PathAt(uint32_t index) const;
  // Writes slot `index` (head: every field but seq) and its record
  // (`record` of head.record's units) under the slot's seqlock.
  void WriteEntry(uint32_t index, const MapSlot& head, const uint64_t* record, uint32_t tag);
  // Publish's body; relpath already checked. Caller holds mu_.
  int PublishLocked(uint16_t export_id, std::span<const uint8_t> handle, uint64_t hash,
                    std::string_view relpath, uint64_t ino, uint64_t dev, MapObjectType type,
                    const MapInodeStamp& stamp);
  void ClearSlot(uint32_t index);
  // Arena units for a record of `units`, or -1. When the arena is full,
  // evicts entries (never slot `keep`) and compacts. Caller holds mu_.
  int64_t Alloc(uint32_t units, uint32_t keep);
  int64_t TakeFree(uint32_t units);
  void Free(uint32_t record, uint32_t units);
  // Moves every live record down to the arena's start, in order.
  void Compact();
  void StoreCounters();
  void BumpEpoch();
  // Clears the export's key and row; false when it has none. Caller holds mu_.
  bool DropRow(uint16_t export_id);

  mutable std::mutex mu_;
  SharedFile file_;
  std::unique_ptr<HelloServer> hello_;
  MapGeometry geometry_{};
  InstanceId instance_id_{};
  std::string path_;
  std::string hello_path_;
  const Clock* clock_ = nullptr;
  // Private to the writer, one 16-byte row per slot (one cache miss for
  // all three): publish order (eviction picks the smallest in a bucket;
  // re-publishing touches no shared line), and the slot's record (unit,
  // size in units; 0 = none), kept here so that nothing read back from the
  // shared file decides where the writer reads or writes.
  struct Own {
    uint64_t last_use = 0;
    uint32_t record = 0;
    uint32_t units = 0;
  };
  std::vector<Own> own_;
  // Free records by size in units (index 1..kMapMaxRecordUnits); the arena
  // above top_ is unused. Records are never split below their size class.
  std::vector<std::vector<uint32_t>> free_;
  uint64_t top_ = 0;
  uint64_t free_units_ = 0;
  uint64_t used_units_ = 0;
  uint32_t hand_ = 0;  // where the next arena eviction looks
  uint64_t compactions_ = 0;
  uint64_t uses_ = 0;  // last_use of the latest publish
  uint64_t entries_used_ = 0;
  uint64_t evictions_ = 0;
  static uint64_t FirstRemovals();
  std::atomic<uint64_t> removals_{FirstRemovals()};
};

}  // namespace localio

#endif  // LOCALIO_MAP_WRITER_H
