/* SPDX-License-Identifier: LGPL-3.0-or-later */
// The contexts on which the calling thread queued completions of bypassed
// async calls (completions.h) that may still wait for its next
// nfs_service(): what the shim's poll, ppoll and select answer from user
// space for (poll_interpose.cc). A hint kept per thread, checked before
// use: an entry whose queue has drained, or whose context is gone, is
// dropped then. Its emptiness is the one thread-local load that every poll
// of the process pays while the thread has no completion waiting.
#ifndef LOCALIO_PRELOAD_READY_CONTEXTS_H
#define LOCALIO_PRELOAD_READY_CONTEXTS_H

struct nfs_context;

namespace localio::preload {

struct ReadyContexts {
  // Above any number of contexts one thread drives at once; a context
  // beyond it is polled by the kernel, as without the shim.
  static constexpr int kMax = 16;
  nfs_context* items[kMax];
  int count;

  // Adds `nfs` unless present or full.
  void Add(nfs_context* nfs) noexcept {
    for (int i = 0; i < count; ++i)
      if (items[i] == nfs) return;
    if (count < kMax) items[count++] = nfs;
  }
  void RemoveAt(int i) noexcept { items[i] = items[--count]; }
  void Remove(nfs_context* nfs) noexcept {
    for (int i = 0; i < count; ++i)
      if (items[i] == nfs) return RemoveAt(i);
  }
};

// Zero-initialised, in the static TLS block: the shim is loaded at start
// (LD_PRELOAD), so its thread-locals need no __tls_get_addr call.
// constinit: no TLS wrapper function is called (or left to resolve).
extern constinit thread_local ReadyContexts t_ready_contexts [[gnu::tls_model("initial-exec")]];

}  // namespace localio::preload

#endif  // LOCALIO_PRELOAD_READY_CONTEXTS_H
