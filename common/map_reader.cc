// SPDX-License-Identifier: LGPL-3.0-or-later
#include "localio/map_reader.h"

#include <dirent.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string_view>

#include "localio/defaults.h"
#include "localio/map_atomic.h"
#include "localio/wire_handle.h"

namespace localio {

namespace {

Status Unusable(const std::string& path, const std::string& why) {
  return Status::Error(-EPROTO, "map " + path + " is not usable: " + why);
}

// Checks every geometry field of `h` against this layout and `file_size`.
Status CheckGeometry(const MapHeader& h, uint64_t file_size, const std::string& path) {
  if (std::memcmp(h.magic, kMapMagic, sizeof h.magic) != 0)
    return Unusable(path, "bad magic (not a LOCALIO map)");
  if (h.layout_version != kMapLayoutVersion)
    return Unusable(path, "layout version " + std::to_string(h.layout_version) +
                              ", this client reads " + std::to_string(kMapLayoutVersion));
  if (h.header_size != sizeof(MapHeader)) return Unusable(path, "wrong header size");
  if (h.export_row_count != kMapExportRows || h.export_row_size != sizeof(MapExportRow))
    return Unusable(path, "wrong export table shape");
  if (h.slots_per_bucket != kMapSlotsPerBucket || h.slot_size != sizeof(MapSlot) ||
      h.tag_size != sizeof(uint64_t))
    return Unusable(path, "wrong entry table shape");
  if (h.bucket_count == 0 || h.bucket_count > kMapMaxBuckets ||
      (h.bucket_count & (h.bucket_count - 1)) != 0)
    return Unusable(path, "bucket count " + std::to_string(h.bucket_count) +
                              " is not a power of two up to " + std::to_string(kMapMaxBuckets));
  const MapGeometry g = MapGeometryFor(h.bucket_count);
  if (h.export_keys_offset != g.export_keys_offset ||
      h.export_rows_offset != g.export_rows_offset || h.tags_offset != g.tags_offset ||
      h.slots_offset != g.slots_offset ||
      h.arena_offset != g.arena_offset || h.arena_units != g.arena_units ||
      h.total_size != g.total_size)
    return Unusable(path, "section offsets or total size do not match the bucket count");
  if (h.total_size > file_size)
    return Unusable(path, "file is " + std::to_string(file_size) + " bytes, header claims " +
                              std::to_string(h.total_size));
  if (!FhFormatIsSane(h.fh_format)) return Unusable(path, "file-handle format is not sane");
  return Status::Ok();
}

bool RootIsValid(const char* bytes, uint16_t len) {
  if (len == 0 || len >= kMapRootPathField || bytes[0] != '/' || bytes[len] != '\0')
    return false;
  return std::memchr(bytes, '\0', len) == nullptr;
}

}  // namespace

Status MapReader::Open(const std::string& path, uid_t server_uid,
                       std::unique_ptr<MapReader>* out) {
  const SharedFileTrust trust{ServerUidOwner(server_uid), "map", LOCALIO_MAP_FORBIDDEN_WRITE};
  return OpenWith(path, &trust, out);
}

Status MapReader::OpenUntrusted(const std::string& path, std::unique_ptr<MapReader>* out) {
  return OpenWith(path, nullptr, out);
}

Status MapReader::OpenWith(const std::string& path, const SharedFileTrust* trust,
                           std::unique_ptr<MapReader>* out) {
  SharedFile file;
  Status st = OpenSharedFile(path, /*writable=*/false, trust, &file);
  if (st.code == -ENODATA) return Unusable(path, "file is empty");
  if (!st.ok()) return st;
  if (file.size() < sizeof(MapHeader)) return Unusable(path, "file is shorter than a header");
  MapHeader h{};
  SharedCopyOut(&h, file.base(), sizeof h / 8);
  if (!(st = CheckGeometry(h, file.size(), path)).ok()) return st;
  struct stat sb;
  if (fstat(file.fd(), &sb) != 0) return Status::Error(-errno, "cannot stat map " + path);

  std::unique_ptr<MapReader> r(new MapReader());
  r->geometry_ = MapGeometryFor(h.bucket_count);
  r->path_ = path;
  r->dev_ = sb.st_dev;
  r->ino_ = sb.st_ino;
  std::memcpy(r->instance_id_.data(), h.instance_id, sizeof h.instance_id);
  r->server_pid_ = h.server_pid;
  r->fh_format_ = h.fh_format;
  r->file_ = std::move(file);
  *out = std::move(r);
  return Status::Ok();
}

Status MapReader::Refresh() const {
  struct stat sb;
  if (fstat(file_.fd(), &sb) != 0) return Status::Error(-errno, "cannot stat map " + path_);
  if (static_cast<uint64_t>(sb.st_size) < geometry_.total_size)
    return Unusable(path_, "file shrank to " + std::to_string(sb.st_size) + " bytes");
  // The server never rewrites these after creating the map: any change is
  // someone scribbling on it, and nothing read from it can be trusted.
  MapHeader h{};
  SharedCopyOut(&h, file_.base(), sizeof h / 8);
  if (Status st = CheckGeometry(h, file_.size(), path_); !st.ok()) return st;
  if (h.bucket_count != geometry_.bucket_count ||
      std::memcmp(h.instance_id, instance_id_.data(), sizeof h.instance_id) != 0 ||
      h.server_pid != server_pid_ || std::memcmp(&h.fh_format, &fh_format_, sizeof h.fh_format) != 0)
    return Unusable(path_, "its header changed under the reader");
  if (stat(path_.c_str(), &sb) != 0 || sb.st_dev != dev_ || sb.st_ino != ino_)
    return Status::Error(-ESTALE, "map " + path_ + " was replaced or removed");
  if (MapServerLockFree(file_.fd(), SharedLoadAcquire(&Header()->flags)))
    return Status::Error(-ESRCH, "the server of map " + path_ + " is gone (its lock is free)");
  return Status::Ok();
}

bool MapReader::ReadHeader(MapHeaderSnapshot* out) const {
  const MapHeader* h = Header();
  for (int tries = 0; tries < kSeqlockTries; ++tries) {
    const uint32_t begin = SeqlockReadBegin(&h->header_seq);
    const uint64_t epoch = SharedLoadAcquire(&h->epoch);
    const uint32_t flags = SharedLoadAcquire(&h->flags);
    const uint16_t port = SharedLoadAcquire(&h->port);
    const uint16_t nfs_port = SharedLoadAcquire(&h->nfs_port);
    if (!SeqlockReadValid(&h->header_seq, begin)) {
      SeqlockPause();
      continue;
    }
    out->instance_id = instance_id_;
    out->server_pid = server_pid_;
    out->fh_format = fh_format_;
    out->capacity = geometry_.capacity;
    out->epoch = epoch;
    out->alive = (flags & kMapAlive) != 0 && !MapServerLockFree(file_.fd(), flags);
    out->port = port;
    out->nfs_port = nfs_port;
    out->heartbeat_ms = SharedLoad(&h->heartbeat_ms);
    out->entries_used = SharedLoad(&h->entries_used);
    out->evictions = SharedLoad(&h->evictions);
    // Informational, and from the shared file: never more than the arena.
    out->arena_bytes = geometry_.arena_units * kMapUnit;
    out->arena_used_bytes =
        std::min<uint64_t>(SharedLoad(&h->arena_used), geometry_.arena_units) * kMapUnit;
    return true;
  }
  return false;
}

uint64_t MapReader::Epoch() const { return SharedLoadAcquire(&Header()->epoch); }
uint64_t MapReader::AccessEpoch() const { return SharedLoadAcquire(&Header()->access_epoch); }
uint64_t MapReader::HeartbeatMs() const { return SharedLoad(&Header()->heartbeat_ms); }
bool MapReader::Alive() const { return (SharedLoadAcquire(&Header()->flags) & kMapAlive) != 0; }

std::optional<MapExport> MapReader::FindExport(uint16_t export_id) const {
  const uint32_t key = kMapExportKeyUsed | export_id;
  const auto* keys = reinterpret_cast<const uint32_t*>(file_.base() + geometry_.export_keys_offset);
  const auto* rows =
      reinterpret_cast<const MapExportRow*>(file_.base() + geometry_.export_rows_offset);
  for (uint32_t i = 0; i < kMapExportRows; ++i) {
    if (SharedLoadAcquire(&keys[i]) != key) continue;
    const MapExportRow* shared = &rows[i];
    for (int tries = 0; tries < kSeqlockTries; ++tries) {
      const uint64_t begin = SeqlockReadBegin(&shared->seq);
      MapExportRow row;
      SharedCopyOut(reinterpret_cast<uint8_t*>(&row) + 8,
                    reinterpret_cast<const uint8_t*>(shared) + 8, (sizeof row - 8) / 8);
      if (!SeqlockReadValid(&shared->seq, begin)) {
        SeqlockPause();
        continue;
      }
      if (row.export_id != export_id || !(row.flags & kMapExportInUse) ||
          row.squash > static_cast<uint32_t>(MapSquash::kAllSquash) ||
          !RootIsValid(row.server_root, row.server_root_len) ||
          !RootIsValid(row.client_root, row.client_root_len))
        return std::nullopt;
      MapExport e;
      e.export_id = row.export_id;
      e.read_only = (row.flags & kMapExportReadOnly) != 0;
      e.kernel_handles = (row.flags & kMapExportKernelHandles) != 0;
      e.squash = static_cast<MapSquash>(row.squash);
      e.anon_uid = row.anon_uid;
      e.anon_gid = row.anon_gid;
      e.server_root.assign(row.server_root, row.server_root_len);
      e.client_root.assign(row.client_root, row.client_root_len);
      if (row.root_handle_len <= kMapMaxHandleLen)
        e.root_handle.assign(row.root_handle, row.root_handle + row.root_handle_len);
      return e;
    }
    return std::nullopt;
  }
  return std::nullopt;
}

Status ListMapFiles(const std::string& dir, std::vector<std::string>* paths) {
  paths->clear();
  DIR* d = opendir(dir.c_str());
  if (d == nullptr)
    return Status::Error(-errno, "cannot read the map directory " + dir + ": " +
                                     std::strerror(errno));
  std::vector<std::string> names;
  while (const dirent* e = readdir(d)) names.emplace_back(e->d_name);
  closedir(d);
  std::sort(names.begin(), names.end());
  const std::string_view hello(LOCALIO_HELLO_SUFFIX);
  for (const std::string& name : names) {
    if (name.empty() || name[0] == '.') continue;
    if (name.size() >= hello.size() && name.compare(name.size() - hello.size(), hello.size(), hello) == 0)
      continue;
    if (!std::binary_search(names.begin(), names.end(), name + LOCALIO_HELLO_SUFFIX)) continue;
    const std::string path = (dir.empty() || dir.back() != '/' ? dir + "/" : dir) + name;
    struct stat st;
    if (lstat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode)) paths->push_back(path);
  }
  return Status::Ok();
}

std::vector<MapExport> MapReader::Exports() const {
  const auto* keys = reinterpret_cast<const uint32_t*>(file_.base() + geometry_.export_keys_offset);
  std::vector<MapExport> out;
  for (uint32_t i = 0; i < kMapExportRows; ++i) {
    const uint32_t key = SharedLoadAcquire(&keys[i]);
    if ((key & kMapExportKeyUsed) == 0) continue;
    if (std::optional<MapExport> e = FindExport(static_cast<uint16_t>(key & 0xffff)))
      out.push_back(std::move(*e));
  }
  return out;
}

int MapReader::ReadSlot(uint32_t index, uint16_t export_id, std::span<const uint8_t> handle,
                        MapEntry* out) const {
  const auto* shared =
      reinterpret_cast<const MapSlot*>(file_.base() + geometry_.slots_offset) + index;
  const auto* arena = reinterpret_cast<const uint64_t*>(file_.base() + geometry_.arena_offset);
  alignas(8) MapSlot head;
  const auto* bytes = reinterpret_cast<const char*>(out->record.data());
  for (int tries = 0; tries < kSeqlockTries; ++tries) {
    const uint64_t begin = SeqlockReadBegin(&shared->seq);
    SharedCopyOut(reinterpret_cast<uint8_t*>(&head) + 8,
                  reinterpret_cast<const uint8_t*>(shared) + 8, (sizeof head - 8) / 8);
    if (!SeqlockReadValid(&shared->seq, begin)) {
      SeqlockPause();
      continue;
    }
    if (!(head.flags & kMapSlotInUse)) return -ENOENT;
    if (!handle.empty() && (head.export_id != export_id || head.handle_len != handle.size()))
      return -ENOENT;
    if (head.handle_len == 0 || head.handle_len > kMapMaxHandleLen ||
        head.path_len > kMapMaxPathLen || head.type > static_cast<uint8_t>(MapObjectType::kOther))
      return -EBADMSG;
    const uint32_t units = MapRecordUnits(head.handle_len, head.path_len);
    if (uint64_t{head.record} + units > geometry_.arena_units) return -EBADMSG;
    SharedCopyOut(out->record.data(), arena + head.record, units);
    if (!SeqlockReadValid(&shared->seq, begin)) {
      SeqlockPause();
      continue;
    }
    if (!handle.empty() && std::memcmp(bytes, handle.data(), handle.size()) != 0) return -ENOENT;
    const std::string_view path(bytes + head.handle_len, head.path_len);
    if (bytes[head.handle_len + head.path_len] != '\0' || !MapRelPathIsSafe(path))
      return -EBADMSG;
    out->export_id = head.export_id;
    out->type = static_cast<MapObjectType>(head.type);
    out->handle_len = head.handle_len;
    out->path_len = head.path_len;
    out->ino = head.ino;
    out->dev = head.dev;
    out->generation = head.generation;
    out->published_ms = head.published_ms;
    out->stamp.birth_ns = head.birth_ns;
    out->stamp.has_generation = (head.flags & kMapSlotHasGeneration) != 0;
    out->stamp.generation = out->stamp.has_generation ? head.inode_generation : 0;
    return 0;
  }
  return -EAGAIN;
}

int MapReader::Lookup(uint16_t export_id, std::span<const uint8_t> handle,
                      MapEntry* out) const {
  if (handle.empty() || handle.size() > kMapMaxHandleLen) return -ENOENT;
  const uint64_t hash = MapHash(export_id, handle.data(), handle.size());
  const uint32_t tag = MapTagOf(hash);
  const uint32_t first =
      static_cast<uint32_t>(hash & (geometry_.bucket_count - 1)) * kMapSlotsPerBucket;
  const auto* tags = reinterpret_cast<const uint64_t*>(file_.base() + geometry_.tags_offset);
  const auto* slots = reinterpret_cast<const MapSlot*>(file_.base() + geometry_.slots_offset);
  const auto* arena = reinterpret_cast<const uint64_t*>(file_.base() + geometry_.arena_offset);
  for (uint32_t i = first; i < first + kMapSlotsPerBucket; ++i) {
    const uint64_t word = SharedLoadAcquire(&tags[i]);
    if (MapTagWordTag(word) != tag) continue;
    // The word's record unit is a hint: start loading the record with the
    // slot, so that their misses overlap (ReadSlot checks the slot's own).
    __builtin_prefetch(&slots[i]);
    const uint32_t hint = MapTagWordRecord(word);
    if (hint < geometry_.arena_units) {
      __builtin_prefetch(arena + hint);
      __builtin_prefetch(arena + hint + 8);
    }
    const int rc = ReadSlot(i, export_id, handle, out);
    if (rc != -ENOENT) return rc;
  }
  return -ENOENT;
}

void MapReader::ForEachEntry(const std::function<void(const MapEntry&)>& fn) const {
  const auto* tags = reinterpret_cast<const uint64_t*>(file_.base() + geometry_.tags_offset);
  MapEntry e;
  for (uint32_t i = 0; i < geometry_.capacity; ++i) {
    if (SharedLoad(&tags[i]) == 0) continue;
    if (ReadSlot(i, 0, {}, &e) == 0) fn(e);
  }
}

}  // namespace localio
