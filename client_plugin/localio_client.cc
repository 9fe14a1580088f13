// SPDX-License-Identifier: LGPL-3.0-or-later
// The C API (localio_client.h) over the core (client.h): every I/O asks the
// core first and sends what it declines through libnfs.
#include "localio/localio_client.h"

#include <fcntl.h>
#include <sys/time.h>
#include <unistd.h>

#include <nfsc/libnfs.h>
#include <nfsc/libnfs-raw.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iterator>
#include <memory>
#include <new>
#include <string>
#include <type_traits>

#include "client.h"
#include "client_options.h"
#include "localio_client_clock.h"
#include "localio/hello_area.h"

namespace {

using localio::client::Client;
using localio::client::CompletionQueue;
using IoOp = Client::IoOp;

static_assert(std::is_same_v<localio_cb, nfs_cb> && std::is_same_v<localio::client::NfsCb, nfs_cb>,
              "localio_cb and the core's NfsCb are libnfs's nfs_cb");

// A libnfs call whose int result is an errno the C API's way
// (LibnfsErrno): Errno<nfs_pread>::Call has nfs_pread's prototype.
template <auto F>
struct Errno;
template <class... A, int (*F)(nfs_context*, A...)>
struct Errno<F> {
  static int Call(nfs_context* nfs, A... a) {
    return localio::client::LibnfsErrno(F(nfs, a...), nfs_get_error(nfs));
  }
};

// The libnfs the core sends through: the one this library links, its
// failures as -errno.
localio::client::LibnfsCalls Libnfs() {
  localio::client::LibnfsCalls c;
  c.get_fd = nfs_get_fd;
  c.get_fh = nfs_get_fh;
  c.get_error = nfs_get_error;
  c.pread = Errno<nfs_pread>::Call;
  c.pwrite = Errno<nfs_pwrite>::Call;
  c.read = Errno<nfs_read>::Call;
  c.write = Errno<nfs_write>::Call;
  c.fsync = Errno<nfs_fsync>::Call;
  c.pread_async = Errno<nfs_pread_async>::Call;
  c.pwrite_async = Errno<nfs_pwrite_async>::Call;
  c.read_async = Errno<nfs_read_async>::Call;
  c.write_async = Errno<nfs_write_async>::Call;
  c.fsync_async = Errno<nfs_fsync_async>::Call;
  c.lseek = Errno<nfs_lseek>::Call;
  c.which_events = nfs_which_events;
  c.service = Errno<nfs_service>::Call;
  c.get_rpc_context = nfs_get_rpc_context;
  c.rpc_init_context = rpc_init_context;
  c.rpc_destroy_context = rpc_destroy_context;
  c.rpc_set_auth = rpc_set_auth;
  c.authsys_create = libnfs_authunix_create;
  return c;
}

const localio::client::LibnfsCalls kLibnfs = Libnfs();

}  // namespace

struct localio_context {
  nfs_context* nfs;
  Client core;
  // Completions of async calls served locally, run by localio_service.
  CompletionQueue completions;
};

namespace {

// libnfs's message for a failed call, kept as ours.
int WireResult(localio_context* ctx, int rc) {
  if (rc < 0) ctx->core.SetError(ctx->core.WireError());
  return rc;
}

// The sentence of the last call on this thread that had no context to keep
// it in (localio_get_error(NULL)); a fixed buffer, so setting it cannot fail.
thread_local char t_no_context_error[192] = "no localio context";

int NoContext(const char* call, const char* why) noexcept {
  std::snprintf(t_no_context_error, sizeof t_no_context_error, "%s: %s", call, why);
  return -EINVAL;
}

// Sets the context's sentence; a message that cannot be allocated leaves
// the last one.
void SetErrorNoThrow(localio_context* ctx, const char* call, const char* why) noexcept {
  try {
    ctx->core.SetError(std::string(call) + ": " + why);
  } catch (...) {
  }
}

// A bad argument: -EINVAL and its sentence (Checked adds the call's name).
int Invalid(localio_context* ctx, const char* why) {
  ctx->core.SetError(why);
  return -EINVAL;
}

// Runs the body of the call named `call` on a context. Every failure is a
// negative errno with the sentence "<call>: <problem>" (localio_get_error):
// a NULL context (the sentence then is the thread's, localio_get_error(NULL)),
// a context without an nfs_context, and whatever the body returns (which
// sets the problem before it returns). No exception leaves the C API (the
// core allocates only for its per-file table and messages: out of memory
// is -ENOMEM, anything else -EIO with its text).
template <class Body>
int Checked(localio_context* ctx, const char* call, Body&& body) noexcept {
  if (ctx == nullptr) return NoContext(call, "no localio context (NULL)");
  if (ctx->nfs == nullptr) {
    SetErrorNoThrow(ctx, call, "the context has no nfs_context (attached with NULL)");
    return -EINVAL;
  }
  try {
    const int rc = body();
    if (rc < 0) ctx->core.SetError(std::string(call) + ": " + ctx->core.error());
    return rc;
  } catch (const std::bad_alloc&) {
    SetErrorNoThrow(ctx, call, "out of memory");
    return -ENOMEM;
  } catch (const std::exception& e) {
    SetErrorNoThrow(ctx, call, e.what());
    return -EIO;
  } catch (...) {
    SetErrorNoThrow(ctx, call, "internal error");
    return -EIO;
  }
}

// The argument checks of the calls on an open file.
constexpr const char* kNoFile = "no file (NULL nfsfh)";
constexpr const char* kNoBuffer = "no buffer (NULL) for a non-zero count";
constexpr const char* kNoCallback = "no callback (NULL)";

// A failed completion's sentence, for localio_get_error in its callback.
void PublishError(nfs_context*, void* arg, const std::string& sentence) {
  try {
    static_cast<localio_context*>(arg)->core.SetError(sentence);
  } catch (...) {
  }
}

}  // namespace

int localio::client::AttachOnClock(struct nfs_context* nfs, const struct localio_config* cfg,
                                   const Clock& clock, struct localio_context** out) noexcept {
  if (out == nullptr) return NoContext("localio_attach", "nowhere to store the context (NULL)");
  *out = nullptr;
  // No exception leaves the C API: out of memory is -ENOMEM.
  try {
    localio::client::OptionDefaults defaults;
    defaults.env_map_path = std::getenv("LOCALIO_MAP");
    defaults.env_server_uid = std::getenv("LOCALIO_SERVER_UID");
    localio::client::ClientOptions options;
    localio::Status st = localio::client::ResolveOptions(cfg, defaults, &options);
    if (nfs == nullptr && st.ok()) st = localio::Status::Error(-EINVAL, "no nfs_context given");
    std::unique_ptr<localio_context> ctx(
        new localio_context{nfs, Client(nfs, kLibnfs, std::move(options), st, clock), {}});
    ctx->core.Attach();
    *out = ctx.release();
    return 0;
  } catch (...) {
    // Allocation is all that can fail here.
    NoContext("localio_attach", "out of memory");
    return -ENOMEM;
  }
}

extern "C" {

void localio_config_init(struct localio_config* cfg) noexcept {
  if (cfg == nullptr) return;
  cfg->map_path = nullptr;
  cfg->path_map = nullptr;
  cfg->disable = 0;
  cfg->log_level = localio::client::kLogError;
  cfg->uid = -1;
  cfg->gid = -1;
  cfg->probe_timeout_ms = LOCALIO_DEFAULT_PROBE_TIMEOUT_MS;
  cfg->server_uid = -1;
}

const char* localio_fallback_reason_name(int reason) noexcept {
  // The hello slot counts each reason for localio-stat, under these names.
  static_assert(localio::kHelloFallbackReasons == LOCALIO_FALLBACK_REASONS);
  if (reason < 0 || reason >= LOCALIO_FALLBACK_REASONS) return "unknown";
  return localio::kHelloFallbackReasonNames[reason];
}

int localio_attach(struct nfs_context* nfs, const struct localio_config* cfg,
                   struct localio_context** out) noexcept {
  return localio::client::AttachOnClock(nfs, cfg, localio::SystemClock(), out);
}

void localio_detach(struct localio_context* ctx) noexcept {
  if (ctx == nullptr) return;
  try {
    // As nfs_destroy_context cancels libnfs's RPCs: each waiting callback
    // runs once, with -EINTR.
    ctx->completions.Cancel(ctx->nfs, PublishError, ctx);
  } catch (...) {
    // Only the sentence could not be made; the rest goes with the context.
  }
  delete ctx;
}

const char* localio_get_error(struct localio_context* ctx) noexcept {
  return ctx == nullptr ? t_no_context_error : ctx->core.error().c_str();
}

int localio_is_local(struct localio_context* ctx) noexcept {
  return ctx != nullptr && ctx->core.local() ? 1 : 0;
}

int localio_open(struct localio_context* ctx, const char* path, int flags,
                 struct nfsfh** fh) noexcept {
  return Checked(ctx, "localio_open", [&]() -> int {
    if (path == nullptr) return Invalid(ctx, "no path (NULL)");
    if (fh == nullptr) return Invalid(ctx, "nowhere to store the file (NULL)");
    const int rc = Errno<nfs_open>::Call(ctx->nfs, path, flags, fh);
    if (rc == 0) ctx->core.Opened(*fh, flags);
    return WireResult(ctx, rc);
  });
}

int localio_pread(struct localio_context* ctx, struct nfsfh* fh, uint64_t offset,
                  uint64_t count, void* buf) noexcept {
  return Checked(ctx, "localio_pread", [&]() -> int {
    if (fh == nullptr) return Invalid(ctx, kNoFile);
    if (buf == nullptr && count > 0) return Invalid(ctx, kNoBuffer);
    return ctx->core.Io({IoOp::kPread, fh, offset, count, buf});
  });
}

int localio_pwrite(struct localio_context* ctx, struct nfsfh* fh, uint64_t offset,
                   uint64_t count, const void* buf) noexcept {
  return Checked(ctx, "localio_pwrite", [&]() -> int {
    if (fh == nullptr) return Invalid(ctx, kNoFile);
    if (buf == nullptr && count > 0) return Invalid(ctx, kNoBuffer);
    return ctx->core.Io({IoOp::kPwrite, fh, offset, count, const_cast<void*>(buf)});
  });
}

int localio_read(struct localio_context* ctx, struct nfsfh* fh, uint64_t count, void* buf) noexcept {
  return Checked(ctx, "localio_read", [&]() -> int {
    if (fh == nullptr) return Invalid(ctx, kNoFile);
    if (buf == nullptr && count > 0) return Invalid(ctx, kNoBuffer);
    return ctx->core.Io({IoOp::kRead, fh, 0, count, buf});
  });
}

int localio_write(struct localio_context* ctx, struct nfsfh* fh, uint64_t count,
                  const void* buf) noexcept {
  return Checked(ctx, "localio_write", [&]() -> int {
    if (fh == nullptr) return Invalid(ctx, kNoFile);
    if (buf == nullptr && count > 0) return Invalid(ctx, kNoBuffer);
    return ctx->core.Io({IoOp::kWrite, fh, 0, count, const_cast<void*>(buf)});
  });
}

int localio_fsync(struct localio_context* ctx, struct nfsfh* fh) noexcept {
  return Checked(ctx, "localio_fsync", [&]() -> int {
    if (fh == nullptr) return Invalid(ctx, kNoFile);
    return ctx->core.Fsync(fh);
  });
}

int localio_pread_async(struct localio_context* ctx, struct nfsfh* fh, uint64_t offset,
                        uint64_t count, localio_cb cb, void* private_data) noexcept {
  return Checked(ctx, "localio_pread_async", [&]() -> int {
    if (fh == nullptr) return Invalid(ctx, kNoFile);
    if (cb == nullptr) return Invalid(ctx, kNoCallback);
    return ctx->core.IoAsync({IoOp::kPread, fh, offset, count, nullptr}, &ctx->completions, cb,
                             private_data);
  });
}

int localio_pwrite_async(struct localio_context* ctx, struct nfsfh* fh, uint64_t offset,
                         uint64_t count, const void* buf, localio_cb cb, void* private_data) noexcept {
  return Checked(ctx, "localio_pwrite_async", [&]() -> int {
    if (fh == nullptr) return Invalid(ctx, kNoFile);
    if (buf == nullptr && count > 0) return Invalid(ctx, kNoBuffer);
    if (cb == nullptr) return Invalid(ctx, kNoCallback);
    return ctx->core.IoAsync({IoOp::kPwrite, fh, offset, count, const_cast<void*>(buf)},
                             &ctx->completions, cb, private_data);
  });
}

int localio_read_async(struct localio_context* ctx, struct nfsfh* fh, uint64_t count, localio_cb cb,
                       void* private_data) noexcept {
  return Checked(ctx, "localio_read_async", [&]() -> int {
    if (fh == nullptr) return Invalid(ctx, kNoFile);
    if (cb == nullptr) return Invalid(ctx, kNoCallback);
    return ctx->core.IoAsync({IoOp::kRead, fh, 0, count, nullptr}, &ctx->completions, cb,
                             private_data);
  });
}

int localio_write_async(struct localio_context* ctx, struct nfsfh* fh, uint64_t count,
                        const void* buf, localio_cb cb, void* private_data) noexcept {
  return Checked(ctx, "localio_write_async", [&]() -> int {
    if (fh == nullptr) return Invalid(ctx, kNoFile);
    if (buf == nullptr && count > 0) return Invalid(ctx, kNoBuffer);
    if (cb == nullptr) return Invalid(ctx, kNoCallback);
    return ctx->core.IoAsync({IoOp::kWrite, fh, 0, count, const_cast<void*>(buf)},
                             &ctx->completions, cb, private_data);
  });
}

int localio_fsync_async(struct localio_context* ctx, struct nfsfh* fh, localio_cb cb,
                        void* private_data) noexcept {
  return Checked(ctx, "localio_fsync_async", [&]() -> int {
    if (fh == nullptr) return Invalid(ctx, kNoFile);
    if (cb == nullptr) return Invalid(ctx, kNoCallback);
    return ctx->core.FsyncAsync(fh, &ctx->completions, cb, private_data);
  });
}

int localio_get_fd(struct localio_context* ctx) noexcept {
  return Checked(ctx, "localio_get_fd", [&]() -> int {
    const int fd = nfs_get_fd(ctx->nfs);
    if (fd < 0) return Invalid(ctx, "the nfs_context has no connection (not mounted)");
    return fd;
  });
}

int localio_which_events(struct localio_context* ctx) noexcept {
  return Checked(ctx, "localio_which_events",
                 [&]() -> int { return ctx->completions.WhichEvents(ctx->nfs, kLibnfs); });
}

int localio_service(struct localio_context* ctx, int revents) noexcept {
  return Checked(ctx, "localio_service", [&]() -> int {
    nfs_context* const nfs = ctx->nfs;
    const int rc = ctx->completions.Service(nfs, revents, kLibnfs, PublishError, ctx);
    // A callback may have detached ctx: then rc is 0 and ctx is not touched.
    if (rc < 0) WireResult(ctx, rc);
    return rc;
  });
}

int localio_fstat64(struct localio_context* ctx, struct nfsfh* fh, struct nfs_stat_64* st) noexcept {
  return Checked(ctx, "localio_fstat64", [&]() -> int {
    if (fh == nullptr) return Invalid(ctx, kNoFile);
    if (st == nullptr) return Invalid(ctx, "nowhere to store the attributes (NULL)");
    ctx->core.BeforeAttributes();
    return WireResult(ctx, Errno<nfs_fstat64>::Call(ctx->nfs, fh, st));
  });
}

int localio_close(struct localio_context* ctx, struct nfsfh* fh) noexcept {
  return Checked(ctx, "localio_close", [&]() -> int {
    if (fh == nullptr) return Invalid(ctx, kNoFile);
    const int flushed = ctx->core.Closing(fh);
    const int rc = WireResult(ctx, Errno<nfs_close>::Call(ctx->nfs, fh));
    if (flushed < 0) {
      ctx->core.SetError(std::string("flushing the local file failed: ") + strerror(-flushed));
      return flushed;
    }
    return rc;
  });
}

int localio_get_counters(struct localio_context* ctx, struct localio_counters* out) noexcept {
  return Checked(ctx, "localio_get_counters", [&]() -> int {
    if (out == nullptr) return Invalid(ctx, "nowhere to store the counters (NULL)");
    *out = ctx->core.counters();
    return 0;
  });
}

}  // extern "C"
