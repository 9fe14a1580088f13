// The C API (localio_client.h) over the core (client.h): every I/O asks the
// core first and sends what it declines through libnfs.
#include "localio/localio_client.h"

#include <fcntl.h>
#include <sys/time.h>
#include <unistd.h>

#include <nfsc/libnfs.h>
#include <nfsc/libnfs-raw.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <iterator>
#include <memory>
#include <new>

#include "client.h"
#include "client_options.h"
#include "localio/hello_area.h"

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

// Sets the call's sentence; a message that cannot be allocated leaves the
// last one.
void SetErrorNoThrow(localio_context* ctx, const char* why) noexcept {
  try {
    ctx->core.SetError(why);
  } catch (...) {
  }
}

// Runs a call's body on a context; no exception leaves the C API (the core
// allocates only for its per-file table and messages: out of memory is
// -ENOMEM, anything else -EIO with its text).
template <class Body>
int NoThrow(localio_context* ctx, Body&& body) noexcept {
  if (ctx == nullptr || ctx->nfs == nullptr) return -EINVAL;
  try {
    return body();
  } catch (const std::bad_alloc&) {
    SetErrorNoThrow(ctx, "out of memory");
    return -ENOMEM;
  } catch (const std::exception& e) {
    SetErrorNoThrow(ctx, e.what());
    return -EIO;
  } catch (...) {
    SetErrorNoThrow(ctx, "internal error");
    return -EIO;
  }
}

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
  cfg->probe_timeout_ms = LOCALIO_DEFAULT_PROBE_TIMEOUT_MS;
}

const char* localio_fallback_reason_name(int reason) noexcept {
  static const char* const kNames[] = {
      "not_local", "not_in_map", "open",           "identity",
      "credentials", "read_only", "server_changed", "unsupported"};
  static_assert(std::size(kNames) == LOCALIO_FALLBACK_REASONS, "a name for every reason");
  // The hello slot counts each reason for localio-stat.
  static_assert(localio::kHelloFallbackReasons == LOCALIO_FALLBACK_REASONS);
  if (reason < 0 || reason >= LOCALIO_FALLBACK_REASONS) return "unknown";
  return kNames[reason];
}

int localio_attach(struct nfs_context* nfs, const struct localio_config* cfg,
                   struct localio_context** out) noexcept {
  if (out == nullptr) return -EINVAL;
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
    return -ENOMEM;  // allocation is all that can fail here
  }
}

void localio_detach(struct localio_context* ctx) noexcept { delete ctx; }

const char* localio_get_error(struct localio_context* ctx) noexcept {
  return ctx == nullptr ? "no localio context" : ctx->core.error().c_str();
}

int localio_is_local(struct localio_context* ctx) noexcept {
  return ctx != nullptr && ctx->core.local() ? 1 : 0;
}

int localio_open(struct localio_context* ctx, const char* path, int flags,
                 struct nfsfh** fh) noexcept {
  return NoThrow(ctx, [&]() -> int {
    const int rc = nfs_open(ctx->nfs, path, flags, fh);
    if (rc == 0) ctx->core.Opened(*fh, flags);
    return WireResult(ctx, rc);
  });
}

int localio_pread(struct localio_context* ctx, struct nfsfh* fh, uint64_t offset,
                  uint64_t count, void* buf) noexcept {
  return NoThrow(ctx, [&]() -> int {
    int64_t result;
    if (ctx->core.Read(fh, offset, count, buf, &result)) return static_cast<int>(result);
    return WireIoResult(ctx, fh, nfs_pread(ctx->nfs, fh, offset, count, buf));
  });
}

int localio_pwrite(struct localio_context* ctx, struct nfsfh* fh, uint64_t offset,
                   uint64_t count, const void* buf) noexcept {
  return NoThrow(ctx, [&]() -> int {
    int64_t result;
    if (ctx->core.Write(fh, offset, count, buf, &result)) return static_cast<int>(result);
    ctx->core.WroteByRpc(fh);
    return WireIoResult(ctx, fh, nfs_pwrite(ctx->nfs, fh, offset, count, buf));
  });
}

int localio_read(struct localio_context* ctx, struct nfsfh* fh, uint64_t count, void* buf) noexcept {
  return NoThrow(ctx, [&]() -> int {
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
  return NoThrow(ctx, [&]() -> int {
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
  return NoThrow(ctx, [&]() -> int {
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
  return NoThrow(ctx, [&]() -> int {
    ctx->core.BeforeAttributes();
    return WireResult(ctx, nfs_fstat64(ctx->nfs, fh, st));
  });
}

int localio_close(struct localio_context* ctx, struct nfsfh* fh) noexcept {
  return NoThrow(ctx, [&]() -> int {
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
  if (ctx == nullptr || out == nullptr) return -EINVAL;
  *out = ctx->core.counters();
  return 0;
}

}  // extern "C"
