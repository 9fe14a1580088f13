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
#include <memory>
#include <new>

#include "client.h"
#include "client_options.h"

struct localio_context {
  nfs_context* nfs;
  localio::client::Client core;
};

namespace {

using localio::client::Client;

// libnfs's message for a failed call, kept as ours.
int WireResult(localio_context* ctx, int rc) {
  if (rc < 0) {
    const char* why = nfs_get_error(ctx->nfs);
    ctx->core.SetError(why != nullptr ? why : "libnfs call failed");
  }
  return rc;
}

// The same for a read or write of `fh` the core sent to libnfs: success
// tells the core the server still honours this open.
int WireIoResult(localio_context* ctx, nfsfh* fh, int rc) {
  if (rc >= 0) ctx->core.ServedByRpc(fh);
  return WireResult(ctx, rc);
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

}  // namespace

extern "C" {

void localio_config_init(struct localio_config* cfg) noexcept {
  if (cfg == nullptr) return;
  cfg->map_path = nullptr;
  cfg->path_map = nullptr;
  cfg->disable = 0;
  cfg->log_level = localio::client::kLogError;
  cfg->uid = -1;
  cfg->gid = -1;
  cfg->probe_timeout_ms = localio::client::kDefaultProbeTimeoutMs;
}

const char* localio_fallback_reason_name(int reason) noexcept {
  static const char* const kNames[LOCALIO_FALLBACK_REASONS] = {
      "not_local", "not_in_map", "open",           "identity",
      "credentials", "read_only", "server_changed", "unsupported"};
  if (reason < 0 || reason >= LOCALIO_FALLBACK_REASONS) return "unknown";
  return kNames[reason];
}

int localio_attach(struct nfs_context* nfs, const struct localio_config* cfg,
                   struct localio_context** out) noexcept {
  if (out == nullptr) return NoContext("localio_attach", "nowhere to store the context (NULL)");
  *out = nullptr;
  // No exception leaves the C API: out of memory is -ENOMEM.
  try {
    localio::client::OptionDefaults defaults;
    defaults.env_map_path = std::getenv("LOCALIO_MAP");
    // libnfs 4.0 sends AUTH_SYS with the real uid/gid (authunix default).
    defaults.uid = static_cast<uint32_t>(getuid());
    defaults.gid = static_cast<uint32_t>(getgid());
    localio::client::ClientOptions options;
    localio::Status st = localio::client::ResolveOptions(cfg, defaults, &options);
    if (nfs == nullptr && st.ok()) st = localio::Status::Error(-EINVAL, "no nfs_context given");
    std::unique_ptr<localio_context> ctx(
        new localio_context{nfs, Client(nfs, {nfs_get_fd, nfs_get_fh}, std::move(options), st)});
    ctx->core.Attach();
    *out = ctx.release();
    return 0;
  } catch (...) {
    // Allocation is all that can fail here.
    NoContext("localio_attach", "out of memory");
    return -ENOMEM;
  }
}

void localio_detach(struct localio_context* ctx) noexcept { delete ctx; }

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
    const int rc = nfs_open(ctx->nfs, path, flags, fh);
    if (rc == 0) ctx->core.Opened(*fh, flags);
    return WireResult(ctx, rc);
  });
}

int localio_pread(struct localio_context* ctx, struct nfsfh* fh, uint64_t offset,
                  uint64_t count, void* buf) noexcept {
  return Checked(ctx, "localio_pread", [&]() -> int {
    if (fh == nullptr) return Invalid(ctx, kNoFile);
    if (buf == nullptr && count > 0) return Invalid(ctx, kNoBuffer);
    int64_t result;
    if (ctx->core.Read(fh, offset, count, buf, &result)) return static_cast<int>(result);
    return WireIoResult(ctx, fh, nfs_pread(ctx->nfs, fh, offset, count, buf));
  });
}

int localio_pwrite(struct localio_context* ctx, struct nfsfh* fh, uint64_t offset,
                   uint64_t count, const void* buf) noexcept {
  return Checked(ctx, "localio_pwrite", [&]() -> int {
    if (fh == nullptr) return Invalid(ctx, kNoFile);
    if (buf == nullptr && count > 0) return Invalid(ctx, kNoBuffer);
    int64_t result;
    if (ctx->core.Write(fh, offset, count, buf, &result)) return static_cast<int>(result);
    ctx->core.WroteByRpc(fh);
    return WireIoResult(ctx, fh, nfs_pwrite(ctx->nfs, fh, offset, count, buf));
  });
}

int localio_read(struct localio_context* ctx, struct nfsfh* fh, uint64_t count, void* buf) noexcept {
  return Checked(ctx, "localio_read", [&]() -> int {
    if (fh == nullptr) return Invalid(ctx, kNoFile);
    if (buf == nullptr && count > 0) return Invalid(ctx, kNoBuffer);
    // libnfs owns the current offset; SEEK_CUR and SEEK_SET complete inline.
    uint64_t offset = 0;
    int rc = nfs_lseek(ctx->nfs, fh, 0, SEEK_CUR, &offset);
    if (rc < 0) return WireResult(ctx, rc);
    int64_t result;
    if (!ctx->core.Read(fh, offset, count, buf, &result))
      return WireIoResult(ctx, fh, nfs_read(ctx->nfs, fh, count, buf));
    if (result > 0) {
      rc = nfs_lseek(ctx->nfs, fh, static_cast<int64_t>(offset + static_cast<uint64_t>(result)),
                     SEEK_SET, nullptr);
      if (rc < 0) return WireResult(ctx, rc);
    }
    return static_cast<int>(result);
  });
}

int localio_write(struct localio_context* ctx, struct nfsfh* fh, uint64_t count,
                  const void* buf) noexcept {
  return Checked(ctx, "localio_write", [&]() -> int {
    if (fh == nullptr) return Invalid(ctx, kNoFile);
    if (buf == nullptr && count > 0) return Invalid(ctx, kNoBuffer);
    uint64_t offset = 0;
    int rc = nfs_lseek(ctx->nfs, fh, 0, SEEK_CUR, &offset);
    if (rc < 0) return WireResult(ctx, rc);
    int64_t result;
    if (!ctx->core.Write(fh, offset, count, buf, &result)) {
      ctx->core.WroteByRpc(fh);
      return WireIoResult(ctx, fh, nfs_write(ctx->nfs, fh, count, buf));
    }
    if (result > 0) {
      rc = nfs_lseek(ctx->nfs, fh, static_cast<int64_t>(offset + static_cast<uint64_t>(result)),
                     SEEK_SET, nullptr);
      if (rc < 0) return WireResult(ctx, rc);
    }
    return static_cast<int>(result);
  });
}

int localio_fsync(struct localio_context* ctx, struct nfsfh* fh) noexcept {
  return Checked(ctx, "localio_fsync", [&]() -> int {
    if (fh == nullptr) return Invalid(ctx, kNoFile);
    bool commit_by_rpc = false;
    const int rc = ctx->core.Fsync(fh, &commit_by_rpc);
    if (rc < 0) {
      ctx->core.SetError(std::string("local fsync failed: ") + strerror(-rc));
      return rc;
    }
    return commit_by_rpc ? WireResult(ctx, nfs_fsync(ctx->nfs, fh)) : 0;
  });
}

int localio_fstat64(struct localio_context* ctx, struct nfsfh* fh, struct nfs_stat_64* st) noexcept {
  return Checked(ctx, "localio_fstat64", [&]() -> int {
    if (fh == nullptr) return Invalid(ctx, kNoFile);
    if (st == nullptr) return Invalid(ctx, "nowhere to store the attributes (NULL)");
    ctx->core.BeforeAttributes();
    return WireResult(ctx, nfs_fstat64(ctx->nfs, fh, st));
  });
}

int localio_close(struct localio_context* ctx, struct nfsfh* fh) noexcept {
  return Checked(ctx, "localio_close", [&]() -> int {
    if (fh == nullptr) return Invalid(ctx, kNoFile);
    const int flushed = ctx->core.Closing(fh);
    const int rc = WireResult(ctx, nfs_close(ctx->nfs, fh));
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
