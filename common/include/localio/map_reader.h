/* SPDX-License-Identifier: LGPL-3.0-or-later */
// The client's side of the shared map: maps it read-only, never takes a lock,
// never writes. The map is input from another process — stale, truncated or
// hostile — so every value is checked before use and a bad map is an error,
// never a crash or an out-of-bounds read.
//
// Geometry (offsets, counts, sizes) is validated once at Open against the
// file's real size and kept in the reader's own memory, so a later rewrite of
// the header cannot move a read outside the mapping. What a mapping cannot
// prevent is a file truncated below the mapped size; the map is writable
// only by the server's uid and the server never shrinks a live map (a
// restart renames a new file into place and leaves the old inode intact
// while clients still map it), so a truncation is hostile: the mapping is
// guarded (mapping_guard.h), lost pages read as zeros (a dead header, empty
// slots) instead of raising SIGBUS, and Refresh() re-checks the size with
// fstat and the header's fixed fields, reporting a replaced, shrunk or
// scribbled-on file so callers stop using it.
#ifndef LOCALIO_MAP_READER_H
#define LOCALIO_MAP_READER_H

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "localio/map_file.h"
#include "localio/map_layout.h"
#include "localio/map_types.h"

namespace localio {

// The maps in directory `dir` (a Map_Directory): every regular file whose
// name starts with no dot and has its hello file (LOCALIO_HELLO_SUFFIX)
// beside it, sorted by name. Trust is not checked here: MapReader::Open
// does, per map. An error when the directory cannot be read.
Status ListMapFiles(const std::string& dir, std::vector<std::string>* paths);

class MapReader {
 public:
  // Maps `path` read-only when it is trusted to be the server's: a regular
  // file owned by `server_uid` and writable by neither group nor others, in
  // a directory trusted_dir.h trusts for that uid (else kNotTrusted, with a
  // sentence naming the file, what was found and what is expected). Then
  // validates magic, layout version, every size, offset and count against
  // the file size, and the fh format. Any problem -> an error naming it
  // ("not usable"), `*out` untouched.
  static Status Open(const std::string& path, uid_t server_uid, std::unique_ptr<MapReader>* out);
  // The same for any owner, for tools that show a map that is not trusted
  // (after Open refused it, saying so); never for deciding to bypass.
  static Status OpenUntrusted(const std::string& path, std::unique_ptr<MapReader>* out);

  // 0 while the mapped file is still the one at the path, still as large as
  // its header claims, and its header's fixed fields (magic, layout, sizes,
  // offsets, instance id) still those Open validated; -ESTALE when the path
  // now names another file (a new server started) or none; -EPROTO when the
  // file shrank or its header was overwritten; -ESRCH when its server died
  // (the lock it held on the map is free, kMapLocked).
  Status Refresh() const;

  // The header's values at one moment (mutable ones under the header
  // seqlock). False if the seqlock never settled (a hostile or stuck writer).
  bool ReadHeader(MapHeaderSnapshot* out) const;
  // Single atomic loads for the per-I/O check.
  uint64_t Epoch() const;
  // MapHeader::access_epoch: moves when the server changed a file's mode,
  // owner, group or ACL (0 from a server that predates it).
  uint64_t AccessEpoch() const;
  uint64_t HeartbeatMs() const;
  bool Alive() const;
  const InstanceId& instance_id() const { return instance_id_; }
  const localio_fh_format& fh_format() const { return fh_format_; }
  uint32_t capacity() const { return geometry_.capacity; }
  // The mapped file's identity (Open's fstat).
  dev_t dev() const { return dev_; }
  ino_t ino() const { return ino_; }

  // A copy of the export's row; nothing if absent, torn beyond retry, or
  // invalid (roots not absolute or not NUL-terminated within their length).
  std::optional<MapExport> FindExport(uint16_t export_id) const;
  // Every export with a valid row, as FindExport copies it.
  std::vector<MapExport> Exports() const;

  // Copies the entry for (export, handle) into *out. 0; -ENOENT if absent;
  // -EBADMSG if the entry fails validation (path not MapRelPathIsSafe, bad
  // lengths); -EAGAIN if its seqlock never settled.
  int Lookup(uint16_t export_id, std::span<const uint8_t> handle, MapEntry* out) const;

  // Calls `fn` with every valid entry (for tools; consistent per entry, not
  // across entries).
  void ForEachEntry(const std::function<void(const MapEntry&)>& fn) const;

 private:
  MapReader() = default;
  static Status OpenWith(const std::string& path, const SharedFileTrust* trust,
                         std::unique_ptr<MapReader>* out);
  // Copies slot `index` if it is valid and (when handle is non-empty) holds
  // that key. Same return values as Lookup.
  int ReadSlot(uint32_t index, uint16_t export_id, std::span<const uint8_t> handle,
               MapEntry* out) const;
  const MapHeader* Header() const { return reinterpret_cast<const MapHeader*>(file_.base()); }

  SharedFile file_;
  std::string path_;
  dev_t dev_ = 0;
  ino_t ino_ = 0;
  MapGeometry geometry_{};
  InstanceId instance_id_{};
  uint32_t server_pid_ = 0;
  localio_fh_format fh_format_{};
};

}  // namespace localio

#endif  // LOCALIO_MAP_READER_H
