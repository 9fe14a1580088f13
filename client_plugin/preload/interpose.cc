// SPDX-License-Identifier: LGPL-3.0-or-later
// The shim's wrappers of the libnfs functions liblocalio_preload.so defines
// in front of libnfs (entry_points.h routes the exported names here when
// the bypass may be used, runtime.h). Each asks the core Client (client.h)
// first and sends what it declines to the real function. libnfs 4.0 and
// 5.0 funnel their calls through the PLT (docs/DESIGN.md, checked in the
// code of libnfs.so.13 and libnfs.so.14):
//   nfs_mount -> nfs_mount_async; nfs_open, nfs_open_async, nfs_open2 ->
//   nfs_open2_async; nfs_creat, nfs_creat_async, nfs_create ->
//   nfs_create_async; nfs_close -> nfs_close_async; every sync I/O call ->
//   its *_async.
// So the funnel points alone see every mount, open, create and close, each
// once. The sync I/O calls are wrapped too: a bypassed call returns at once,
// while libnfs's own wait loop would never deliver a queued completion.
// When a sync wrapper falls back to the real call, that call reaches the
// async wrapper from libnfs's own code, which never tries the bypass a
// second time (Bypassing).
//
// The calls that read a file's attributes from the server (the stat family,
// an lseek from the end, opendir's READDIRPLUS; their sync forms funnel into
// these *_async) first
// let the core tell the server of the files written through the bypass,
// so that it does not answer from a stale cache (docs/DESIGN.md,
// "Coherence").
//
// The I/O calls themselves are the core's (Client::Io, IoAsync, Fsync,
// FsyncAsync: the local file, else libnfs, then the bookkeeping), as for
// the C API. Bypassed async calls never complete inside the *_async call:
// their completions wait in the context's queue (completions.h) until the
// application's nfs_service(); nfs_which_events() adds POLLOUT while any
// wait, so a poll on nfs_get_fd() returns at once.
#include <fcntl.h>
#include <sys/time.h>
#include <unistd.h>

#include <nfsc/libnfs.h>  // after sys/time.h, which libnfs 4.0's header needs

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <new>
#include <string>
#include <utility>

#include "client.h"
#include "client_options.h"
#include "context_registry.h"
#include "entry_points.h"
#include "ready_contexts.h"
#include "runtime.h"

namespace {

using localio::Status;
using localio::client::Client;
using localio::client::CompletionQueue;
using localio::preload::Contexts;
using localio::preload::ContextState;
using localio::preload::GetRuntime;
using localio::preload::NfsCb;
using localio::preload::RealLibnfs;

const RealLibnfs& Real() { return GetRuntime().real; }

// The context's state when a Client is attached to it, else nullptr.
ContextState* Attached(nfs_context* nfs) {
  ContextState* s = Contexts().Find(nfs);
  return s != nullptr && s->client ? s : nullptr;
}

// As Attached, and the call may try the bypass: it does not come from
// libnfs's own code. libnfs makes its sync calls of its *_async through the
// PLT, so they reach the wrappers: the real sync call the core falls back
// to, or a sync call the program made past the shim (through a dlopen
// handle of libnfs). Such a call waits for its reply in libnfs's own loop,
// which would never deliver a completion queued by the shim: it goes to
// libnfs as it came. `caller` is the wrapper's return address (the entry
// points jump, so it is the caller's).
ContextState* Bypassing(nfs_context* nfs, const void* caller) {
  return GetRuntime().libnfs.Contains(caller) ? nullptr : Attached(nfs);
}

void SetError(nfs_context* nfs, const std::string& text) {
  if (Real().set_error != nullptr) Real().set_error(nfs, "%s", text.c_str());
}

// A completion's sentence becomes libnfs's error text (CompletionQueue).
void PublishError(nfs_context* nfs, void*, const std::string& sentence) { SetError(nfs, sentence); }

// A call the core handled: on failure its sentence becomes libnfs's error
// text (for an RPC that failed, the same text libnfs set). Returns rc.
int Reported(nfs_context* nfs, const Client& client, int rc) {
  if (rc < 0) SetError(nfs, client.error());
  return rc;
}

// After a successful mount: a Client for the context, with the handshake.
void AttachClient(nfs_context* nfs) {
  const auto& rt = GetRuntime();
  ContextState* s = Contexts().FindOrCreate(nfs);
  const localio_config cfg = rt.env.ToConfig();
  const localio::client::OptionDefaults defaults;
  localio::client::ClientOptions options;
  const Status st = localio::client::ResolveOptions(&cfg, defaults, &options);
  s->client.reset();  // a remount: flush what the old session opened
  s->client = std::make_unique<Client>(nfs, Real(), std::move(options), st);
  s->client->Attach();
}

// Callback wrappers: the application's callback and what to do first.
struct MountCall {
  NfsCb cb;
  void* private_data;
};

void MountDone(int status, nfs_context* nfs, void* data, void* private_data) {
  const MountCall call = *static_cast<MountCall*>(private_data);
  delete static_cast<MountCall*>(private_data);
  if (status == 0) {
    try {
      AttachClient(nfs);
    } catch (const std::bad_alloc&) {
      if (ContextState* s = Contexts().Find(nfs)) s->client.reset();
    }
  }
  call.cb(status, nfs, data, call.private_data);
}

struct OpenCall {
  NfsCb cb;
  void* private_data;
  int flags;
};

void OpenDone(int status, nfs_context* nfs, void* data, void* private_data) {
  const OpenCall call = *static_cast<OpenCall*>(private_data);
  delete static_cast<OpenCall*>(private_data);
  if (status == 0 && data != nullptr) {
    if (ContextState* s = Attached(nfs)) {
      try {
        s->client->Opened(static_cast<nfsfh*>(data), call.flags);
      } catch (const std::bad_alloc&) {
        // Unrecorded flags mean "unknown": the core then opens the widest
        // access the file needs, which the local open still checks.
      }
    }
  }
  call.cb(status, nfs, data, call.private_data);
}

struct CloseCall {
  NfsCb cb;
  void* private_data;
  int flush_error;
  std::string text;
};

void CloseDone(int status, nfs_context* nfs, void* data, void* private_data) {
  CloseCall* call = static_cast<CloseCall*>(private_data);
  if (status >= 0) {
    // The close went through, but data written through the bypass was not
    // flushed: report that, as a failed close(2) would.
    status = call->flush_error;
    call->text = std::string("localio: local flush before close failed: ") +
                 std::strerror(-call->flush_error);
    SetError(nfs, call->text);
    data = const_cast<char*>(call->text.c_str());
  }
  call->cb(status, nfs, data, call->private_data);
  delete call;
}

int OpenLike(int (*real)(nfs_context*, const char*, int, int, NfsCb, void*), nfs_context* nfs,
             const char* path, int flags, int mode, NfsCb cb, void* private_data) {
  if (Attached(nfs) == nullptr) return real(nfs, path, flags, mode, cb, private_data);
  auto* call = new (std::nothrow) OpenCall{cb, private_data, flags};
  if (call == nullptr) return real(nfs, path, flags, mode, cb, private_data);
  const int rc = real(nfs, path, flags, mode, OpenDone, call);
  if (rc < 0) delete call;
  return rc;
}

// As Reported, for an async call: one that queued its completion lets the
// poll family answer for the context's fd from user space until it is
// delivered (poll_interpose.cc).
int ReportedAsync(nfs_context* nfs, ContextState* s, int rc) {
  if (rc == 0 && !s->completions.empty()) localio::preload::t_ready_contexts.Add(nfs);
  return Reported(nfs, *s->client, rc);
}

// No C++ exception reaches the program: a wrapper that fails inside (out
// of memory) returns -ENOMEM with libnfs's error text set, as libnfs does.
template <class Body>
int Shielded(nfs_context* nfs, const char* call, Body&& body) noexcept {
  try {
    return body();
  } catch (...) {
    if (Real().set_error != nullptr) Real().set_error(nfs, "localio: %s: out of memory", call);
    return -ENOMEM;
  }
}

}  // namespace

// The wrappers carry libnfs's names in a namespace of their own. Those that
// read their return address (Bypassing) are never inlined.
namespace localio::preload::wrap {

int nfs_mount_async(nfs_context* nfs, const char* server, const char* exportname, nfs_cb cb,
                    void* private_data) noexcept {
  return Shielded(nfs, "nfs_mount_async", [&]() -> int {
    const auto& rt = GetRuntime();
    auto* call = new (std::nothrow) MountCall{cb, private_data};
    if (call == nullptr) return rt.real.mount_async(nfs, server, exportname, cb, private_data);
    const int rc = rt.real.mount_async(nfs, server, exportname, MountDone, call);
    if (rc < 0) delete call;
    return rc;
  });
}

void nfs_destroy_context(nfs_context* nfs) noexcept {
  localio::preload::t_ready_contexts.Remove(nfs);
  try {
    if (std::unique_ptr<ContextState> s = Contexts().Remove(nfs)) {
      // As libnfs cancels the RPCs in flight: every waiting callback runs
      // once, with -EINTR.
      s->completions.Cancel(nfs, PublishError, nullptr);
      s.reset();  // flushes and closes local files, frees the hello slot
    }
  } catch (...) {
    // The context goes anyway; what is left of ours is freed with it.
  }
  Real().destroy_context(nfs);
}

int nfs_open2_async(nfs_context* nfs, const char* path, int flags, int mode, nfs_cb cb,
                    void* private_data) noexcept {
  return Shielded(nfs, "nfs_open2_async", [&]() -> int {
    return OpenLike(Real().open2_async, nfs, path, flags, mode, cb, private_data);
  });
}

int nfs_create_async(nfs_context* nfs, const char* path, int flags, int mode, nfs_cb cb,
                     void* private_data) noexcept {
  return Shielded(nfs, "nfs_create_async", [&]() -> int {
    return OpenLike(Real().create_async, nfs, path, flags, mode, cb, private_data);
  });
}

int nfs_close_async(nfs_context* nfs, nfsfh* fh, nfs_cb cb, void* private_data) noexcept {
  return Shielded(nfs, "nfs_close_async", [&]() -> int {
    ContextState* s = Attached(nfs);
    const int flushed = s == nullptr ? 0 : s->client->Closing(fh);
    if (flushed == 0) return Real().close_async(nfs, fh, cb, private_data);
    CloseCall* call = nullptr;
    try {
      call = new CloseCall{cb, private_data, flushed, {}};
    } catch (const std::bad_alloc&) {
      return Real().close_async(nfs, fh, cb, private_data);
    }
    const int rc = Real().close_async(nfs, fh, CloseDone, call);
    if (rc < 0) delete call;
    return rc;
  });
}

// The sync I/O calls: the core's when attached (the bypass, else the real
// call, whose *_async comes back from libnfs's code: Bypassing), else the
// real call.
[[gnu::noinline]] int nfs_pread(nfs_context* nfs, nfsfh* fh, uint64_t offset, uint64_t count,
                                void* buf) noexcept {
  const void* caller = __builtin_return_address(0);
  return Shielded(nfs, "nfs_pread", [&]() -> int {
    if (ContextState* s = Bypassing(nfs, caller))
      return Reported(nfs, *s->client,
                      s->client->Io({Client::IoOp::kPread, fh, offset, count, buf}));
    return Real().pread(nfs, fh, offset, count, buf);
  });
}

[[gnu::noinline]] int nfs_pwrite(nfs_context* nfs, nfsfh* fh, uint64_t offset, uint64_t count,
                                 const void* buf) noexcept {
  const void* caller = __builtin_return_address(0);
  return Shielded(nfs, "nfs_pwrite", [&]() -> int {
    if (ContextState* s = Bypassing(nfs, caller))
      return Reported(
          nfs, *s->client,
          s->client->Io({Client::IoOp::kPwrite, fh, offset, count, const_cast<void*>(buf)}));
    return Real().pwrite(nfs, fh, offset, count, buf);
  });
}

[[gnu::noinline]] int nfs_read(nfs_context* nfs, nfsfh* fh, uint64_t count, void* buf) noexcept {
  const void* caller = __builtin_return_address(0);
  return Shielded(nfs, "nfs_read", [&]() -> int {
    if (ContextState* s = Bypassing(nfs, caller))
      return Reported(nfs, *s->client, s->client->Io({Client::IoOp::kRead, fh, 0, count, buf}));
    return Real().read(nfs, fh, count, buf);
  });
}

[[gnu::noinline]] int nfs_write(nfs_context* nfs, nfsfh* fh, uint64_t count,
                                const void* buf) noexcept {
  const void* caller = __builtin_return_address(0);
  return Shielded(nfs, "nfs_write", [&]() -> int {
    if (ContextState* s = Bypassing(nfs, caller))
      return Reported(nfs, *s->client,
                      s->client->Io({Client::IoOp::kWrite, fh, 0, count, const_cast<void*>(buf)}));
    return Real().write(nfs, fh, count, buf);
  });
}

[[gnu::noinline]] int nfs_fsync(nfs_context* nfs, nfsfh* fh) noexcept {
  const void* caller = __builtin_return_address(0);
  return Shielded(nfs, "nfs_fsync", [&]() -> int {
    if (ContextState* s = Bypassing(nfs, caller))
      return Reported(nfs, *s->client, s->client->Fsync(fh));
    return Real().fsync(nfs, fh);
  });
}

// The async I/O calls: the core's when attached, except when libnfs's own
// sync call makes them (Bypassing: the core's fallback did the bookkeeping),
// else the real call.
[[gnu::noinline]] int nfs_pread_async(nfs_context* nfs, nfsfh* fh, uint64_t offset, uint64_t count,
                                      nfs_cb cb, void* private_data) noexcept {
  const void* caller = __builtin_return_address(0);
  return Shielded(nfs, "nfs_pread_async", [&]() -> int {
    if (ContextState* s = Bypassing(nfs, caller))
      return ReportedAsync(nfs, s,
                      s->client->IoAsync({Client::IoOp::kPread, fh, offset, count, nullptr},
                                         &s->completions, cb, private_data));
    return Real().pread_async(nfs, fh, offset, count, cb, private_data);
  });
}

[[gnu::noinline]] int nfs_read_async(nfs_context* nfs, nfsfh* fh, uint64_t count, nfs_cb cb,
                                     void* private_data) noexcept {
  const void* caller = __builtin_return_address(0);
  return Shielded(nfs, "nfs_read_async", [&]() -> int {
    if (ContextState* s = Bypassing(nfs, caller))
      return ReportedAsync(nfs, s,
                      s->client->IoAsync({Client::IoOp::kRead, fh, 0, count, nullptr},
                                         &s->completions, cb, private_data));
    return Real().read_async(nfs, fh, count, cb, private_data);
  });
}

[[gnu::noinline]] int nfs_pwrite_async(nfs_context* nfs, nfsfh* fh, uint64_t offset, uint64_t count,
                                       const void* buf, nfs_cb cb, void* private_data) noexcept {
  const void* caller = __builtin_return_address(0);
  return Shielded(nfs, "nfs_pwrite_async", [&]() -> int {
    if (ContextState* s = Bypassing(nfs, caller))
      return ReportedAsync(
          nfs, s,
          s->client->IoAsync({Client::IoOp::kPwrite, fh, offset, count, const_cast<void*>(buf)},
                             &s->completions, cb, private_data));
    return Real().pwrite_async(nfs, fh, offset, count, buf, cb, private_data);
  });
}

[[gnu::noinline]] int nfs_write_async(nfs_context* nfs, nfsfh* fh, uint64_t count, const void* buf,
                                      nfs_cb cb, void* private_data) noexcept {
  const void* caller = __builtin_return_address(0);
  return Shielded(nfs, "nfs_write_async", [&]() -> int {
    if (ContextState* s = Bypassing(nfs, caller))
      return ReportedAsync(
          nfs, s,
          s->client->IoAsync({Client::IoOp::kWrite, fh, 0, count, const_cast<void*>(buf)},
                             &s->completions, cb, private_data));
    return Real().write_async(nfs, fh, count, buf, cb, private_data);
  });
}

[[gnu::noinline]] int nfs_fsync_async(nfs_context* nfs, nfsfh* fh, nfs_cb cb,
                                      void* private_data) noexcept {
  const void* caller = __builtin_return_address(0);
  return Shielded(nfs, "nfs_fsync_async", [&]() -> int {
    if (ContextState* s = Bypassing(nfs, caller))
      return ReportedAsync(nfs, s,
                      s->client->FsyncAsync(fh, &s->completions, cb, private_data));
    return Real().fsync_async(nfs, fh, cb, private_data);
  });
}

// The server is told of bypassed writes before it is asked for attributes.
template <class Call>
int AfterAnnouncing(nfs_context* nfs, const char* name, Call&& call) noexcept {
  return Shielded(nfs, name, [&]() -> int {
    if (ContextState* s = Attached(nfs)) s->client->BeforeAttributes();
    return call();
  });
}

int nfs_stat_async(nfs_context* nfs, const char* path, nfs_cb cb, void* private_data) noexcept {
  return AfterAnnouncing(nfs, "nfs_stat_async",
                         [&] { return Real().stat_async(nfs, path, cb, private_data); });
}

int nfs_stat64_async(nfs_context* nfs, const char* path, nfs_cb cb, void* private_data) noexcept {
  return AfterAnnouncing(nfs, "nfs_stat64_async",
                         [&] { return Real().stat64_async(nfs, path, cb, private_data); });
}

int nfs_lstat64_async(nfs_context* nfs, const char* path, nfs_cb cb, void* private_data) noexcept {
  return AfterAnnouncing(nfs, "nfs_lstat64_async",
                         [&] { return Real().lstat64_async(nfs, path, cb, private_data); });
}

int nfs_fstat_async(nfs_context* nfs, nfsfh* fh, nfs_cb cb, void* private_data) noexcept {
  return AfterAnnouncing(nfs, "nfs_fstat_async",
                         [&] { return Real().fstat_async(nfs, fh, cb, private_data); });
}

int nfs_fstat64_async(nfs_context* nfs, nfsfh* fh, nfs_cb cb, void* private_data) noexcept {
  return AfterAnnouncing(nfs, "nfs_fstat64_async",
                         [&] { return Real().fstat64_async(nfs, fh, cb, private_data); });
}

// Only SEEK_END asks the server (libnfs completes the others at once; the
// shim's own offset moves are SEEK_SET).
int nfs_lseek_async(nfs_context* nfs, nfsfh* fh, int64_t offset, int whence, nfs_cb cb,
                    void* private_data) noexcept {
  if (whence != SEEK_END) return Real().lseek_async(nfs, fh, offset, whence, cb, private_data);
  return AfterAnnouncing(nfs, "nfs_lseek_async", [&] {
    return Real().lseek_async(nfs, fh, offset, whence, cb, private_data);
  });
}

int nfs_opendir_async(nfs_context* nfs, const char* path, nfs_cb cb, void* private_data) noexcept {
  return AfterAnnouncing(nfs, "nfs_opendir_async",
                         [&] { return Real().opendir_async(nfs, path, cb, private_data); });
}

int nfs_which_events(nfs_context* nfs) noexcept {
  return Shielded(nfs, "nfs_which_events", [&]() -> int {
    if (ContextState* s = Contexts().Find(nfs)) return s->completions.WhichEvents(nfs, Real());
    return Real().which_events(nfs);
  });
}

int nfs_service(nfs_context* nfs, int revents) noexcept {
  return Shielded(nfs, "nfs_service", [&]() -> int {
    if (ContextState* s = Contexts().Find(nfs))
      return s->completions.Service(nfs, revents, Real(), PublishError, nullptr);
    return Real().service(nfs, revents);
  });
}

}  // namespace localio::preload::wrap

namespace localio::preload {

// Every wrapper is noexcept: the program's C frames never see an exception.
template <class R, class... A>
constexpr bool IsNoexcept(R (*)(A...) noexcept) {
  return true;
}
template <class R, class... A>
constexpr bool IsNoexcept(R (*)(A...)) {
  return false;
}
#define LOCALIO_WRAPPER(index, name) \
  static_assert(IsNoexcept(&wrap::name), #name " must be noexcept");
LOCALIO_PRELOAD_ENTRY_POINTS(LOCALIO_WRAPPER)
#undef LOCALIO_WRAPPER

void* const kWrappers[] = {
#define LOCALIO_WRAPPER(index, name) reinterpret_cast<void*>(&wrap::name),
    LOCALIO_PRELOAD_ENTRY_POINTS(LOCALIO_WRAPPER)
#undef LOCALIO_WRAPPER
};
static_assert(sizeof(kWrappers) / sizeof(kWrappers[0]) == LOCALIO_PRELOAD_ENTRY_COUNT);

}  // namespace localio::preload
