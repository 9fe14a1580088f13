/* SPDX-License-Identifier: LGPL-3.0-or-later */
// The client plugin's core, shared by the C API (localio_client.cc) and the
// LD_PRELOAD shim: the handshake session, the per-open-file local fds and
// the front ends' read, write and fsync calls, sync and async, in one
// sequence (Io, IoAsync, Fsync, FsyncAsync): served from the local file
// when safe, else sent through libnfs, then the bookkeeping of either way.
// It calls libnfs only through the functions its front end hands it
// (LibnfsCalls): the C API links libnfs, the shim finds them in whatever
// libnfs the program loaded.
//
// One thread at a time, like the nfs_context it serves.
#ifndef LOCALIO_CLIENT_CLIENT_H
#define LOCALIO_CLIENT_CLIENT_H

#include <sys/types.h>

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>
#include <utility>

#include "client_log.h"
#include "client_options.h"
#include "completions.h"
#include "handshake.h"
#include "libnfs_calls.h"
#include "localio/clock.h"
#include "localio/localio_client.h"
#include "rpc_credential.h"

namespace localio::client {

class Client {
 public:
  // The first wait between handshake attempts after a failure or a lost
  // session (it doubles up to a minute).
  static constexpr uint64_t kFirstBackoffMs = 1000;
  // How often an I/O checks that the map path still names the mapped file
  // (a stat and an fstat): a restarted server renames a new map into place
  // while the old one still looks alive until its heartbeat goes stale.
  static constexpr uint64_t kMapCheckEveryMs = 100;

  // `config_error` (from ResolveOptions) is reported and keeps the bypass
  // off. Every `libnfs` member but get_error must be set. `clock` times the
  // backoff, the map and heartbeat checks, the lease renewals, access
  // re-checks and a ctime's settling (tests pass their own). Call Attach()
  // next.
  Client(nfs_context* nfs, const LibnfsCalls& libnfs, ClientOptions options,
         Status config_error, const Clock& clock = SystemClock());
  ~Client();  // flushes and closes local files, releases the hello slot
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // The first handshake (unless disabled or misconfigured). Never fails:
  // the outcome is local() and error().
  void Attach();
  bool local() const { return session_.has_value(); }
  const std::string& error() const { return error_; }
  void SetError(std::string error) { error_ = std::move(error); }
  // libnfs's sentence for the call that just failed on this context.
  std::string WireError() const;

  // nfs_open succeeded for `fh` with `flags`; forgets stale state for a
  // reused pointer.
  void Opened(nfsfh* fh, int flags);
  // Before nfs_close: fsyncs a file written through the bypass, closes its
  // local fd and tells the server it was written (Announce). 0 or the first
  // -errno of a local flush.
  int Closing(nfsfh* fh);
  // Before a call that reads attributes from the server (stat, fstat,
  // lseek from the end): the server is told of every file written through
  // the bypass since it was last told, so it does not answer from a stale
  // cache. Nothing to do (no RPC) when no such file is open.
  void BeforeAttributes() {
    if (unannounced_) AnnounceAll(/*drop_on_failure=*/true);
  }

  // The front ends' read and write calls (nfs_pread, nfs_pwrite, nfs_read,
  // nfs_write), sync or async. kRead and kWrite use the file's offset,
  // which libnfs keeps: a call served locally moves it (nfs_lseek).
  enum class IoOp { kPread, kPwrite, kRead, kWrite };
  struct IoCall {
    IoOp op;
    nfsfh* fh;
    uint64_t offset;  // kPread and kPwrite only
    uint64_t count;
    void* buf;        // read into (sync reads) or written from (only read)
  };
  // Served from the local file when safe, else through libnfs's sync call;
  // a write sent by RPC is remembered for fsync, an RPC that succeeded
  // proves the open to the server (see ServedByRpc). The byte count or
  // -errno, error() then naming the problem (a local failure: the call,
  // count, offset and errno; an RPC's: libnfs's text). A local error (EIO,
  // ENOSPC, EFBIG...) is the call's result: it is never retried by RPC.
  int Io(const IoCall& call);
  // The same for the *_async calls (call.buf unused for reads). A call
  // served locally is done now and its completion queued on `queue`, whose
  // Run delivers it (a read's data in a buffer of queue's pool), never in
  // here; the others go to libnfs's *_async with `cb`. 0, or -errno when
  // neither took the call (cb will not run; error() says why).
  int IoAsync(const IoCall& call, CompletionQueue* queue, NfsCb cb, void* private_data);
  // nfs_fsync: makes every write so far durable: fsync of the local file
  // and the server told of the writes, then nfs_fsync (COMMIT) when some
  // writes went by RPC or none went locally. 0 or -errno (error()).
  int Fsync(nfsfh* fh);
  // nfs_fsync_async: the local half now; when no COMMIT is needed (or it
  // failed) the completion is queued, else libnfs's nfs_fsync_async.
  int FsyncAsync(nfsfh* fh, CompletionQueue* queue, NfsCb cb, void* private_data);

  const localio_counters& counters() const { return counters_; }

 private:
  struct OpenFile {
    int flags = -1;         // from localio_open; -1 unknown
    int fd = -1;            // local fd, -1 none
    bool fd_writable = false;
    bool unsynced = false;  // local writes since the last fsync
    bool wrote_locally = false;
    bool wrote_by_rpc = false;
    int pending_error = 0;  // a flush failed while dropping the fd
    int failed_reason = -1; // last local open failed (until retry_at_ms)
    bool needs_wire_proof = false;  // opened before the last session ended
    // The re-check of fd (Prepare, UnchangedSinceCheck): the first I/O at
    // or after recheck_at_ms (clock_.CoarseNowMs()) compares the file's
    // ctime with ctime_ns, settled when fd was opened or last checked (0:
    // re-open at the next I/O, as after a change of the map's access epoch).
    uint64_t recheck_at_ms = 0;
    uint64_t ctime_ns = 0;
    uint64_t serial = 0;  // Opened's count: tells a reused nfsfh* apart
    uint64_t retry_at_ms = 0;
    // Written locally since the server was last told (WROTE); the handle
    // it is told by is the one the local file was opened for.
    bool unannounced = false;
    uint16_t export_id = 0;
    uint8_t opaque_len = 0;
    std::array<uint8_t, kMapMaxHandleLen> opaque{};
  };
  struct ExportView {
    MapExport exp;
    int root_fd = -1;  // -errno when the root could not be opened
  };

  // Read/write served from the local file. true: *result is the byte
  // count or -errno (error() then names the call, the offset and the
  // errno); false: send it through libnfs (the reason is counted).
  bool LocalRead(nfsfh* fh, uint64_t offset, uint64_t count, void* buf, int64_t* result);
  bool LocalWrite(nfsfh* fh, uint64_t offset, uint64_t count, const void* buf, int64_t* result);
  // The local half of Io and IoAsync, into or from `buf`: true when served
  // locally (*result as LocalRead's), *offset where. The file offset of
  // kRead/kWrite is not moved (Advance). Out of memory: not served.
  bool ServeLocally(const IoCall& call, void* buf, uint64_t* offset, int64_t* result);
  // Served locally and queued (IoAsync); false: nothing changed, send it
  // through libnfs.
  bool QueueLocally(const IoCall& call, CompletionQueue* queue, NfsCb cb, void* private_data);
  // After a kRead/kWrite served locally: the file's offset moves past the
  // bytes moved. `result`, or -errno (error()) when libnfs did not move it.
  int64_t Advance(nfsfh* fh, uint64_t offset, int64_t result);
  // The local half of fsync, and the server told of the writes.
  // *commit_by_rpc: the caller must nfs_fsync too (some writes went by RPC,
  // or none went locally). 0 or -errno (error()).
  int LocalFsync(nfsfh* fh, bool* commit_by_rpc);
  // A write of `fh` went through libnfs (fsync must then COMMIT too); when
  // that cannot be recorded (out of memory) every fsync commits.
  void WroteByRpc(nfsfh* fh) noexcept;
  // A read or write of `fh` went through libnfs and succeeded: the server
  // honours this open. After a session ends, a file opened before may
  // bypass again only once this was said of it: by Io for a sync call, by
  // WireProofDone for an async one.
  void ServedByRpc(nfsfh* fh);
  // An async read or write through libnfs of an open that waits for that
  // proof goes with this in place of the caller's callback and data
  // (ProvingCallback): its success proves the open, unless the open or the
  // session changed since the call was sent. `alive` may outlive the
  // Client (~Client clears it): libnfs runs the callback later, or cancels
  // it from nfs_destroy_context.
  struct WireProof {
    std::shared_ptr<Client*> alive;
    nfsfh* fh;
    uint64_t open_serial;
    uint64_t sessions_lost;
    NfsCb cb;
    void* private_data;
  };
  static void WireProofDone(int err, nfs_context* nfs, void* data, void* private_data);
  // IoAsync's callback for libnfs: `cb` itself (*private_data kept), or
  // WireProofDone with a new WireProof (*private_data replaced) when `fh`
  // waits for its proof and the memory is there.
  NfsCb ProvingCallback(nfsfh* fh, NfsCb cb, void** private_data);

  void Handshake();
  // Reads the context's RPC identity (RpcCredential) after it changed:
  // local files opened as another identity are closed (they reopen as this
  // one at their next I/O). No AUTH_SYS identity: every read and write
  // goes through RPC (CREDENTIALS), and error() and the log say why.
  void ReadIdentity();
  // The AUTH_SYS ids of the LOCALIO calls (UUID_IS_LOCAL, WROTE): the
  // context's, else the process's real ones (libnfs's default).
  uint32_t CallUid() const;
  uint32_t CallGid() const;
  bool MapReplaced(uint64_t now);
  // (device, inode) of the file at the map path, (inode, mtime in ns) of
  // a directory there; (0, 0) when there is none.
  std::pair<uint64_t, uint64_t> MapFileAtPath() const;
  void MaybeRehandshake();
  // Per-I/O: the server is alive, beating, its map not replaced (checked
  // every kMapCheckEveryMs), and the epoch unchanged (on an epoch change the
  // local fds are dropped and reopened); a new access epoch makes every
  // local file re-open at its next I/O. Sets io_ms_. False: the session is
  // gone (dropped here).
  bool SessionValid();
  // The server changed who may open some file (the map's access epoch is
  // now `access_epoch`): every local file is re-opened, as RPC's identity,
  // at its next I/O; one refused then goes to RPC, which refuses too.
  [[gnu::cold, gnu::noinline]] void AccessChanged(uint64_t access_epoch);
  void DropSession(const std::string& why);
  void DropLocalFiles();
  void CloseLocal(OpenFile* f);
  // The open file ready for a local read or write, or nullptr (fallback
  // counted).
  OpenFile* Prepare(nfsfh* fh, bool write);
  // Opens f's local file; a fallback reason on failure, -1 on success.
  int OpenLocal(nfsfh* fh, OpenFile* f, bool write);
  // OpenLocal in place of f's local fd, if any: the old fd is closed
  // unflushed when the new one is open (the same object: its writes are
  // the new fd's to flush), else flushed and closed (CloseLocal).
  int Reopen(nfsfh* fh, OpenFile* f, bool write);
  // f's fd is due for its re-check: true when the file's ctime is the one
  // settled at the last open or check (the next check is then
  // LOCALIO_ACCESS_RECHECK_MS away); false: re-open it, as RPC's identity.
  bool UnchangedSinceCheck(OpenFile* f);
  const ExportView* ExportFor(uint16_t export_id);
  // files_[fh], remembering the last one: a loop of I/Os on one file then
  // skips the hash lookup.
  OpenFile& FileOf(nfsfh* fh);
  void Fallback(int reason);
  // A local read or write failed: error() says so. Returns `negative`.
  int LocalFailure(const char* call, uint64_t count, uint64_t offset, int negative);
  // LOCALIO WROTE for `files` (all unannounced), export by export, in
  // calls of at most kWroteMaxHandles. A server that cannot be told ends
  // the session: bypassed writes it would not know of must stop.
  void Announce(std::span<OpenFile* const> files, bool drop_on_failure);
  void AnnounceAll(bool drop_on_failure);
  // WROTE as LOCALIO names through the NFS port (Channel::kNfsPort).
  Status WroteThroughNfsPort(uint16_t export_id,
                             std::span<const std::span<const uint8_t>> handles);
  void AnnounceOne(OpenFile* f);

  nfs_context* nfs_;
  LibnfsCalls libnfs_;
  ClientOptions options_;
  const Clock& clock_;
  Logger log_;
  bool config_ok_;
  std::string error_;
  // The identity the context's RPCs carry, as last read (identity_ok_), or
  // why there is none (identity_error_).
  RpcCredential credential_;
  Identity identity_;
  bool identity_ok_ = false;
  std::string identity_error_;
  std::optional<Session> session_;
  uint64_t epoch_ = 0;
  uint64_t access_epoch_ = 0;  // the map's access epoch the local files were checked at
  uint64_t io_ms_ = 0;         // clock_.CoarseNowMs() at the current I/O's SessionValid
  uint64_t touched_ms_ = 0;
  uint64_t refreshed_ms_ = 0;  // last check that the map file is still current
  // Re-handshakes: after any failed handshake or a lost session, at most
  // every backoff_ms_ (doubling up to a minute), and at once when another
  // map file appears at the path (MapReplaced).
  bool may_retry_ = false;
  bool lost_session_ = false;  // a session ended (not: never had one)
  uint64_t retry_at_ms_ = 0;
  uint64_t backoff_ms_ = kFirstBackoffMs;
  // The map file (device, inode) of the lost session or the last
  // handshake attempt, and when the path was last looked at.
  std::pair<uint64_t, uint64_t> seen_map_{0, 0};
  uint64_t map_checked_ms_ = 0;
  std::unordered_map<const nfsfh*, OpenFile> files_;
  const nfsfh* last_fh_ = nullptr;  // FileOf's memo; reset when its entry is erased
  OpenFile* last_file_ = nullptr;
  std::map<uint16_t, ExportView> exports_;
  bool unannounced_ = false;  // some OpenFile::unannounced may be set
  uint64_t opens_ = 0;          // Opened calls so far (OpenFile::serial)
  uint64_t sessions_lost_ = 0;  // DropSession calls that ended a session
  std::shared_ptr<Client*> alive_;  // this, for WireProofs (made at the first)
  bool rpc_write_unrecorded_ = false;  // WroteByRpc ran out of memory
  localio_counters counters_{};
};

}  // namespace localio::client

#endif  // LOCALIO_CLIENT_CLIENT_H
