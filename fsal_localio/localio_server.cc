// SPDX-License-Identifier: LGPL-3.0-or-later
// The LOCALIO server behind localio_server.h: owns the MapWriter, the
// LocalioService and the heartbeat thread for the whole ganesha process.
#include "localio_server.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <new>
#include <shared_mutex>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "localio/localio_service.h"
#include "localio/map_writer.h"
#include "localio/rpcbind_registration.h"
#include "localio_server_log.h"
#include "vfs_handle.h"

namespace localio {
namespace {

struct ExportState {
  int root_fd = -1;
  std::string root_path;  // canonical, as this process sees it
  localio_resolver resolver = LOCALIO_RESOLVER_NONE;
  uint64_t generation = 0;  // suspensions so far
};

class Server {
 public:
  int Start(const localio_server_params& p, const Clock& clock, std::string* err);
  void Stop();
  int Defer(localio_task task, void (*done)(void*), void* arg);
  // Without the lock: localio_server_running() asks on every publish.
  bool running() const { return running_.load(std::memory_order_acquire); }
  uint16_t port() const { return service_ ? service_->port() : 0; }
  int AddExport(const localio_export_desc& d);
  uint64_t SuspendExport(uint16_t id);
  void RemoveExport(uint16_t id);

  uint64_t Stamp();
  uint64_t PublishRoot(uint16_t id, const localio_object& root);
  uint64_t PublishChild(uint16_t id, std::span<const uint8_t> parent,
                        const char* name, const localio_object& child);
  uint64_t PublishWire(uint16_t id, std::span<const uint8_t> opaque);
  uint64_t kernel_resolutions() const { return resolutions_.load(std::memory_order_relaxed); }
  void Unpublish(uint16_t id, std::span<const uint8_t> opaque);
  // A LOCALIO name looked up (rpc::DecodeLocalioName): runs its call. True
  // when `name` is one, run or not.
  bool NameCall(const char* name);
  std::string map_path() {
    std::shared_lock lock(mu_);
    return map_ ? map_->path() : std::string();
  }
  void AccessChanged();
  void Renamed(uint16_t id, const localio_object& obj,
               std::span<const uint8_t> new_parent, const char* new_name);

 private:
  // Path of `opaque` in the map, or resolved from the kernel and published
  // (*stamp: as localio_publish_wire). Caller holds mu_ shared.
  bool PathOf(uint16_t id, std::span<const uint8_t> opaque, std::string* path,
              uint64_t* stamp = nullptr);
  // Handles the kernel could not resolve lately: a direct-mapped table of
  // (key, until) pairs, lock-free (a lost or torn update only means one
  // resolution more or less).
  bool RecentlyUnresolvable(uint64_t key, uint64_t now_ms) const;
  void RememberUnresolvable(uint64_t key, uint64_t now_ms);
  // map_->Publish, with the inode stamp of a regular file where the
  // export's handles are not kernel handles (MapSlot::birth_ns): a path that
  // names another object by now is not published (-ESTALE). Caller holds
  // mu_ shared.
  int Publish(uint16_t id, std::span<const uint8_t> opaque, const std::string& path,
              uint64_t ino, uint64_t dev, MapObjectType type, uint64_t* stamp = nullptr);
  // Beats every LOCALIO_HEARTBEAT_PERIOD_MS of clock_, the first at `due`
  // (the map's first stamp + a period): each wait counts from the last
  // stamp, never from when the thread got to run.
  void HeartbeatLoop(uint64_t due);
  // Repairs the hello file a client damaged (MapWriter::RepairHello), every
  // beat: damage stops new handshakes for one beat at most. One log line
  // per repair, at most one a minute while a client keeps damaging it (the
  // next one counts the repairs in between). Heartbeat thread only.
  void RepairHello();
  // Keeps 400122 registered with rpcbind while the server runs
  // (rpc::LocalioRegistration::Check) and logs what changed. Heartbeat
  // thread only.
  void KeepRegistered();

  // Runs the deferred tasks once (beat_mu_ held by *lock, let go while
  // they run: they call back into this server). Heartbeat thread only.
  void RunDeferred(std::unique_lock<std::mutex>* lock);

  // Start and Stop, one at a time: Stop lets go of mu_ while it joins the
  // heartbeat thread (whose deferred tasks take mu_).
  std::mutex life_mu_;
  // Shared by publishers, exclusive for start/stop and export changes.
  std::shared_mutex mu_;
  // Written under mu_ (exclusive); read under it, or alone by running().
  std::atomic<bool> running_{false};
  std::unique_ptr<MapWriter> map_;
  std::unique_ptr<rpc::LocalioService> service_;
  // What a LOCALIO call does, for the listener and for LOCALIO names alike
  // (set by Start before either can call).
  rpc::LocalioService::NonceCallback on_nonce_;
  rpc::LocalioService::WroteCallback on_wrote_;
  // Made by Start before the heartbeat thread starts (when registering is
  // wanted), then used by that thread alone, and by Stop after joining it.
  std::unique_ptr<rpc::LocalioRegistration> rpcbind_;
  // Set by Start (mu_ exclusive) before the heartbeat thread starts; read
  // under mu_ or by that thread.
  const Clock* clock_ = &SystemClock();
  // RepairHello's log: when it last logged, and the repairs since.
  uint64_t hello_logged_ms_ = 0;
  uint64_t hello_repairs_unlogged_ = 0;
  std::map<uint16_t, ExportState> exports_;

  struct Unresolvable {
    std::atomic<uint64_t> key{0};
    std::atomic<uint64_t> until_ms{0};
  };
  static constexpr size_t kUnresolvableSlots = 256;
  std::array<Unresolvable, kUnresolvableSlots> unresolvable_;
  std::atomic<uint64_t> resolutions_{0};

  std::mutex beat_mu_;
  std::condition_variable beat_cv_;
  bool beat_stop_ = false;
  struct Deferred {
    localio_task task;
    void (*done)(void*);
    void* arg;
  };
  std::vector<Deferred> deferred_;  // under beat_mu_
  std::thread beat_;
};

// The heartbeat thread checks rpcbind's mapping every
// LOCALIO_RPCBIND_CHECK_BEATS beats, waiting at most kRpcbindCheckTimeout
// per call. A check makes up to three
// calls (DUMP, then UNSET and SET), and the next beat waits for them: the
// gap between two beats stays well under the staleness clients go by.
constexpr std::chrono::milliseconds kRpcbindCheckTimeout{300};
static_assert(kRpcbindCheckTimeout.count() * 3 + LOCALIO_HEARTBEAT_PERIOD_MS <
              LOCALIO_HEARTBEAT_STALE_MS * 2 / 3);

// Map_Path's default name in Map_Directory: the host name (a container's
// or a pod's own) and the NFS port, so that the servers that share a
// directory (a hostPath on a node, a host tmpfs) never take one another's
// name; two servers with the same host name and port on one directory are
// refused at start (the map of a live server is never replaced).
std::string DefaultMapName(uint16_t nfs_port) {
  char host[256] = {};
  if (gethostname(host, sizeof host - 1) != 0 || host[0] == '\0') std::strcpy(host, "localhost");
  std::string name;
  for (const char* c = host; *c != '\0'; ++c)
    name.push_back((std::isalnum(static_cast<unsigned char>(*c)) || *c == '-' || *c == '_' ||
                    *c == '.') ? *c : '_');
  if (name.front() == '.') name.front() = '_';  // clients skip dot files
  return name + "-" + std::to_string(nfs_port) + LOCALIO_MAP_SUFFIX;
}

std::span<const uint8_t> Bytes(const void* p, size_t n) {
  return {static_cast<const uint8_t*>(p), n};
}

int Server::Start(const localio_server_params& p, const Clock& clock, std::string* err) {
  std::lock_guard life(life_mu_);
  std::unique_lock lock(mu_);
  if (running_) {
    *err = "LOCALIO server already running";
    return -EALREADY;
  }
  clock_ = &clock;
  MapConfig config;
  config.clock = &clock;
  config.path = p.map_path && *p.map_path
                    ? p.map_path
                    : std::string(p.map_dir && *p.map_dir ? p.map_dir : LOCALIO_DEFAULT_MAP_DIR) +
                          "/" + DefaultMapName(p.nfs_port);
  // Clients in other containers open the same path: a relative one would
  // depend on this process's working directory.
  if (config.path.empty() || config.path[0] != '/') {
    *err = "Map_Path '" + config.path + "' must be an absolute path";
    return -EINVAL;
  }
  config.max_entries = p.max_entries;
  config.mode = p.map_mode;
  // Clients write their nonce into the hello file: the map's readers get
  // write access there, and only there.
  config.hello_mode = MapHelloMode(p.map_mode);
  config.gid = p.map_gid;
  config.fh_format = p.fh_format;
  std::unique_ptr<MapWriter> map;
  Status st = MapWriter::Create(config, &map);
  if (!st.ok()) {
    *err = "Map_Path " + config.path + ": " + st.message;
    return st.code;
  }

  rpc::LocalioServiceOptions opts;
  opts.bind_address = p.bind_addr && *p.bind_addr ? p.bind_addr : "0.0.0.0";
  opts.port = p.port;
  MapWriter* raw_map = map.get();
  on_nonce_ = [raw_map](const Nonce& nonce) { raw_map->ConfirmNonce(nonce); };
  on_wrote_ = nullptr;
  if (p.on_wrote != nullptr)
    on_wrote_ = [fn = p.on_wrote](const rpc::WroteArgs& args) {
      uint32_t first = rpc::kWroteOk;
      for (std::span<const uint8_t> h : args.handles) {
        const int r = fn(args.export_id, h.data(), h.size());
        if (first == rpc::kWroteOk && r < 0) first = static_cast<uint32_t>(-r);
      }
      return first;
    };
  auto service = std::make_unique<rpc::LocalioService>(opts, on_nonce_, on_wrote_);
  Status ss = service->Start();
  if (!ss.ok()) {
    *err = ss.message;
    return ss.code;
  }
  map->SetPort(service->port(), p.nfs_port);
  map->Heartbeat();

  rpcbind_.reset();
  if (p.register_rpcbind) {
    rpcbind_ = std::make_unique<rpc::LocalioRegistration>(
        service->port(), opts.bind_address, rpc::RpcbindOptions{.timeout = kRpcbindCheckTimeout});
    std::vector<std::string> log;
    Status rs = rpcbind_->Register(&log);
    for (const std::string& line : log) ServerLog(LOCALIO_SERVER_LOG_WARN, "LOCALIO: " + line);
    // Not fatal: clients in this network namespace check the listener's
    // owner themselves, and the heartbeat thread tries again.
    if (!rs.ok())
      ServerLog(LOCALIO_SERVER_LOG_WARN,
                "LOCALIO: rpcbind registration failed (" + rs.message +
                    "); clients in another network namespace will not find a registration they "
                    "trust, and registration is retried every " +
                    std::to_string(LOCALIO_RPCBIND_CHECK_BEATS * LOCALIO_HEARTBEAT_PERIOD_MS /
                                   1000) +
                    " s");
  }
  map_ = std::move(map);
  service_ = std::move(service);
  {
    std::lock_guard beat_lock(beat_mu_);
    beat_stop_ = false;
  }
  beat_ = std::thread(
      [this, due = clock.NowMs() + LOCALIO_HEARTBEAT_PERIOD_MS] { HeartbeatLoop(due); });
  running_ = true;
  return 0;
}

void Server::HeartbeatLoop(uint64_t due) {
  std::unique_lock lock(beat_mu_);
  for (unsigned beat = 1; !beat_stop_; ++beat) {
    for (uint64_t now = clock_->NowMs(); !beat_stop_ && now < due; now = clock_->NowMs())
      clock_->WaitFor(beat_cv_, lock, due - now);
    if (beat_stop_) break;
    due = map_->Heartbeat() + LOCALIO_HEARTBEAT_PERIOD_MS;
    RepairHello();
    RunDeferred(&lock);
    if (beat % LOCALIO_RPCBIND_CHECK_BEATS == 0 && rpcbind_) {
      // Unlocked, so that Stop does not wait for rpcbind.
      lock.unlock();
      try {
        KeepRegistered();
      } catch (const std::bad_alloc&) {
        // Out of memory (its RPCs and messages allocate): tried again at
        // the next check; an exception must not end this thread (and the
        // server with it).
      }
      lock.lock();
    }
  }
}

void Server::RunDeferred(std::unique_lock<std::mutex>* lock) {
  if (deferred_.empty()) return;
  std::vector<Deferred> now;
  now.swap(deferred_);
  lock->unlock();
  std::vector<Deferred> again;
  for (const Deferred& d : now) {
    if (d.task(d.arg) == -EAGAIN) {
      again.push_back(d);
    } else {
      d.done(d.arg);
    }
  }
  lock->lock();
  // Those deferred meanwhile run after the ones already waiting.
  again.insert(again.end(), deferred_.begin(), deferred_.end());
  deferred_.swap(again);
}

int Server::Defer(localio_task task, void (*done)(void*), void* arg) {
  std::shared_lock lock(mu_);
  if (!running_) return -ENOTCONN;
  std::lock_guard beat_lock(beat_mu_);
  deferred_.push_back({task, done, arg});
  return 0;
}

void Server::RepairHello() {
  constexpr uint64_t kLogEveryMs = 60000;
  try {
    const std::string done = map_->RepairHello();
    if (done.empty()) return;
    const uint64_t now = clock_->NowMs();
    if (hello_logged_ms_ != 0 && now - hello_logged_ms_ < kLogEveryMs) {
      ++hello_repairs_unlogged_;
      return;
    }
    std::string also;
    if (hello_repairs_unlogged_ > 0)
      also = " (and " + std::to_string(hello_repairs_unlogged_) + " repairs since the last message)";
    ServerLog(LOCALIO_SERVER_LOG_WARN, "LOCALIO: hello file " + map_->hello_path() +
                                           " was damaged by a client; repaired: " + done + also);
    hello_logged_ms_ = now;
    hello_repairs_unlogged_ = 0;
  } catch (const std::bad_alloc&) {
    // Tried again at the next beat; an exception must not end this thread.
  }
}

void Server::KeepRegistered() {
  std::vector<std::string> log;
  rpcbind_->Check(&log);
  for (const std::string& line : log) ServerLog(LOCALIO_SERVER_LOG_WARN, "LOCALIO: " + line);
}

void Server::Stop() {
  std::lock_guard life(life_mu_);
  {
    std::unique_lock lock(mu_);
    if (!running_) return;
    running_ = false;
  }
  // Without mu_: a deferred task in flight may be waiting for it (it then
  // finds the server stopped).
  {
    std::lock_guard beat_lock(beat_mu_);
    beat_stop_ = true;
  }
  beat_cv_.notify_all();
  if (beat_.joinable()) beat_.join();
  for (const Deferred& d : deferred_) d.done(d.arg);
  deferred_.clear();
  std::unique_lock lock(mu_);
  if (rpcbind_ && rpcbind_->registered()) {
    Status rs = rpcbind_->Unregister();
    if (!rs.ok())
      ServerLog(LOCALIO_SERVER_LOG_WARN, "LOCALIO: rpcbind unregistration failed: " + rs.message);
  }
  rpcbind_.reset();
  service_->Stop();
  service_.reset();
  map_->MarkDead();
  map_.reset();
  for (auto& [id, e] : exports_)
    if (e.root_fd >= 0) close(e.root_fd);
  exports_.clear();
}

int Server::AddExport(const localio_export_desc& d) {
  std::unique_lock lock(mu_);
  if (!running_) return -ENOTCONN;
  if (d.generation != 0) {
    const auto it = exports_.find(d.export_id);
    if (it == exports_.end() || it->second.generation != d.generation) return -ESTALE;
  }
  char* canonical = realpath(d.server_root, nullptr);
  if (canonical == nullptr) return -errno;
  std::string root(canonical);
  free(canonical);
  // Not O_PATH: open_by_handle_at takes this as its mount fd and refuses
  // an O_PATH one (EBADF), which would make every resolution fail.
  const int fd = open(root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return -errno;

  MapExport row;
  row.export_id = d.export_id;
  row.read_only = d.read_only;
  row.squash = static_cast<MapSquash>(d.squash);
  row.anon_uid = d.anon_uid;
  row.anon_gid = d.anon_gid;
  row.server_root = root;
  row.client_root = d.client_root ? d.client_root : "";
  row.kernel_handles = d.resolver == LOCALIO_RESOLVER_VFS;
  Status st = map_->SetExport(row);
  if (!st.ok()) {
    close(fd);
    ServerLog(LOCALIO_SERVER_LOG_WARN, "LOCALIO: export " + std::to_string(d.export_id) + ": " + st.message);
    return st.code;
  }
  auto& e = exports_[d.export_id];
  if (e.root_fd >= 0) close(e.root_fd);
  e.root_fd = fd;
  e.root_path = root;
  e.resolver = d.resolver;
  return 0;
}

uint64_t Server::SuspendExport(uint16_t id) {
  std::unique_lock lock(mu_);
  if (!running_) return 0;
  const auto it = exports_.find(id);
  if (it == exports_.end()) return 0;
  map_->SuspendExport(id);
  return ++it->second.generation;
}

void Server::RemoveExport(uint16_t id) {
  std::unique_lock lock(mu_);
  if (!running_) return;
  map_->RemoveExport(id);
  auto it = exports_.find(id);
  if (it != exports_.end()) {
    if (it->second.root_fd >= 0) close(it->second.root_fd);
    exports_.erase(it);
  }
}

bool Server::RecentlyUnresolvable(uint64_t key, uint64_t now_ms) const {
  const Unresolvable& u = unresolvable_[key % kUnresolvableSlots];
  return u.key.load(std::memory_order_relaxed) == key &&
         now_ms < u.until_ms.load(std::memory_order_relaxed);
}

void Server::RememberUnresolvable(uint64_t key, uint64_t now_ms) {
  Unresolvable& u = unresolvable_[key % kUnresolvableSlots];
  u.until_ms.store(now_ms + LOCALIO_UNRESOLVABLE_MS, std::memory_order_relaxed);
  u.key.store(key, std::memory_order_relaxed);
}

bool Server::PathOf(uint16_t id, std::span<const uint8_t> opaque, std::string* path,
                    uint64_t* stamp) {
  if (map_->PathOf(id, opaque, path, stamp) == 0) return true;
  auto it = exports_.find(id);
  if (it == exports_.end() || it->second.resolver != LOCALIO_RESOLVER_VFS) return false;
  const uint64_t key = MapHash(id, opaque.data(), opaque.size()) | 1;
  const uint64_t now = clock_->NowMs();
  if (RecentlyUnresolvable(key, now)) return false;
  resolutions_.fetch_add(1, std::memory_order_relaxed);
  ResolvedObject obj;
  if (ResolveVfsHandle(it->second.root_fd, it->second.root_path, opaque, &obj) != 0) {
    RememberUnresolvable(key, now);
    return false;
  }
  Publish(id, opaque, obj.relpath, obj.ino, obj.dev, obj.type, stamp);
  *path = std::move(obj.relpath);
  return true;
}

int Server::Publish(uint16_t id, std::span<const uint8_t> opaque, const std::string& path,
                    uint64_t ino, uint64_t dev, MapObjectType type, uint64_t* stamp) {
  const auto it = exports_.find(id);
  if (it == exports_.end()) return -ENOENT;
  MapInodeStamp inode;
  // Only regular files are ever opened by clients; a kernel handle already
  // carries the inode generation.
  if (it->second.resolver != LOCALIO_RESOLVER_VFS && type == MapObjectType::kRegular) {
    const int fd = openat(it->second.root_fd, path.c_str(),
                          O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    if (fd < 0) return -errno;
    struct statx sx;
    const bool same = statx(fd, "", AT_EMPTY_PATH, kMapIdentityStatxMask, &sx) == 0 &&
                      MapStatxIsRegularFile(sx, ino, dev);
    if (same) inode = MapInodeStampOf(fd, sx);
    close(fd);
    if (!same) return -ESTALE;
  }
  return map_->Publish(id, opaque, path, ino, dev, type, inode, stamp);
}

uint64_t Server::Stamp() {
  std::shared_lock lock(mu_);
  return running_ ? map_->Removals() : 0;
}

uint64_t Server::PublishRoot(uint16_t id, const localio_object& root) {
  std::shared_lock lock(mu_);
  if (!running_) return 0;
  // Clients that reach only the NFS port send LOCALIO names to this
  // directory (rpc::kLocalioNamePrefix).
  map_->SetExportRoot(id, Bytes(root.opaque, root.opaque_len));
  uint64_t stamp = 0;
  return Publish(id, Bytes(root.opaque, root.opaque_len), "", root.ino, root.dev,
                 static_cast<MapObjectType>(root.type), &stamp) == 0 ? stamp : 0;
}

bool Server::NameCall(const char* name) {
  uint32_t proc = 0;
  std::vector<uint8_t> args;
  if (name == nullptr || !rpc::DecodeLocalioName(name, &proc, &args)) return false;
  std::shared_lock lock(mu_);
  if (!running_) return true;
  if (proc == rpc::kLocalioProcUuidIsLocal) {
    if (const std::optional<Nonce> nonce = rpc::DecodeUuidIsLocalArgs(args)) on_nonce_(*nonce);
  } else if (proc == rpc::kLocalioProcWrote && on_wrote_) {
    if (const std::optional<rpc::WroteArgs> wrote = rpc::DecodeWroteArgs(args)) on_wrote_(*wrote);
  }
  return true;
}

uint64_t Server::PublishChild(uint16_t id, std::span<const uint8_t> parent,
                              const char* name, const localio_object& child) {
  std::shared_lock lock(mu_);
  if (!running_) return 0;
  if (name == nullptr || !MapNameIsSafe(name)) return 0;
  const auto it = exports_.find(id);
  if (it == exports_.end()) return 0;
  const auto handle = Bytes(child.opaque, child.opaque_len);
  const auto type = static_cast<MapObjectType>(child.type);
  uint64_t stamp = 0;
  // Over kernel handles no inode stamp is needed: one lock, in place.
  if (it->second.resolver == LOCALIO_RESOLVER_VFS) {
    const int rc = map_->PublishChild(id, parent, name, handle, child.ino, child.dev, type, {},
                                      &stamp);
    if (rc != -ENOENT) return rc == 0 ? stamp : 0;  // -ENOENT: resolve the parent
  }
  std::string path;
  if (!PathOf(id, parent, &path)) return 0;
  if (!path.empty()) path.push_back('/');
  path.append(name);
  return Publish(id, handle, path, child.ino, child.dev, type, &stamp) == 0 ? stamp : 0;
}

uint64_t Server::PublishWire(uint16_t id, std::span<const uint8_t> opaque) {
  std::shared_lock lock(mu_);
  if (!running_) return 0;
  uint64_t stamp = 0;
  if (map_->Holds(id, opaque, &stamp)) return stamp;
  std::string path;
  return PathOf(id, opaque, &path, &stamp) ? stamp : 0;  // resolves from the kernel and publishes
}

void Server::Unpublish(uint16_t id, std::span<const uint8_t> opaque) {
  std::shared_lock lock(mu_);
  if (!running_) return;
  map_->Unpublish(id, opaque);
}

void Server::AccessChanged() {
  std::shared_lock lock(mu_);
  if (running_) map_->BumpAccessEpoch();
}

void Server::Renamed(uint16_t id, const localio_object& obj,
                     std::span<const uint8_t> new_parent, const char* new_name) {
  std::shared_lock lock(mu_);
  if (!running_) return;
  const auto handle = Bytes(obj.opaque, obj.opaque_len);
  std::string old_path;
  const bool had_path = map_->PathOf(id, handle, &old_path) == 0;
  std::string new_path;
  if (!PathOf(id, new_parent, &new_path)) {
    // The new place cannot be named: drop the entry rather than let it lie.
    // Entries below a directory keep their old paths; clients check every
    // object's identity after opening, so those only cost a fallback.
    map_->Unpublish(id, handle);
    return;
  }
  if (!new_path.empty()) new_path.push_back('/');
  new_path.append(new_name);
  if (had_path && obj.type == LOCALIO_OBJ_DIRECTORY) {
    map_->RenamePrefix(id, old_path, new_path);
  }
  // A new path the map cannot hold (too long, unsafe name) must not leave
  // the old one behind.
  if (Publish(id, handle, new_path, obj.ino, obj.dev, static_cast<MapObjectType>(obj.type)) !=
      0)
    map_->Unpublish(id, handle);
}

Server& TheServer() {
  static Server* server = new Server;  // lives until the process ends
  return *server;
}

}  // namespace
}  // namespace localio

using localio::Bytes;
using localio::TheServer;

namespace {

// No exception leaves the C API (Ganesha's threads are C): the failure is
// logged and the call gives `failed`; the export goes on through RPC.
void LogFailure(const char* call, const char* why) noexcept {
  char text[256];
  std::snprintf(text, sizeof text, "LOCALIO: %s failed: %s", call, why);
  localio::ServerLogText(LOCALIO_SERVER_LOG_WARN, text);
}

template <class R, class Body>
R Guarded(const char* call, R failed, Body&& body) noexcept {
  try {
    return body();
  } catch (const std::bad_alloc&) {
    LogFailure(call, "out of memory");
  } catch (const std::exception& e) {
    LogFailure(call, e.what());
  } catch (...) {
    LogFailure(call, "unknown exception");
  }
  return failed;
}

template <class Body>
void GuardedVoid(const char* call, Body&& body) noexcept {
  Guarded(call, 0, [&] {
    body();
    return 0;
  });
}

}  // namespace

int localio_server_start_on_clock(const struct localio_server_params* params,
                                  const localio::Clock& clock, char* err, size_t err_len) noexcept {
  return Guarded("start", -ENOMEM, [&] {
    std::string message;
    const int rc = TheServer().Start(*params, clock, &message);
    if (rc != 0 && err != nullptr && err_len > 0)
      std::snprintf(err, err_len, "%s", message.c_str());
    return rc;
  });
}

extern "C" {

int localio_server_start(const struct localio_server_params* params, char* err,
                         size_t err_len) noexcept {
  return localio_server_start_on_clock(params, localio::SystemClock(), err, err_len);
}

void localio_server_stop(void) noexcept { GuardedVoid("stop", [] { TheServer().Stop(); }); }

bool localio_server_running(void) noexcept { return TheServer().running(); }

int localio_server_defer(localio_task task, void (*done)(void* arg), void* arg) noexcept {
  return Guarded("deferring a task", -ENOMEM, [&] { return TheServer().Defer(task, done, arg); });
}

uint16_t localio_server_port(void) noexcept { return TheServer().port(); }

int localio_server_add_export(const struct localio_export_desc* desc) noexcept {
  return Guarded("adding an export to the map", -ENOMEM,
                 [&] { return TheServer().AddExport(*desc); });
}

uint64_t localio_server_suspend_export(uint16_t export_id) noexcept {
  return Guarded("withdrawing an export's row", uint64_t{0},
                 [&] { return TheServer().SuspendExport(export_id); });
}

void localio_server_remove_export(uint16_t export_id) noexcept {
  GuardedVoid("removing an export from the map", [&] { TheServer().RemoveExport(export_id); });
}

uint64_t localio_map_stamp(void) noexcept {
  return Guarded("reading the map stamp", uint64_t{0}, [] { return TheServer().Stamp(); });
}

uint64_t localio_publish_root(uint16_t export_id, const struct localio_object* root) noexcept {
  return Guarded("publishing an export root", uint64_t{0},
                 [&] { return TheServer().PublishRoot(export_id, *root); });
}

bool localio_server_name_call(const char* name) noexcept {
  return Guarded("a LOCALIO name", false, [&] { return TheServer().NameCall(name); });
}

size_t localio_server_map_path(char* buf, size_t len) noexcept {
  return Guarded("the map's path", size_t{0}, [&] {
    const std::string path = TheServer().map_path();
    if (len > 0) std::snprintf(buf, len, "%s", path.c_str());
    return path.size();
  });
}

uint64_t localio_publish_child(uint16_t export_id, const void* parent_opaque,
                               size_t parent_len, const char* name,
                               const struct localio_object* child) noexcept {
  return Guarded("publishing a directory entry", uint64_t{0}, [&] {
    return TheServer().PublishChild(export_id, Bytes(parent_opaque, parent_len), name, *child);
  });
}

uint64_t localio_publish_wire(uint16_t export_id, const void* opaque,
                              size_t opaque_len) noexcept {
  return Guarded("publishing a handle", uint64_t{0},
                 [&] { return TheServer().PublishWire(export_id, Bytes(opaque, opaque_len)); });
}

void localio_access_changed(void) noexcept {
  GuardedVoid("bumping the access epoch", [] { TheServer().AccessChanged(); });
}

uint64_t localio_server_kernel_resolutions(void) noexcept {
  return TheServer().kernel_resolutions();
}

void localio_unpublish(uint16_t export_id, const void* opaque, size_t opaque_len) noexcept {
  GuardedVoid("unpublishing a handle",
              [&] { TheServer().Unpublish(export_id, Bytes(opaque, opaque_len)); });
}

void localio_renamed(uint16_t export_id, const struct localio_object* obj,
                     const void* new_parent_opaque, size_t new_parent_len,
                     const char* new_name) noexcept {
  GuardedVoid("following a rename", [&] {
    TheServer().Renamed(export_id, *obj, Bytes(new_parent_opaque, new_parent_len), new_name);
  });
}

}  // extern "C"
