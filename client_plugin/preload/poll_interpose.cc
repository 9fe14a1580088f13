// SPDX-License-Identifier: LGPL-3.0-or-later
// poll, ppoll and select in front of glibc's: when the set holds the socket
// of a context (nfs_get_fd) on which this thread's bypassed async calls
// left completions waiting, and asks POLLOUT of it (as nfs_which_events
// does while completions wait, completions.h), the call returns at once
// with that fd writable, from user space: the kernel would say the same of
// a writable socket, after a system call of ~0.5 us and the wake-up of the
// event loop around it. The kernel is still asked, with a zero timeout,
// when the set holds other descriptors, when such a context has RPCs in
// flight (their replies must be seen) or when ppoll is given a signal mask
// (pending signals must be delivered). Everything else goes to glibc as
// it came: a call from a thread with no completion waiting costs one
// thread-local load (ready_contexts.h). The technique is the one of
// userspace network stacks (OpenOnload, libvma); docs/DESIGN.md, "The
// event loop", says what it does not cover (epoll, a context's fd polled
// from another thread).
#include <dlfcn.h>
#include <poll.h>
#include <signal.h>
#include <sys/select.h>
#include <time.h>

#include "context_registry.h"
#include "ready_contexts.h"
#include "runtime.h"

namespace localio::preload {

constinit thread_local ReadyContexts t_ready_contexts [[gnu::tls_model("initial-exec")]]{};

namespace {

struct Libc {
  int (*poll)(pollfd*, nfds_t, int);
  int (*ppoll)(pollfd*, nfds_t, const timespec*, const sigset_t*);
  int (*select)(int, fd_set*, fd_set*, fd_set*, timeval*);
  int (*poll_chk)(pollfd*, nfds_t, int, size_t);
  int (*ppoll_chk)(pollfd*, nfds_t, const timespec*, const sigset_t*, size_t);
};

Libc Resolve() {
  Libc l{};
  l.poll = reinterpret_cast<decltype(l.poll)>(dlsym(RTLD_NEXT, "poll"));
  l.ppoll = reinterpret_cast<decltype(l.ppoll)>(dlsym(RTLD_NEXT, "ppoll"));
  l.select = reinterpret_cast<decltype(l.select)>(dlsym(RTLD_NEXT, "select"));
  l.poll_chk = reinterpret_cast<decltype(l.poll_chk)>(dlsym(RTLD_NEXT, "__poll_chk"));
  l.ppoll_chk = reinterpret_cast<decltype(l.ppoll_chk)>(dlsym(RTLD_NEXT, "__ppoll_chk"));
  return l;
}

// Resolved when the shim is loaded, before the program's code runs, so
// that a poll from a signal handler never meets dlsym; a poll from a
// library's constructor that runs before the shim's resolves it then.
Libc g_libc;
[[gnu::constructor]] void ResolveAtLoad() { g_libc = Resolve(); }

const Libc& Glibc() {
  if (__builtin_expect(g_libc.poll == nullptr, 0)) {
    static const Libc early = Resolve();
    return early;
  }
  return g_libc;
}

// The fds of this thread's contexts with completions waiting (drops the
// others from the list); *rpc_in_flight when one of them has RPCs queued
// or unanswered.
struct Ready {
  int fds[ReadyContexts::kMax];
  int count = 0;
  bool rpc_in_flight = false;

  bool Holds(int fd) const {
    for (int i = 0; i < count; ++i)
      if (fds[i] == fd) return true;
    return false;
  }
};

Ready CollectReady() {
  Ready ready;
  ReadyContexts& list = t_ready_contexts;
  const RealLibnfs& real = GetRuntime().real;
  for (int i = 0; i < list.count;) {
    nfs_context* nfs = list.items[i];
    ContextState* s = Contexts().Find(nfs);
    if (s == nullptr || s->completions.empty()) {
      list.RemoveAt(i);
      continue;
    }
    ready.fds[ready.count++] = real.get_fd(nfs);
    if (real.rpc_queue_length(real.get_rpc_context(nfs)) > 0) ready.rpc_in_flight = true;
    ++i;
  }
  return ready;
}

bool OursAndAsked(const Ready& ready, const pollfd& p) {
  return p.fd >= 0 && (p.events & POLLOUT) != 0 && ready.Holds(p.fd);
}

// The poll family's answer when this thread has completions waiting;
// `kernel(zero)` is glibc's call, with the caller's timeout or none.
template <class Kernel>
int PollReady(pollfd* fds, nfds_t n, bool must_ask_kernel, Kernel&& kernel) {
  const Ready ready = CollectReady();
  bool ours = false;
  bool others = must_ask_kernel || ready.rpc_in_flight;
  for (nfds_t i = 0; i < n; ++i) {
    if (OursAndAsked(ready, fds[i]))
      ours = true;
    else if (fds[i].fd >= 0)
      others = true;
  }
  if (!ours) return kernel(false);
  int result = 0;
  if (others) {
    result = kernel(true);
    if (result < 0) return result;
  } else {
    for (nfds_t i = 0; i < n; ++i) fds[i].revents = 0;
  }
  for (nfds_t i = 0; i < n; ++i) {
    if (!OursAndAsked(ready, fds[i])) continue;
    if (fds[i].revents == 0) ++result;
    fds[i].revents |= POLLOUT;
  }
  return result;
}

constexpr timespec kZeroTimespec{0, 0};

}  // namespace

}  // namespace localio::preload

using localio::preload::Glibc;
using localio::preload::PollReady;
using localio::preload::t_ready_contexts;

// The library is built with hidden visibility; these are its exports
// (exports.map).
#define LOCALIO_EXPORT __attribute__((visibility("default")))

extern "C" {

LOCALIO_EXPORT int poll(pollfd* fds, nfds_t n, int timeout) {
  if (t_ready_contexts.count == 0) return Glibc().poll(fds, n, timeout);
  return PollReady(fds, n, false,
                   [&](bool zero) { return Glibc().poll(fds, n, zero ? 0 : timeout); });
}

LOCALIO_EXPORT int ppoll(pollfd* fds, nfds_t n, const timespec* timeout, const sigset_t* sigmask) {
  if (t_ready_contexts.count == 0) return Glibc().ppoll(fds, n, timeout, sigmask);
  return PollReady(fds, n, sigmask != nullptr, [&](bool zero) {
    return Glibc().ppoll(fds, n, zero ? &localio::preload::kZeroTimespec : timeout, sigmask);
  });
}

// _FORTIFY_SOURCE's forms: glibc's checks the size, then polls past the
// shim; the shim checks the same and polls through its own.
LOCALIO_EXPORT int __poll_chk(pollfd* fds, nfds_t n, int timeout, size_t fds_size) {
  if (t_ready_contexts.count == 0 || fds_size / sizeof(*fds) < n)
    return Glibc().poll_chk(fds, n, timeout, fds_size);
  return poll(fds, n, timeout);
}

LOCALIO_EXPORT int __ppoll_chk(pollfd* fds, nfds_t n, const timespec* timeout, const sigset_t* sigmask,
                size_t fds_size) {
  if (t_ready_contexts.count == 0 || fds_size / sizeof(*fds) < n)
    return Glibc().ppoll_chk(fds, n, timeout, sigmask, fds_size);
  return ppoll(fds, n, timeout, sigmask);
}

LOCALIO_EXPORT int select(int nfds, fd_set* readfds, fd_set* writefds, fd_set* exceptfds, timeval* timeout) {
  if (t_ready_contexts.count == 0 || writefds == nullptr || nfds <= 0 || nfds > FD_SETSIZE)
    return Glibc().select(nfds, readfds, writefds, exceptfds, timeout);
  const localio::preload::Ready ready = localio::preload::CollectReady();
  bool ours = false;
  bool others = ready.rpc_in_flight;
  fd_set mine;
  FD_ZERO(&mine);
  for (int fd = 0; fd < nfds; ++fd) {
    const bool is_mine = ready.Holds(fd) && FD_ISSET(fd, writefds);
    if (is_mine) FD_SET(fd, &mine);
    ours = ours || is_mine;
    if ((readfds != nullptr && FD_ISSET(fd, readfds)) ||
        (exceptfds != nullptr && FD_ISSET(fd, exceptfds)) || (!is_mine && FD_ISSET(fd, writefds)))
      others = true;
  }
  if (!ours) return Glibc().select(nfds, readfds, writefds, exceptfds, timeout);
  int result = 0;
  if (others) {
    timeval zero{0, 0};
    result = Glibc().select(nfds, readfds, writefds, exceptfds, &zero);
    if (result < 0) return result;
  } else {
    for (int fd = 0; fd < nfds; ++fd) {
      if (readfds != nullptr) FD_CLR(fd, readfds);
      if (exceptfds != nullptr) FD_CLR(fd, exceptfds);
      FD_CLR(fd, writefds);
    }
  }
  for (int fd = 0; fd < nfds; ++fd) {
    if (!FD_ISSET(fd, &mine) || FD_ISSET(fd, writefds)) continue;
    FD_SET(fd, writefds);
    ++result;
  }
  return result;
}

}  // extern "C"
