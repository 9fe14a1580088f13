// SPDX-License-Identifier: LGPL-3.0-or-later
#include "client.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include <nfsc/libnfs.h>
#include <nfsc/libnfs-raw.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>
#include <ctime>
#include <new>
#include <span>
#include <vector>

#include "credentials.h"
#include "libnfs_fh.h"
#include "local_file.h"
#include "localio/localio_caller.h"
#include "localio/localio_proto.h"
#include "localio/xdr.h"
#include "localio/wire_handle.h"


namespace localio::client {

namespace {

constexpr uint64_t kTouchEveryMs = kHelloLeaseMs / 3;
constexpr uint64_t kMaxBackoffMs = 60000;
static_assert(Client::kFirstBackoffMs <= kMaxBackoffMs);
constexpr uint64_t kRetryFailedOpenMs = 1000;
// Largest transfer per call, so a byte count always fits libnfs's int
// result (Linux caps a single read/write there anyway).
constexpr uint64_t kMaxTransfer = 0x7ffff000;

std::string Errno(int negative) { return std::strerror(-negative); }

}  // namespace

Client::Client(nfs_context* nfs, const LibnfsCalls& libnfs, ClientOptions options,
               Status config_error, const Clock& clock)
    : nfs_(nfs),
      libnfs_(libnfs),
      options_(std::move(options)),
      clock_(clock),
      log_(options_.log_level),
      config_ok_(config_error.ok()),
      credential_(libnfs, nfs) {
  if (!config_ok_) {
    error_ = config_error.message;
    log_.Error(error_);
  }
}

Client::~Client() {
  if (alive_) *alive_ = nullptr;
  try {
    DropSession("detached");
  } catch (...) {
    // Only its message could not be made: the files are closed (first),
    // the session and its slot go with the members.
  }
}

void Client::Attach() {
  if (!config_ok_) return;
  if (options_.disable) {
    error_ = "LOCALIO bypass disabled by configuration";
    log_.Info(error_);
    return;
  }
  ReadIdentity();
  Handshake();
  if (local() && !identity_ok_) error_ = identity_error_;
}

void Client::ReadIdentity() {
  Identity now;
  const Status st = credential_.Read(&now);
  if (st.ok() && identity_ok_ && now == identity_) return;  // only the AUTH was made again
  DropLocalFiles();
  identity_ok_ = st.ok();
  identity_ = std::move(now);
  if (!identity_ok_) {
    identity_error_ = "local I/O cannot act as this context's RPC identity (" + st.message +
                      "): its reads and writes go through RPC";
    error_ = identity_error_;
    log_.Error(error_);
    return;
  }
  std::string groups;
  for (uint32_t g : identity_.groups) groups += " " + std::to_string(g);
  log_.Debug("RPC identity: uid " + std::to_string(identity_.uid) + " gid " +
             std::to_string(identity_.gid) + " groups" + (groups.empty() ? " none" : groups));
}

uint32_t Client::CallUid() const {
  return identity_ok_ ? identity_.uid : static_cast<uint32_t>(getuid());
}

uint32_t Client::CallGid() const {
  return identity_ok_ ? identity_.gid : static_cast<uint32_t>(getgid());
}

void Client::Handshake() {
  ++counters_.handshakes;
  // The map (or the directory of maps) this attempt finds at the path:
  // another one there later is a new server's (MapReplaced).
  seen_map_ = MapFileAtPath();
  HandshakeRequest req;
  req.map_path = options_.map_path;
  req.uid = CallUid();
  req.gid = CallGid();
  req.server_uid = options_.server_uid;
  req.timeout = options_.probe_timeout;
  req.clock = &clock_;
  Status st = PeerAddressOf(libnfs_.get_fd(nfs_), &req.server_address, &req.server_nfs_port);
  Session s;
  if (st.ok()) st = HandshakeAny(req, &s);
  if (!st.ok()) {
    error_ = st.message;
    // Any failure may pass: a map missing or dead (the server starts), a
    // server that did not answer in time (stopped, busy, flooded), a hello
    // file a client damaged (the server repairs it), no free slot. Tried
    // again after the backoff, and at once when a new map appears.
    may_retry_ = true;
    retry_at_ms_ = clock_.NowMs() + backoff_ms_;
    backoff_ms_ = std::min(backoff_ms_ * 2, kMaxBackoffMs);
    // -EPERM: a map, hello file or listener of another uid than the
    // server's (a neighbour squatting them) says so at the default level.
    const std::string line =
        error_.rfind("not local", 0) == 0 ? error_ : "not local: " + error_;
    if (st.code == -EPERM)
      log_.Error(line);
    else
      log_.Info(line);
    return;
  }
  ++counters_.handshakes_ok;
  epoch_ = s.map->Epoch();
  access_epoch_ = s.map->AccessEpoch();
  touched_ms_ = clock_.CoarseNowMs();
  refreshed_ms_ = touched_ms_;
  log_.Info("local: server " + req.server_address + " confirmed " +
            (s.channel == Channel::kNfsPort ? "through its NFS port " : "on LOCALIO port ") +
            std::to_string(s.port) + ", map " + s.request.map_path);
  session_ = std::move(s);
  lost_session_ = false;
  error_.clear();
  may_retry_ = true;
  backoff_ms_ = kFirstBackoffMs;
}

void Client::MaybeRehandshake() {
  if (!may_retry_ || !config_ok_ || options_.disable) return;
  const uint64_t now = clock_.NowMs();
  if (now < retry_at_ms_ && !MapReplaced(now)) return;
  Handshake();
}

std::pair<uint64_t, uint64_t> Client::MapFileAtPath() const {
  struct stat st;
  if (stat(options_.map_path.c_str(), &st) != 0) return {0, 0};
  // A directory of maps: a map renamed into it changes its mtime.
  if (S_ISDIR(st.st_mode))
    return {st.st_ino, static_cast<uint64_t>(st.st_mtim.tv_sec) * 1000000000u +
                           static_cast<uint64_t>(st.st_mtim.tv_nsec)};
  return {st.st_dev, st.st_ino};
}

// A (re)started server publishes its map by renaming a new file over the
// path: another file there than the one last tried means a new server, and
// the backoff starts again from its shortest step (the file becomes the one
// tried). One stat per refresh interval, on the fallback path only.
bool Client::MapReplaced(uint64_t now) {
  if (now - map_checked_ms_ < kMapCheckEveryMs) return false;
  map_checked_ms_ = now;
  const std::pair<uint64_t, uint64_t> at_path = MapFileAtPath();
  if (at_path == std::pair<uint64_t, uint64_t>{0, 0} || at_path == seen_map_) return false;
  seen_map_ = at_path;
  backoff_ms_ = kFirstBackoffMs;
  return true;
}

bool Client::SessionValid() {
  const MapReader& map = *session_->map;
  const uint64_t now = clock_.CoarseNowMs();
  if (!map.Alive()) {
    DropSession("the server stopped (map marked dead)");
    return false;
  }
  if (now - refreshed_ms_ >= kMapCheckEveryMs) {
    if (const Status st = map.Refresh(); !st.ok()) {
      DropSession(st.message + " (the server restarted or stopped)");
      return false;
    }
    refreshed_ms_ = now;
  }
  const uint64_t beat = map.HeartbeatMs();
  if (beat + LOCALIO_HEARTBEAT_STALE_MS < now) {
    DropSession("the server's heartbeat is " + std::to_string(now - beat) + " ms old");
    return false;
  }
  if (beat > now + LOCALIO_HEARTBEAT_STALE_MS) {
    // Both sides read CLOCK_MONOTONIC: a beat from the future is garbage.
    DropSession("the map's heartbeat lies in the future (a scribbled-on map)");
    return false;
  }
  const uint64_t epoch = map.Epoch();
  if (epoch != epoch_) {
    log_.Debug("map epoch " + std::to_string(epoch_) + " -> " + std::to_string(epoch) +
               ": reopening local files");
    DropLocalFiles();
    epoch_ = epoch;
  }
  if (const uint64_t access = map.AccessEpoch(); access != access_epoch_) [[unlikely]]
    AccessChanged(access);
  io_ms_ = now;
  if (now - touched_ms_ > kTouchEveryMs) {
    session_->hello->Touch();
    touched_ms_ = now;
  }
  return true;
}

void Client::AccessChanged(uint64_t access_epoch) {
  log_.Debug("map access epoch " + std::to_string(access_epoch_) + " -> " +
             std::to_string(access_epoch) + ": re-opening local files");
  for (auto& [fh, f] : files_) {
    f.ctime_ns = 0;
    f.recheck_at_ms = 0;
    f.failed_reason = -1;
  }
  access_epoch_ = access_epoch;
}

void Client::DropSession(const std::string& why) {
  DropLocalFiles();
  if (!session_) return;
  // A server that is still there must not keep a stale cache of what was
  // written (it may only have stopped beating for a while); one that is
  // gone took its cache with it, and refuses the call at once.
  if (unannounced_) AnnounceAll(/*drop_on_failure=*/false);
  // Opens made before may mean nothing to the next server instance (NFSv4
  // state is gone after a restart): the wire decides for them again.
  for (auto& [fh, f] : files_) f.needs_wire_proof = true;
  ++sessions_lost_;
  // A map file: the next file at its path is a new server's. A directory:
  // the next change in it.
  seen_map_ = session_->request.map_path == options_.map_path
                  ? std::pair<uint64_t, uint64_t>{session_->map->dev(), session_->map->ino()}
                  : MapFileAtPath();
  session_.reset();  // releases the hello slot
  lost_session_ = true;
  error_ = "LOCALIO bypass off: " + why;
  log_.Info(error_);
  retry_at_ms_ = clock_.NowMs() + backoff_ms_;
}

void Client::CloseLocal(OpenFile* f) {
  if (f->fd >= 0) {
    // Closing loses nothing (the page cache stays), but fsync's promise
    // belongs to this fd: keep it by flushing now, and report a failure
    // at the file's next fsync or close.
    if (f->unsynced && fsync(f->fd) != 0 && f->pending_error == 0) f->pending_error = -errno;
    f->unsynced = false;
    close(f->fd);
  }
  f->fd = -1;
  f->fd_writable = false;
  f->failed_reason = -1;
  f->retry_at_ms = 0;
}

void Client::DropLocalFiles() {
  for (auto& [fh, f] : files_) CloseLocal(&f);
  for (auto& [id, view] : exports_)
    if (view.root_fd >= 0) close(view.root_fd);
  exports_.clear();
}

void Client::Opened(nfsfh* fh, int flags) {
  OpenFile& f = files_[fh];
  CloseLocal(&f);
  f = OpenFile{};
  f.flags = flags;
  f.serial = ++opens_;
}

int Client::Closing(nfsfh* fh) {
  auto it = files_.find(fh);
  if (it == files_.end()) return 0;
  OpenFile& f = it->second;
  int rc = f.pending_error;
  if (f.fd >= 0 && f.unsynced && fsync(f.fd) != 0 && rc == 0) rc = -errno;
  f.unsynced = false;
  if (f.unannounced) AnnounceOne(&f);
  CloseLocal(&f);
  files_.erase(it);
  if (last_fh_ == fh) last_fh_ = nullptr;
  return rc;
}

void Client::Fallback(int reason) {
  ++counters_.fallbacks[reason];
  if (session_) session_->hello->CountFallback(static_cast<uint32_t>(reason));
}

const Client::ExportView* Client::ExportFor(uint16_t export_id) {
  auto it = exports_.find(export_id);
  if (it != exports_.end()) return &it->second;
  std::optional<MapExport> exp = session_->map->FindExport(export_id);
  if (!exp) return nullptr;
  ExportView view;
  view.exp = std::move(*exp);
  const std::string root = ClientRootOf(view.exp, options_.path_map);
  view.root_fd = root.empty() ? -EINVAL : OpenExportRoot(root);
  if (view.root_fd < 0)
    log_.Error("export " + std::to_string(export_id) + ": cannot open its root " + root +
               ": " + Errno(view.root_fd));
  return &exports_.emplace(export_id, std::move(view)).first->second;
}

int Client::OpenLocal(nfsfh* fh, OpenFile* f, bool write) {
  const nfs_fh* wire = libnfs_.get_fh(fh);
  if (wire == nullptr || wire->len <= 0) return LOCALIO_FALLBACK_NOT_IN_MAP;
  const std::span<const uint8_t> bytes(reinterpret_cast<const uint8_t*>(wire->val),
                                       static_cast<size_t>(wire->len));
  const std::optional<WireHandle> handle = ParseWireHandle(bytes, session_->map->fh_format());
  if (!handle || handle->export_id > 0xffff) return LOCALIO_FALLBACK_NOT_IN_MAP;
  const auto export_id = static_cast<uint16_t>(handle->export_id);
  MapEntry entry;
  if (session_->map->Lookup(export_id, handle->opaque, &entry) != 0)
    return LOCALIO_FALLBACK_NOT_IN_MAP;
  const ExportView* view = ExportFor(export_id);
  if (view == nullptr) return LOCALIO_FALLBACK_NOT_IN_MAP;
  if (view->root_fd < 0) return LOCALIO_FALLBACK_OPEN;

  // The widest access this open file may need, never more than the export.
  const int access = f->flags < 0 ? (write ? O_RDWR : O_RDONLY) : (f->flags & O_ACCMODE);
  const bool writable = access != O_RDONLY && !view->exp.read_only;
  if (write && !writable)
    return view->exp.read_only ? LOCALIO_FALLBACK_READ_ONLY : LOCALIO_FALLBACK_UNSUPPORTED;
  int flags = writable ? access : O_RDONLY;
  if (f->flags >= 0) flags |= f->flags & (O_SYNC | O_DSYNC);

  const Identity as = SquashedIdentity(view->exp, identity_);
  LocalOpen opened;
  {
    ScopedFsIdentity identity(as);
    if (identity.status() != 0) {
      log_.Debug("cannot act as uid " + std::to_string(as.uid) + " gid " +
                 std::to_string(as.gid) + ": " + Errno(identity.status()));
      return LOCALIO_FALLBACK_CREDENTIALS;
    }
    opened = OpenObjectBeneath(view->root_fd, std::string(entry.path()), flags, entry,
                               view->exp.kernel_handles ? handle->opaque
                                                        : std::span<const uint8_t>());
  }
  if (opened.error < 0) {
    log_.Debug("cannot open " + std::string(entry.path()) + " locally: " + Errno(opened.error));
    return LOCALIO_FALLBACK_OPEN;
  }
  if (opened.fd < 0) {
    log_.Debug(std::string(entry.path()) + " is not the object its handle names");
    return LOCALIO_FALLBACK_IDENTITY;
  }
  f->fd = opened.fd;
  f->fd_writable = writable;
  f->ctime_ns = SettledCtimeNs(opened.sx, clock_.RealtimeNs());
  f->recheck_at_ms = io_ms_ + LOCALIO_ACCESS_RECHECK_MS;
  f->export_id = export_id;
  f->opaque_len = static_cast<uint8_t>(handle->opaque.size());
  std::memcpy(f->opaque.data(), handle->opaque.data(), handle->opaque.size());
  log_.Debug("opened " + std::string(entry.path()) + (writable ? " read-write" : " read-only"));
  return -1;
}

Client::OpenFile* Client::Prepare(nfsfh* fh, bool write) {
  if (!session_) MaybeRehandshake();
  if (!session_ || !SessionValid()) {
    Fallback(lost_session_ ? LOCALIO_FALLBACK_SERVER_CHANGED : LOCALIO_FALLBACK_NOT_LOCAL);
    return nullptr;
  }
  if (!credential_.Current()) ReadIdentity();
  if (!identity_ok_) {
    Fallback(LOCALIO_FALLBACK_CREDENTIALS);
    return nullptr;
  }
  OpenFile& f = FileOf(fh);
  if (f.needs_wire_proof) {
    Fallback(LOCALIO_FALLBACK_SERVER_CHANGED);
    return nullptr;
  }
  if (!write && f.flags >= 0 && (f.flags & O_ACCMODE) == O_WRONLY) {
    // Whether a write-only open may read is the server's call (NFSv4
    // share access); never grant it locally.
    Fallback(LOCALIO_FALLBACK_UNSUPPORTED);
    return nullptr;
  }
  if (f.fd >= 0 && (!write || f.fd_writable) &&
      (io_ms_ < f.recheck_at_ms || UnchangedSinceCheck(&f))) {
    if (write && f.flags >= 0 && (f.flags & O_APPEND)) {
      Fallback(LOCALIO_FALLBACK_UNSUPPORTED);
      return nullptr;
    }
    return &f;
  }
  if (write && f.flags >= 0 && (f.flags & O_APPEND)) {
    // Appends need the server's idea of the size; leave them to RPC.
    Fallback(LOCALIO_FALLBACK_UNSUPPORTED);
    return nullptr;
  }
  const uint64_t now = clock_.NowMs();
  if (f.failed_reason >= 0 && now < f.retry_at_ms) {
    Fallback(f.failed_reason);
    return nullptr;
  }
  // A first open, a read-only fd a write needs more than, or a file
  // changed since its fd was opened or last checked.
  const int reason = Reopen(fh, &f, write || f.fd_writable);
  if (reason >= 0) {
    // A handle not yet in the map may be published any moment: retry it
    // on the next I/O; other failures once a second.
    f.failed_reason = reason;
    f.retry_at_ms = reason == LOCALIO_FALLBACK_NOT_IN_MAP ? 0 : now + kRetryFailedOpenMs;
    Fallback(reason);
    return nullptr;
  }
  f.failed_reason = -1;
  return &f;
}

int Client::Reopen(nfsfh* fh, OpenFile* f, bool write) {
  const int old_fd = std::exchange(f->fd, -1);
  const int reason = OpenLocal(fh, f, write);
  if (old_fd >= 0) {
    if (reason < 0) {
      close(old_fd);
    } else {
      f->fd = old_fd;
      CloseLocal(f);
    }
  }
  return reason;
}

bool Client::UnchangedSinceCheck(OpenFile* f) {
  struct statx sx;
  if (f->ctime_ns == 0 || statx(f->fd, "", AT_EMPTY_PATH, STATX_CTIME, &sx) != 0 ||
      CtimeNs(sx) != f->ctime_ns)
    return false;
  f->recheck_at_ms = io_ms_ + LOCALIO_ACCESS_RECHECK_MS;
  return true;
}

bool Client::LocalRead(nfsfh* fh, uint64_t offset, uint64_t count, void* buf, int64_t* result) {
  OpenFile* f = Prepare(fh, /*write=*/false);
  if (f == nullptr) return false;
  if (offset > static_cast<uint64_t>(LLONG_MAX)) {
    *result = LocalFailure("pread", count, offset, -EINVAL);
    return true;
  }
  ssize_t n;
  do {
    n = pread(f->fd, buf, std::min(count, kMaxTransfer), static_cast<off_t>(offset));
  } while (n < 0 && errno == EINTR);
  if (n < 0) {
    *result = LocalFailure("pread", count, offset, -errno);
    return true;
  }
  *result = n;
  ++counters_.read_ops;
  counters_.read_bytes += static_cast<uint64_t>(n);
  session_->hello->CountRead(f->export_id, static_cast<uint64_t>(n));
  return true;
}

bool Client::LocalWrite(nfsfh* fh, uint64_t offset, uint64_t count, const void* buf,
                        int64_t* result) {
  OpenFile* f = Prepare(fh, /*write=*/true);
  if (f == nullptr) return false;
  if (offset > static_cast<uint64_t>(LLONG_MAX)) {
    *result = LocalFailure("pwrite", count, offset, -EINVAL);
    return true;
  }
  count = std::min(count, kMaxTransfer);
  const auto* p = static_cast<const uint8_t*>(buf);
  uint64_t done = 0;
  while (done < count) {
    const ssize_t n = pwrite(f->fd, p + done, count - done, static_cast<off_t>(offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      // Nothing written: the error is the result. Some written: report
      // that much, as write(2) does; the next call meets the error.
      if (done == 0) {
        *result = LocalFailure("pwrite", count, offset, n < 0 ? -errno : -EIO);
        return true;
      }
      break;
    }
    done += static_cast<uint64_t>(n);
  }
  f->wrote_locally = true;
  if (!f->unannounced) {
    f->unannounced = true;
    unannounced_ = true;
  }
  if (!(f->flags >= 0 && (f->flags & (O_SYNC | O_DSYNC)))) f->unsynced = true;
  *result = static_cast<int64_t>(done);
  ++counters_.write_ops;
  counters_.write_bytes += done;
  session_->hello->CountWrite(f->export_id, done);
  return true;
}

int Client::LocalFailure(const char* call, uint64_t count, uint64_t offset, int negative) {
  error_ = std::string("local ") + call + " of " + std::to_string(count) + " bytes at offset " +
           std::to_string(offset) + " failed: " + Errno(negative);
  return negative;
}

Client::OpenFile& Client::FileOf(nfsfh* fh) {
  if (fh != last_fh_) {
    last_file_ = &files_[fh];  // nodes never move: the pointer lives until erase
    last_fh_ = fh;
  }
  return *last_file_;
}

void Client::WroteByRpc(nfsfh* fh) noexcept {
  try {
    files_[fh].wrote_by_rpc = true;
  } catch (const std::bad_alloc&) {
    rpc_write_unrecorded_ = true;
  }
}

void Client::ServedByRpc(nfsfh* fh) {
  auto it = files_.find(fh);
  if (it != files_.end()) it->second.needs_wire_proof = false;
}

NfsCb Client::ProvingCallback(nfsfh* fh, NfsCb cb, void** private_data) {
  const auto it = files_.find(fh);
  if (it == files_.end() || !it->second.needs_wire_proof) return cb;
  try {
    if (!alive_) alive_ = std::make_shared<Client*>(this);
    *private_data = new WireProof{alive_, fh, it->second.serial, sessions_lost_, cb, *private_data};
    return WireProofDone;
  } catch (const std::bad_alloc&) {
    return cb;  // not proven by this call: the file stays on RPC meanwhile
  }
}

void Client::WireProofDone(int err, nfs_context* nfs, void* data, void* private_data) {
  const std::unique_ptr<WireProof> proof(static_cast<WireProof*>(private_data));
  if (Client* client = *proof->alive; client != nullptr && err >= 0 &&
                                      client->sessions_lost_ == proof->sessions_lost) {
    const auto it = client->files_.find(proof->fh);
    if (it != client->files_.end() && it->second.serial == proof->open_serial)
      it->second.needs_wire_proof = false;
  }
  proof->cb(err, nfs, data, proof->private_data);
}

int Client::LocalFsync(nfsfh* fh, bool* commit_by_rpc) {
  auto it = files_.find(fh);
  if (it == files_.end()) {
    *commit_by_rpc = true;
    return 0;
  }
  OpenFile& f = it->second;
  *commit_by_rpc = f.wrote_by_rpc || !f.wrote_locally || rpc_write_unrecorded_;
  int rc = f.pending_error;
  f.pending_error = 0;
  if (f.fd >= 0 && f.unsynced) {
    if (fsync(f.fd) != 0) {
      if (rc == 0) rc = -errno;
    } else {
      f.unsynced = false;
    }
  }
  if (f.unannounced) AnnounceOne(&f);
  if (rc < 0) error_ = "local fsync failed: " + Errno(rc);
  return rc;
}

namespace {

bool IsWrite(Client::IoOp op) { return op == Client::IoOp::kPwrite || op == Client::IoOp::kWrite; }
bool AtFileOffset(Client::IoOp op) {
  return op == Client::IoOp::kRead || op == Client::IoOp::kWrite;
}

}  // namespace

std::string Client::WireError() const {
  const char* why = libnfs_.get_error != nullptr ? libnfs_.get_error(nfs_) : nullptr;
  return why != nullptr && *why != '\0' ? why : "libnfs call failed";
}

bool Client::ServeLocally(const IoCall& call, void* buf, uint64_t* offset, int64_t* result) {
  *offset = call.offset;
  if (AtFileOffset(call.op) && libnfs_.lseek(nfs_, call.fh, 0, SEEK_CUR, offset) != 0)
    return false;
  try {
    return IsWrite(call.op) ? LocalWrite(call.fh, *offset, call.count, buf, result)
                            : LocalRead(call.fh, *offset, call.count, buf, result);
  } catch (const std::bad_alloc&) {
    return false;  // before any byte moved (the core allocates only to prepare)
  }
}

int64_t Client::Advance(nfsfh* fh, uint64_t offset, int64_t result) {
  if (result <= 0) return result;
  const int rc = libnfs_.lseek(nfs_, fh, static_cast<int64_t>(offset + static_cast<uint64_t>(result)),
                               SEEK_SET, nullptr);
  if (rc >= 0) return result;
  error_ = "moving the file offset past " + std::to_string(result) +
           " bytes served locally failed: " + WireError();
  return rc;
}

int Client::Io(const IoCall& call) {
  uint64_t offset = 0;
  int64_t result = 0;
  if (ServeLocally(call, call.buf, &offset, &result)) {
    if (AtFileOffset(call.op)) result = Advance(call.fh, offset, result);
    return static_cast<int>(result);
  }
  if (IsWrite(call.op)) WroteByRpc(call.fh);
  int rc = 0;
  switch (call.op) {
    case IoOp::kPread:
      rc = libnfs_.pread(nfs_, call.fh, call.offset, call.count, call.buf);
      break;
    case IoOp::kPwrite:
      rc = libnfs_.pwrite(nfs_, call.fh, call.offset, call.count, call.buf);
      break;
    case IoOp::kRead:
      rc = libnfs_.read(nfs_, call.fh, call.count, call.buf);
      break;
    case IoOp::kWrite:
      rc = libnfs_.write(nfs_, call.fh, call.count, call.buf);
      break;
  }
  if (rc >= 0)
    ServedByRpc(call.fh);
  else
    error_ = WireError();
  return rc;
}

bool Client::QueueLocally(const IoCall& call, CompletionQueue* queue, NfsCb cb,
                          void* private_data) {
  const bool write = IsWrite(call.op);
  size_t size = 0;
  void* buffer = call.buf;
  if (!write && (buffer = queue->buffers().Take(call.count, &size)) == nullptr) return false;
  uint64_t offset = 0;
  int64_t result = 0;
  if (!ServeLocally(call, buffer, &offset, &result)) {
    if (!write) queue->buffers().Give(buffer, size);
    return false;
  }
  Completion c(cb, private_data, static_cast<int>(result));
  if (!write) {
    if (result >= 0) {
      c.buffer.reset(buffer);
      c.buffer_size = size;
    } else {
      queue->buffers().Give(buffer, size);
    }
  }
  if (result < 0) c.Fail(static_cast<int>(result), error_);
  // Not queued: a read is read again by RPC, and a write written locally
  // is still right sent through libnfs too.
  if (!queue->Push(std::move(c))) return false;
  if (AtFileOffset(call.op)) {
    const int64_t moved = Advance(call.fh, offset, result);
    if (moved < 0) queue->back().Fail(static_cast<int>(moved), error_);
  }
  return true;
}

int Client::IoAsync(const IoCall& call, CompletionQueue* queue, NfsCb cb, void* private_data) {
  if (QueueLocally(call, queue, cb, private_data)) return 0;
  if (IsWrite(call.op)) WroteByRpc(call.fh);
  void* data = private_data;
  const NfsCb done = ProvingCallback(call.fh, cb, &data);
  int rc = 0;
  switch (call.op) {
    case IoOp::kPread:
      rc = libnfs_.pread_async(nfs_, call.fh, call.offset, call.count, done, data);
      break;
    case IoOp::kPwrite:
      rc = libnfs_.pwrite_async(nfs_, call.fh, call.offset, call.count, call.buf, done, data);
      break;
    case IoOp::kRead:
      rc = libnfs_.read_async(nfs_, call.fh, call.count, done, data);
      break;
    case IoOp::kWrite:
      rc = libnfs_.write_async(nfs_, call.fh, call.count, call.buf, done, data);
      break;
  }
  if (rc < 0) {
    // Not sent: libnfs will not run the callback.
    if (done != cb) delete static_cast<WireProof*>(data);
    error_ = WireError();
  }
  return rc;
}

int Client::Fsync(nfsfh* fh) {
  bool commit_by_rpc = true;
  const int rc = LocalFsync(fh, &commit_by_rpc);
  if (rc < 0 || !commit_by_rpc) return rc;
  const int sent = libnfs_.fsync(nfs_, fh);
  if (sent < 0) error_ = WireError();
  return sent;
}

int Client::FsyncAsync(nfsfh* fh, CompletionQueue* queue, NfsCb cb, void* private_data) {
  bool commit_by_rpc = true;
  const int rc = LocalFsync(fh, &commit_by_rpc);
  if (rc < 0 || !commit_by_rpc) {
    Completion c(cb, private_data, rc);
    if (rc < 0) c.Fail(rc, error_);
    if (queue->Push(std::move(c))) return 0;
    if (rc < 0) return rc;
  }
  const int sent = libnfs_.fsync_async(nfs_, fh, cb, private_data);
  if (sent < 0) error_ = WireError();
  return sent;
}

Status Client::WroteThroughNfsPort(uint16_t export_id,
                                  std::span<const std::span<const uint8_t>> handles) {
  NfsPortCaller* caller = nullptr;
  if (Status st = ProvenNfsPort(&*session_, &caller); !st.ok()) return st;
  const NameDirectory dir{session_->name_export_id, session_->name_root,
                          session_->map->fh_format()};
  // One handle per name (a name holds at most kLocalioNameMax bytes).
  for (std::span<const uint8_t> handle : handles) {
    rpc::XdrEncoder args;
    rpc::EncodeWroteArgs(export_id, std::span<const std::span<const uint8_t>>(&handle, 1), &args);
    if (Status st = caller->Call(dir, rpc::kLocalioProcWrote, args.bytes(), options_.probe_timeout);
        !st.ok())
      return st;
  }
  return Status::Ok();
}

void Client::AnnounceOne(OpenFile* f) {
  // Told or not, it is not told twice: a failure ends the session.
  f->unannounced = false;
  OpenFile* const one[] = {f};
  Announce(one, /*drop_on_failure=*/true);
}

void Client::AnnounceAll(bool drop_on_failure) {
  std::vector<OpenFile*> files;
  for (auto& [fh, f] : files_) {
    if (f.unannounced) files.push_back(&f);
    f.unannounced = false;
  }
  unannounced_ = false;
  Announce(files, drop_on_failure);
}

void Client::Announce(std::span<OpenFile* const> files, bool drop_on_failure) {
  if (!session_ || !session_->takes_wrote || files.empty()) return;
  std::vector<OpenFile*> order(files.begin(), files.end());
  std::sort(order.begin(), order.end(),
            [](const OpenFile* a, const OpenFile* b) { return a->export_id < b->export_id; });
  const rpc::LocalioCaller caller(AuthSysAs(CallUid(), CallGid()));
  std::vector<std::span<const uint8_t>> handles;
  for (size_t i = 0; i < order.size();) {
    const uint16_t export_id = order[i]->export_id;
    handles.clear();
    for (; i < order.size() && order[i]->export_id == export_id &&
           handles.size() < rpc::kWroteMaxHandles;
         ++i)
      handles.emplace_back(order[i]->opaque.data(), order[i]->opaque_len);
    uint32_t result = rpc::kWroteOk;
    // A kept connection the server closed (idle), or a SYN lost under load:
    // WROTE is idempotent, and a second try on a fresh connection gets
    // through. Every new connection is proven to be the server's first: the
    // handles must not go to whoever took the port.
    const auto wrote = [&]() {
      if (session_->channel == Channel::kNfsPort) return WroteThroughNfsPort(export_id, handles);
      rpc::RpcConnection* connection = nullptr;
      const Status proven = ProvenConnection(&*session_, &connection);
      if (!proven.ok()) return proven;
      return caller.Wrote(connection, export_id, handles, &result, options_.probe_timeout);
    };
    Status st = wrote();
    if (!st.ok() && st.code != -EOPNOTSUPP) st = wrote();
    if (st.code == -EOPNOTSUPP) {
      // A server that does not take WROTE does not cache what it would say.
      session_->takes_wrote = false;
      return;
    }
    if (!st.ok()) {
      const std::string why = "the server could not be told of " +
                              std::to_string(handles.size()) +
                              " file(s) written through the bypass (" + st.message +
                              "): other clients may see their old attributes";
      log_.Error(why);
      if (drop_on_failure) DropSession(why);
      return;
    }
    if (result != rpc::kWroteOk)
      log_.Debug("export " + std::to_string(export_id) + ": WROTE answered " +
                 std::strerror(static_cast<int>(result)));
  }
}

}  // namespace localio::client
