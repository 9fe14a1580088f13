// SPDX-License-Identifier: LGPL-3.0-or-later
#include "localio/map_writer.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "localio/map_atomic.h"
#include "localio/trusted_dir.h"
#include "localio/wire_handle.h"

namespace localio {

namespace {

// Decides whether an existing file `name` in the map's directory may be
// replaced.
Status CheckExistingMap(int dirfd, const std::string& name, const MapConfig& config) {
  SharedFile old;
  Status st = OpenSharedFileAt(dirfd, name, config.path, /*writable=*/false, nullptr, &old);
  if (st.code == -ENOENT) return Status::Ok();
  if (st.code == -ENODATA)
    return Status::Error(-EEXIST, config.path + " exists, is empty and is not a LOCALIO "
                                                   "map; remove it or choose another Map_Path");
  if (!st.ok()) return st;
  MapHeader h{};
  if (old.size() < sizeof h || std::memcmp(old.base(), kMapMagic, sizeof kMapMagic) != 0)
    return Status::Error(-EEXIST, config.path + " exists and is not a LOCALIO map; "
                                                   "remove it or choose another Map_Path");
  SharedCopyOut(&h, old.base(), sizeof h / 8);
  // Layout 2 (the 512-byte slots) has this header's liveness fields at the
  // same offsets: after an upgrade, the old server's map is replaced once
  // that server is gone, like one of this layout.
  if (h.layout_version != kMapLayoutVersion && h.layout_version != kMapPreviousLayoutVersion)
    return Status::Error(-EEXIST, config.path + " holds a map of layout version " +
                                         std::to_string(h.layout_version) +
                                         "; remove it once its server is stopped");
  const uint64_t now = config.clock->NowMs();
  const bool fresh = h.heartbeat_ms <= now && now - h.heartbeat_ms < config.stale_after_ms;
  if ((h.flags & kMapAlive) && !MapServerLockFree(old.fd(), h.flags) &&
      ProcessIsAlive(h.server_pid) && fresh)
    return Status::Error(-EBUSY, config.path + " belongs to a running server (pid " +
                                        std::to_string(h.server_pid) + ", heartbeat " +
                                        std::to_string(now - h.heartbeat_ms) + " ms ago)");
  return Status::Ok();
}

// Clears ALIVE in the map being replaced (its server is gone): clients that
// still have it mapped notice on their next I/O, not only when its
// heartbeat goes stale or they look for a replaced file. Best effort.
void MarkReplacedMapDead(int dirfd, const std::string& name, const std::string& path) {
  SharedFile old;
  if (!OpenSharedFileAt(dirfd, name, path, /*writable=*/true, nullptr, &old).ok() ||
      old.size() < sizeof(MapHeader))
    return;
  auto* h = reinterpret_cast<MapHeader*>(old.base());
  if (std::memcmp(h->magic, kMapMagic, sizeof kMapMagic) != 0) return;
  SeqlockWriteBegin(&h->header_seq);
  SharedStoreRelease(&h->flags, SharedLoad(&h->flags) & ~kMapAlive);
  SeqlockWriteEnd(&h->header_seq);
}

// What a refusal of the map's directory tells the administrator to do.
constexpr char kUseATrustedDir[] =
    "use a directory only the server's uid may write, in directories no other uid may "
    "change, e.g. " LOCALIO_DEFAULT_MAP_DIR;

// Opens the map's directory `dir` (a refusal starts with "its directory
// ..."), creating it with mode 0755 when it is missing and the directory
// above it could not be changed by another uid. Refuses a directory that
// another uid than this server's (or root) could have written, or
// rename away or replace (trusted_dir.h): clients would not trust what it
// holds, and files another uid put there first are not this server's.
Status OpenMapDir(const std::string& dir, UniqueFd* out) {
  const uid_t euid = geteuid();
  const TrustedOwner me{euid, "this server's uid " + std::to_string(euid)};
  UniqueFd fd(open(dir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!fd.valid() && errno == ENOENT) {
    std::string parent, leaf;
    if (!SplitSharedFilePath(dir, &parent, &leaf))
      return Status::Error(-ENOENT, "its directory " + dir + " is missing");
    UniqueFd up(open(parent.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!up.valid())
      return Status::Error(-errno, "its directory " + dir + " is missing, and " + parent +
                                       " cannot be opened to create it: " + std::strerror(errno));
    if (const auto doubt = DoubtAboutDir(up.get(), parent, me, /*holds_files=*/false))
      return Status::Error(kNotTrusted, "its directory " + dir + " is missing, and directory " +
                                            doubt->dir + (doubt->above ? " above it " : " ") +
                                            doubt->why + ": " + kUseATrustedDir);
    const bool made = mkdirat(up.get(), leaf.c_str(), 0755) == 0;
    if (!made && errno != EEXIST)
      return Status::Error(-errno, "cannot create its directory " + dir + ": " +
                                       std::strerror(errno));
    fd.reset(openat(up.get(), leaf.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    // mkdir applied the umask; clients of other uids must be able to
    // search it.
    if (made && fd.valid() && fchmod(fd.get(), 0755) != 0)
      return Status::Error(-errno, "cannot set mode 0755 on its directory " + dir + ": " +
                                       std::strerror(errno));
  }
  if (!fd.valid())
    return Status::Error(-errno, "cannot open its directory " + dir + ": " + std::strerror(errno));
  if (const auto doubt = DoubtAboutDir(fd.get(), dir, me)) {
    if (doubt->above)
      return Status::Error(kNotTrusted, "directory " + doubt->dir + " above its directory " +
                                            dir + " " + doubt->why +
                                            ": another uid could replace the map's directory; " +
                                            kUseATrustedDir);
    return Status::Error(kNotTrusted, "its directory " + doubt->dir + " " + doubt->why +
                                          ": another uid could have placed files there; " +
                                          kUseATrustedDir);
  }
  *out = std::move(fd);
  return Status::Ok();
}

Status CheckConfig(const MapConfig& config) {
  if (config.path.empty()) return Status::Error(-EINVAL, "Map_Path is empty");
  if (config.clock == nullptr) return Status::Error(-EINVAL, "the map has no clock (NULL)");
  if (config.max_entries == 0 || config.max_entries > uint64_t{kMapMaxBuckets} * kMapSlotsPerBucket)
    return Status::Error(-EINVAL, "Max_Entries must be between 1 and " +
                                         std::to_string(uint64_t{kMapMaxBuckets} *
                                                        kMapSlotsPerBucket));
  if (!FhFormatIsSane(config.fh_format))
    return Status::Error(-EINVAL, "the file-handle format descriptor is not usable");
  if (config.mode & LOCALIO_MAP_FORBIDDEN_WRITE)
    return Status::Error(-EINVAL, "Map_Mode " + ModeText(config.mode) +
                                      " lets group or others write the map; clients trust only "
                                      "a map no one but the server may write");
  if (config.hello_mode & LOCALIO_HELLO_FORBIDDEN_WRITE)
    return Status::Error(-EINVAL, "the hello file's mode " + ModeText(config.hello_mode) +
                                      " lets others write it; clients do not trust such a file");
  return Status::Ok();
}

bool RootIsValid(const std::string& root, bool may_be_empty) {
  if (root.empty()) return may_be_empty;
  return root.front() == '/' && root.size() < kMapRootPathField &&
         root.find('\0') == std::string::npos;
}

void FillRow(const MapExport& e, MapExportRow* row) {
  std::memset(row, 0, sizeof *row);
  row->export_id = e.export_id;
  row->flags = kMapExportInUse | (e.read_only ? kMapExportReadOnly : 0) |
               (e.kernel_handles ? kMapExportKernelHandles : 0);
  row->squash = static_cast<uint32_t>(e.squash);
  row->anon_uid = e.anon_uid;
  row->anon_gid = e.anon_gid;
  const std::string& client = e.client_root.empty() ? e.server_root : e.client_root;
  row->server_root_len = static_cast<uint16_t>(e.server_root.size());
  row->client_root_len = static_cast<uint16_t>(client.size());
  std::memcpy(row->server_root, e.server_root.data(), e.server_root.size());
  std::memcpy(row->client_root, client.data(), client.size());
  row->root_handle_len = static_cast<uint8_t>(e.root_handle.size());
  if (!e.root_handle.empty())  // an empty vector's data() may be null
    std::memcpy(row->root_handle, e.root_handle.data(), e.root_handle.size());
}

}  // namespace

Status MapWriter::Create(const MapConfig& config, std::unique_ptr<MapWriter>* out) {
  Status st = CheckConfig(config);
  if (!st.ok()) return st;
  const std::string hello_path = config.path + LOCALIO_HELLO_SUFFIX;
  std::string dir, name;
  if (!SplitSharedFilePath(config.path, &dir, &name))
    return Status::Error(-EINVAL, "Map_Path " + config.path + " names no file");
  const std::string hello_name = name + LOCALIO_HELLO_SUFFIX;
  // Everything from here is relative to the directory opened and checked
  // once: no path is resolved again.
  UniqueFd dirfd;
  if (!(st = OpenMapDir(dir, &dirfd)).ok()) return st;
  if (!(st = CheckSharedFileName(dirfd.get(), name, config.path)).ok()) return st;
  if (!(st = CheckSharedFileName(dirfd.get(), hello_name, hello_path)).ok()) return st;
  if (!(st = CheckExistingMap(dirfd.get(), name, config)).ok()) return st;
  MarkReplacedMapDead(dirfd.get(), name, config.path);

  std::unique_ptr<MapWriter> w(new MapWriter());
  w->path_ = config.path;
  w->clock_ = config.clock;
  w->hello_path_ = hello_path;
  w->geometry_ = MapGeometryForEntries(config.max_entries);
  if (!FillRandom(w->instance_id_.data(), w->instance_id_.size()))
    return Status::Error(-EIO, "no random bytes for the server instance id");
  // The hello file first: once a client sees the new map, its hello exists.
  if (!(st = HelloServer::Create(dirfd.get(), hello_name, hello_path, config.hello_mode,
                                 config.gid, &w->hello_))
           .ok())
    return st;
  const MapGeometry& g = w->geometry_;
  const InstanceId& id = w->instance_id_;
  st = CreateSharedFile(
      dirfd.get(), name, config.path, g.total_size, config.mode, config.gid,
      [&](uint8_t* base) {
        auto* h = reinterpret_cast<MapHeader*>(base);
        std::memcpy(h->magic, kMapMagic, sizeof h->magic);
        h->layout_version = kMapLayoutVersion;
        h->header_size = sizeof(MapHeader);
        h->total_size = g.total_size;
        h->export_keys_offset = g.export_keys_offset;
        h->export_rows_offset = g.export_rows_offset;
        h->export_row_count = kMapExportRows;
        h->export_row_size = sizeof(MapExportRow);
        h->tags_offset = g.tags_offset;
        h->slots_offset = g.slots_offset;
        h->arena_offset = g.arena_offset;
        h->arena_units = g.arena_units;
        h->bucket_count = g.bucket_count;
        h->slots_per_bucket = kMapSlotsPerBucket;
        h->slot_size = sizeof(MapSlot);
        h->tag_size = sizeof(uint64_t);
        std::memcpy(h->instance_id, id.data(), id.size());
        h->server_pid = static_cast<uint32_t>(getpid());
        h->heartbeat_ms = config.clock->NowMs();
        h->epoch = 1;
        h->flags = kMapAlive;
        h->fh_format = config.fh_format;
      },
      &w->file_);
  if (!st.ok()) return st;
  struct flock lock{};
  lock.l_type = F_WRLCK;
  lock.l_whence = SEEK_SET;
  lock.l_start = kMapLockStart;
  lock.l_len = kMapLockLength;
  if (fcntl(w->file_.fd(), F_OFD_SETLK, &lock) == 0) {
    MapHeader* h = w->Header();
    SeqlockWriteBegin(&h->header_seq);
    SharedStoreRelease(&h->flags, SharedLoad(&h->flags) | kMapLocked);
    SeqlockWriteEnd(&h->header_seq);
  }  // else: readers go by the heartbeat alone
  w->own_.assign(g.capacity, {});
  w->free_.resize(kMapMaxRecordUnits + 1);
  *out = std::move(w);
  return Status::Ok();
}

MapWriter::~MapWriter() { MarkDead(); }

MapSlot& MapWriter::SlotAt(uint32_t index) const {
  return reinterpret_cast<MapSlot*>(file_.base() + geometry_.slots_offset)[index];
}
uint64_t& MapWriter::TagAt(uint32_t index) const {
  return reinterpret_cast<uint64_t*>(file_.base() + geometry_.tags_offset)[index];
}
uint64_t* MapWriter::Arena() const {
  return reinterpret_cast<uint64_t*>(file_.base() + geometry_.arena_offset);
}
const uint8_t* MapWriter::RecordOf(uint32_t index) const {
  return reinterpret_cast<const uint8_t*>(Arena() + own_[index].record);
}
std::string_view MapWriter::PathAt(uint32_t index) const {
  // The lengths come from the slot, so they are bounded by the record's
  // own size (private) before they are used.
  const MapSlot& s = SlotAt(index);
  const size_t room = size_t{own_[index].units} * kMapUnit;
  if (size_t{s.handle_len} + s.path_len + 1 > room) return {};
  return {reinterpret_cast<const char*>(RecordOf(index)) + s.handle_len, s.path_len};
}
uint32_t* MapWriter::ExportKeys() const {
  return reinterpret_cast<uint32_t*>(file_.base() + geometry_.export_keys_offset);
}
MapExportRow* MapWriter::ExportRows() const {
  return reinterpret_cast<MapExportRow*>(file_.base() + geometry_.export_rows_offset);
}

void MapWriter::SetPort(uint16_t port, uint16_t nfs_port) {
  std::lock_guard<std::mutex> lock(mu_);
  MapHeader* h = Header();
  SeqlockWriteBegin(&h->header_seq);
  SharedStoreRelease(&h->port, port);
  SharedStoreRelease(&h->nfs_port, nfs_port);
  SeqlockWriteEnd(&h->header_seq);
}

uint64_t MapWriter::Heartbeat() {
  std::lock_guard<std::mutex> lock(mu_);
  const uint64_t now = clock_->NowMs();
  SharedStore(&Header()->heartbeat_ms, now);
  return now;
}

void MapWriter::MarkDead() {
  std::lock_guard<std::mutex> lock(mu_);
  MapHeader* h = Header();
  if (h == nullptr || !(SharedLoad(&h->flags) & kMapAlive)) return;
  SeqlockWriteBegin(&h->header_seq);
  SharedStoreRelease(&h->flags, SharedLoad(&h->flags) & ~kMapAlive);
  SeqlockWriteEnd(&h->header_seq);
}

void MapWriter::BumpAccessEpoch() {
  __atomic_fetch_add(&Header()->access_epoch, uint64_t{1}, __ATOMIC_RELEASE);
}

void MapWriter::BumpEpoch() {
  MapHeader* h = Header();
  SeqlockWriteBegin(&h->header_seq);
  SharedStoreRelease(&h->epoch, SharedLoad(&h->epoch) + 1);
  SeqlockWriteEnd(&h->header_seq);
}

Status MapWriter::SetExport(const MapExport& e) {
  if (!RootIsValid(e.server_root, false))
    return Status::Error(-EINVAL, "export " + std::to_string(e.export_id) +
                                         ": server root '" + e.server_root +
                                         "' must be absolute and shorter than " +
                                         std::to_string(kMapRootPathField) + " bytes");
  if (!RootIsValid(e.client_root, true))
    return Status::Error(-EINVAL, "export " + std::to_string(e.export_id) +
                                         ": Client_Root '" + e.client_root +
                                         "' must be absolute and shorter than " +
                                         std::to_string(kMapRootPathField) + " bytes");
  if (e.root_handle.size() > kMapMaxHandleLen)
    return Status::Error(-EINVAL, "export " + std::to_string(e.export_id) +
                                         ": root handle of " +
                                         std::to_string(e.root_handle.size()) + " bytes");
  MapExportRow value;
  FillRow(e, &value);
  const uint32_t key = kMapExportKeyUsed | e.export_id;
  std::lock_guard<std::mutex> lock(mu_);
  uint32_t* keys = ExportKeys();
  int64_t row = -1, free_row = -1;
  for (uint32_t i = 0; i < kMapExportRows && row < 0; ++i) {
    if (keys[i] == key) row = i;
    else if (keys[i] == 0 && free_row < 0) free_row = i;
  }
  if (row < 0 && free_row < 0)
    return Status::Error(-ENOSPC, "the map's export table is full (" +
                                         std::to_string(kMapExportRows) + " exports)");
  const bool is_new = row < 0;
  if (is_new) row = free_row;
  MapExportRow* r = &ExportRows()[row];
  value.seq = r->seq;
  if (!is_new && e.root_handle.empty()) {  // the root looked up before stays
    value.root_handle_len = r->root_handle_len;
    std::memcpy(value.root_handle, r->root_handle, sizeof value.root_handle);
  }
  if (!is_new && std::memcmp(&value, r, sizeof value) == 0) return Status::Ok();
  SeqlockWriteBegin(&r->seq);
  SharedCopyIn(reinterpret_cast<uint8_t*>(r) + 8, reinterpret_cast<uint8_t*>(&value) + 8,
               (sizeof value - 8) / 8);
  SeqlockWriteEnd(&r->seq);
  SharedStoreRelease(&keys[row], key);
  BumpEpoch();
  return Status::Ok();
}

int MapWriter::SetExportRoot(uint16_t export_id, std::span<const uint8_t> opaque) {
  if (opaque.empty() || opaque.size() > kMapMaxHandleLen) return -EINVAL;
  const uint32_t key = kMapExportKeyUsed | export_id;
  std::lock_guard<std::mutex> lock(mu_);
  const uint32_t* keys = ExportKeys();
  uint32_t row = 0;
  while (row < kMapExportRows && keys[row] != key) ++row;
  if (row == kMapExportRows) return -ENOENT;
  MapExportRow* r = &ExportRows()[row];
  if (r->root_handle_len == opaque.size() &&
      std::memcmp(r->root_handle, opaque.data(), opaque.size()) == 0)
    return 0;
  MapExportRow value;
  std::memcpy(&value, r, sizeof value);
  value.root_handle_len = static_cast<uint8_t>(opaque.size());
  std::memset(value.root_handle, 0, sizeof value.root_handle);
  std::memcpy(value.root_handle, opaque.data(), opaque.size());
  SeqlockWriteBegin(&r->seq);
  SharedCopyIn(reinterpret_cast<uint8_t*>(r) + 8, reinterpret_cast<uint8_t*>(&value) + 8,
               (sizeof value - 8) / 8);
  SeqlockWriteEnd(&r->seq);
  return 0;
}

bool MapWriter::DropRow(uint16_t export_id) {
  const uint32_t key = kMapExportKeyUsed | export_id;
  uint32_t* keys = ExportKeys();
  uint32_t row = 0;
  while (row < kMapExportRows && keys[row] != key) ++row;
  if (row == kMapExportRows) return false;
  SharedStoreRelease(&keys[row], 0u);
  MapExportRow* r = &ExportRows()[row];
  SeqlockWriteBegin(&r->seq);
  SharedStoreRelease(&r->flags, uint16_t{0});
  SeqlockWriteEnd(&r->seq);
  return true;
}

int MapWriter::RemoveExport(uint16_t export_id) {
  std::lock_guard<std::mutex> lock(mu_);
  const bool had_row = DropRow(export_id);
  bool had_entries = false;
  for (uint32_t i = 0; i < geometry_.capacity; ++i) {
    if (TagAt(i) != 0 && SlotAt(i).export_id == export_id) {
      ClearSlot(i);
      had_entries = true;
    }
  }
  if (had_row || had_entries) BumpEpoch();
  return had_row ? 0 : -ENOENT;
}

int MapWriter::SuspendExport(uint16_t export_id) {
  std::lock_guard<std::mutex> lock(mu_);
  if (!DropRow(export_id)) return -ENOENT;
  BumpEpoch();
  return 0;
}

int64_t MapWriter::Find(uint16_t export_id, std::span<const uint8_t> handle,
                        uint64_t hash) const {
  const uint32_t tag = MapTagOf(hash);
  const uint32_t first = static_cast<uint32_t>(hash & (geometry_.bucket_count - 1)) *
                         kMapSlotsPerBucket;
  __builtin_prefetch(&own_[first]);  // the bucket's 8 rows: 2 lines, loaded with its tags
  __builtin_prefetch(&own_[first + 4]);
  for (uint32_t index = first; index < first + kMapSlotsPerBucket; ++index) {
    const uint64_t word = TagAt(index);
    if (MapTagWordTag(word) != tag) continue;  // tags are never 0: skips empty words too
    const MapSlot& s = SlotAt(index);
    if (s.export_id == export_id && s.handle_len == handle.size() &&
        handle.size() < size_t{own_[index].units} * kMapUnit &&
        std::memcmp(RecordOf(index), handle.data(), handle.size()) == 0)
      return index;
  }
  return -1;
}

void MapWriter::WriteEntry(uint32_t index, const MapSlot& head, const uint64_t* record,
                           uint32_t tag) {
  MapSlot* s = &SlotAt(index);
  const uint32_t units = MapRecordUnits(head.handle_len, head.path_len);
  SeqlockWriteBegin(&s->seq);
  SharedCopyIn(reinterpret_cast<uint8_t*>(s) + 8, reinterpret_cast<const uint8_t*>(&head) + 8,
               (sizeof head - 8) / 8);
  SharedCopyIn(Arena() + head.record, record, units);
  SeqlockWriteEnd(&s->seq);
  SharedStoreRelease(&TagAt(index), MapTagWord(tag, head.record));
  own_[index].record = head.record;
  own_[index].units = units;
  own_[index].last_use = ++uses_;
}

void MapWriter::ClearSlot(uint32_t index) {
  removals_.fetch_add(1, std::memory_order_release);
  MapSlot* s = &SlotAt(index);
  SharedStoreRelease(&TagAt(index), uint64_t{0});
  SeqlockWriteBegin(&s->seq);
  SharedStoreRelease(&s->flags, uint16_t{0});
  SharedStoreRelease(&s->generation, s->generation + 1);
  SeqlockWriteEnd(&s->seq);
  // Only now may the record be reused: a reader that copied it before the
  // seq bump sees the bump and retries.
  Free(own_[index].record, own_[index].units);
  used_units_ -= own_[index].units;
  own_[index].units = 0;
  own_[index].last_use = 0;
  --entries_used_;
  StoreCounters();
}

void MapWriter::StoreCounters() {
  MapHeader* h = Header();
  SharedStore(&h->entries_used, entries_used_);
  SharedStore(&h->evictions, evictions_);
  SharedStore(&h->arena_used, used_units_);
}

void MapWriter::Free(uint32_t record, uint32_t units) {
  if (units == 0) return;
  free_[units].push_back(record);
  free_units_ += units;
}

int64_t MapWriter::TakeFree(uint32_t units) {
  if (!free_[units].empty()) {
    const uint32_t r = free_[units].back();
    free_[units].pop_back();
    free_units_ -= units;
    return r;
  }
  if (top_ + units <= geometry_.arena_units) {
    const uint64_t r = top_;
    top_ += units;
    return static_cast<int64_t>(r);
  }
  for (uint32_t k = units + 1; k <= kMapMaxRecordUnits; ++k) {
    if (free_[k].empty()) continue;
    const uint32_t r = free_[k].back();
    free_[k].pop_back();
    free_units_ -= k;
    Free(r + units, k - units);  // the rest, in its own class
    return r;
  }
  return -1;
}

int64_t MapWriter::Alloc(uint32_t units, uint32_t keep) {
  int64_t r = TakeFree(units);
  if (r >= 0) return r;
  // Full or too fragmented: evict in slot order until a 32nd of the arena
  // (at least this record) is free, then move what is left together.
  const uint64_t want = std::max<uint64_t>(units, geometry_.arena_units / 32);
  for (uint32_t n = 0;
       n < geometry_.capacity && free_units_ + (geometry_.arena_units - top_) < want; ++n) {
    const uint32_t i = hand_;
    hand_ = (hand_ + 1) % geometry_.capacity;
    if (i == keep || TagAt(i) == 0) continue;
    ClearSlot(i);
    ++evictions_;
  }
  Compact();
  return TakeFree(units);
}

void MapWriter::Compact() {
  ++compactions_;
  std::vector<std::pair<uint32_t, uint32_t>> live;  // (record, slot)
  live.reserve(entries_used_);
  for (uint32_t i = 0; i < geometry_.capacity; ++i)
    if (own_[i].units != 0) live.emplace_back(own_[i].record, i);
  std::sort(live.begin(), live.end());
  uint64_t* arena = Arena();
  uint32_t to = 0;
  for (const auto& [from, i] : live) {
    const uint32_t units = own_[i].units;
    if (from != to) {
      // Downwards, word by word (the ranges may overlap), inside the
      // slot's seqlock: a reader of this record retries.
      MapSlot* s = &SlotAt(i);
      SeqlockWriteBegin(&s->seq);
      for (uint32_t w = 0; w < units; ++w) SharedStoreRelease(&arena[to + w], arena[from + w]);
      SharedStoreRelease(&s->record, to);
      SeqlockWriteEnd(&s->seq);
      SharedStoreRelease(&TagAt(i), MapTagWord(MapTagWordTag(TagAt(i)), to));
      own_[i].record = to;
    }
    to += units;
  }
  top_ = to;
  for (auto& list : free_) list.clear();
  free_units_ = 0;
}

uint64_t MapWriter::FirstRemovals() {
  // Each writer counts from a base of its own, so that a count seen under
  // one map never matches one of a later map in the same process.
  static std::atomic<uint64_t> next_base{1};
  return next_base.fetch_add(uint64_t{1} << 40, std::memory_order_relaxed);
}

int MapWriter::Publish(uint16_t export_id, std::span<const uint8_t> handle,
                       std::string_view relpath, uint64_t ino, uint64_t dev,
                       MapObjectType type, const MapInodeStamp& stamp, uint64_t* seen_removals) {
  if (handle.empty() || handle.size() > kMapMaxHandleLen) return -EMSGSIZE;
  if (relpath.size() > kMapMaxPathLen) return -ENAMETOOLONG;
  if (!MapRelPathIsSafe(relpath)) return -EINVAL;
  const uint64_t hash = MapHash(export_id, handle.data(), handle.size());
  std::lock_guard<std::mutex> lock(mu_);
  const int rc = PublishLocked(export_id, handle, hash, relpath, ino, dev, type, stamp);
  if (seen_removals != nullptr) *seen_removals = removals_.load(std::memory_order_relaxed);
  return rc;
}

int MapWriter::PublishChild(uint16_t export_id, std::span<const uint8_t> parent,
                            std::string_view name, std::span<const uint8_t> handle,
                            uint64_t ino, uint64_t dev, MapObjectType type,
                            const MapInodeStamp& stamp, uint64_t* seen_removals) {
  if (handle.empty() || handle.size() > kMapMaxHandleLen) return -EMSGSIZE;
  if (parent.empty() || parent.size() > kMapMaxHandleLen) return -ENOENT;
  if (name.empty() || name.find('/') != std::string_view::npos || name.size() > kMapMaxPathLen)
    return -EINVAL;
  const uint64_t parent_hash = MapHash(export_id, parent.data(), parent.size());
  const uint64_t hash = MapHash(export_id, handle.data(), handle.size());
  char path[kMapPathField];
  std::lock_guard<std::mutex> lock(mu_);
  const int64_t at = Find(export_id, parent, parent_hash);
  if (at < 0) return -ENOENT;
  // The parent's path, read in place (publishing may evict its slot).
  if (SlotAt(static_cast<uint32_t>(at)).type != static_cast<uint8_t>(MapObjectType::kDirectory))
    return -ENOTDIR;
  const std::string_view parent_path = PathAt(static_cast<uint32_t>(at));
  size_t len = parent_path.size();
  if (len + (len != 0) + name.size() > kMapMaxPathLen) return -ENAMETOOLONG;
  std::memcpy(path, parent_path.data(), len);
  if (len != 0) path[len++] = '/';
  std::memcpy(path + len, name.data(), name.size());
  len += name.size();
  const std::string_view relpath(path, len);
  if (!MapRelPathIsSafe(relpath)) return -EINVAL;
  const int rc = PublishLocked(export_id, handle, hash, relpath, ino, dev, type, stamp);
  if (seen_removals != nullptr) *seen_removals = removals_.load(std::memory_order_relaxed);
  return rc;
}

int MapWriter::PublishLocked(uint16_t export_id, std::span<const uint8_t> handle, uint64_t hash,
                             std::string_view relpath, uint64_t ino, uint64_t dev,
                             MapObjectType type, const MapInodeStamp& stamp) {
  int64_t index = Find(export_id, handle, hash);
  const bool is_new = index < 0;
  if (!is_new) {
    const MapSlot& s = SlotAt(static_cast<uint32_t>(index));
    if (s.ino == ino && s.dev == dev && s.birth_ns == stamp.birth_ns &&
        ((s.flags & kMapSlotHasGeneration) != 0) == stamp.has_generation &&
        s.inode_generation == stamp.generation && s.type == static_cast<uint8_t>(type) &&
        s.path_len == relpath.size() && PathAt(static_cast<uint32_t>(index)) == relpath) {
      own_[index].last_use = ++uses_;  // private: readers' cache lines untouched
      return 0;
    }
  } else {
    const uint32_t first = static_cast<uint32_t>(hash & (geometry_.bucket_count - 1)) *
                           kMapSlotsPerBucket;
    for (uint32_t i = first; i < first + kMapSlotsPerBucket && index < 0; ++i)
      if (TagAt(i) == 0) index = i;
    if (index < 0) {
      index = first;
      for (uint32_t i = first + 1; i < first + kMapSlotsPerBucket; ++i)
        if (own_[i].last_use < own_[index].last_use) index = i;
      ClearSlot(static_cast<uint32_t>(index));
      ++evictions_;
    }
  }
  const auto at = static_cast<uint32_t>(index);
  const uint32_t units = MapRecordUnits(static_cast<uint32_t>(handle.size()),
                                        static_cast<uint32_t>(relpath.size()));
  // A record of the same size is rewritten in place (under the seqlock);
  // else a new one is taken and the old one freed after the write.
  int64_t record = own_[at].units == units ? int64_t{own_[at].record} : Alloc(units, at);
  if (record < 0) {
    StoreCounters();
    return -ENOSPC;  // cannot happen: one bucket of the longest records always fits
  }
  const uint32_t old_units = own_[at].units;
  const uint32_t old_record = own_[at].record;  // after Alloc: compaction may move it
  MapSlot value{};
  value.export_id = export_id;
  value.handle_len = static_cast<uint8_t>(handle.size());
  value.type = static_cast<uint8_t>(type);
  value.path_len = static_cast<uint16_t>(relpath.size());
  value.flags = kMapSlotInUse | (stamp.has_generation ? kMapSlotHasGeneration : 0);
  value.ino = ino;
  value.dev = dev;
  value.generation = SlotAt(at).generation + 1;
  value.published_ms = clock_->NowMs();
  value.birth_ns = stamp.birth_ns;
  value.inode_generation = stamp.has_generation ? stamp.generation : 0;
  value.record = static_cast<uint32_t>(record);
  uint64_t bytes[kMapMaxRecordUnits];
  bytes[units - 1] = 0;  // the padding after the path's NUL
  auto* b = reinterpret_cast<uint8_t*>(bytes);
  std::memcpy(b, handle.data(), handle.size());
  std::memcpy(b + handle.size(), relpath.data(), relpath.size());
  b[handle.size() + relpath.size()] = '\0';
  WriteEntry(at, value, bytes, MapTagOf(hash));
  if (old_units != 0 && old_record != value.record) Free(old_record, old_units);
  used_units_ += units;
  used_units_ -= old_units;
  if (is_new) ++entries_used_;
  StoreCounters();
  return 0;
}

int MapWriter::Unpublish(uint16_t export_id, std::span<const uint8_t> handle) {
  if (handle.empty() || handle.size() > kMapMaxHandleLen) return -ENOENT;
  const uint64_t hash = MapHash(export_id, handle.data(), handle.size());
  std::lock_guard<std::mutex> lock(mu_);
  const int64_t index = Find(export_id, handle, hash);
  if (index < 0) return -ENOENT;
  ClearSlot(static_cast<uint32_t>(index));
  return 0;
}

int MapWriter::RenamePrefix(uint16_t export_id, std::string_view old_relpath,
                            std::string_view new_relpath) {
  if (old_relpath.empty() || new_relpath.empty() || !MapRelPathIsSafe(old_relpath) ||
      !MapRelPathIsSafe(new_relpath))
    return -EINVAL;
  std::lock_guard<std::mutex> lock(mu_);
  int changed = 0;
  for (uint32_t i = 0; i < geometry_.capacity; ++i) {
    if (TagAt(i) == 0) continue;
    const MapSlot& s = SlotAt(i);
    if (s.export_id != export_id) continue;
    const std::string_view path = PathAt(i);
    if (!path.starts_with(old_relpath)) continue;
    if (path.size() != old_relpath.size() && path[old_relpath.size()] != '/') continue;
    const std::string_view rest = path.substr(old_relpath.size());
    ++changed;
    if (new_relpath.size() + rest.size() > kMapMaxPathLen) {
      ClearSlot(i);
      continue;
    }
    // Copied out: publishing the new path may move records.
    char next[kMapPathField];
    std::memcpy(next, new_relpath.data(), new_relpath.size());
    std::memcpy(next + new_relpath.size(), rest.data(), rest.size());
    uint8_t handle[kMapMaxHandleLen];
    std::memcpy(handle, RecordOf(i), s.handle_len);
    const std::span<const uint8_t> key(handle, s.handle_len);
    MapInodeStamp stamp;
    stamp.birth_ns = s.birth_ns;
    stamp.has_generation = (s.flags & kMapSlotHasGeneration) != 0;
    stamp.generation = s.inode_generation;
    PublishLocked(export_id, key, MapHash(export_id, key.data(), key.size()),
                  {next, new_relpath.size() + rest.size()}, s.ino, s.dev,
                  static_cast<MapObjectType>(s.type), stamp);
  }
  return changed;
}

int MapWriter::PathOf(uint16_t export_id, std::span<const uint8_t> handle, std::string* out,
                      uint64_t* seen_removals) const {
  if (handle.empty() || handle.size() > kMapMaxHandleLen) return -ENOENT;
  const uint64_t hash = MapHash(export_id, handle.data(), handle.size());
  std::lock_guard<std::mutex> lock(mu_);
  if (seen_removals != nullptr) *seen_removals = removals_.load(std::memory_order_relaxed);
  const int64_t index = Find(export_id, handle, hash);
  if (index < 0) return -ENOENT;
  out->assign(PathAt(static_cast<uint32_t>(index)));
  return 0;
}

bool MapWriter::Holds(uint16_t export_id, std::span<const uint8_t> handle,
                      uint64_t* seen_removals) const {
  if (handle.empty() || handle.size() > kMapMaxHandleLen) return false;
  const uint64_t hash = MapHash(export_id, handle.data(), handle.size());
  std::lock_guard<std::mutex> lock(mu_);
  if (seen_removals != nullptr) *seen_removals = removals_.load(std::memory_order_relaxed);
  return Find(export_id, handle, hash) >= 0;
}

bool MapWriter::ConfirmNonce(const Nonce& nonce) {
  return hello_->Confirm(nonce, instance_id_);
}

std::string MapWriter::RepairHello() { return hello_->Repair(); }

MapStats MapWriter::Stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  return {entries_used_, geometry_.capacity, evictions_, geometry_.arena_units * kMapUnit,
          used_units_ * kMapUnit, compactions_};
}

}  // namespace localio
