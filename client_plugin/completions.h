/* SPDX-License-Identifier: LGPL-3.0-or-later */
// The completions of async calls the core served from the local file: done
// at the call, queued, and delivered from the application's next service of
// the context, as libnfs delivers its replies, never inside the *_async
// call (callers issue the next request from the callback, or count requests
// in flight around the call). Each front end keeps one queue per
// nfs_context and services it where libnfs's loop is serviced: the shim in
// its nfs_which_events/nfs_service, the C API in localio_which_events and
// localio_service (docs/DESIGN.md, "libnfs as a plugin host").
#ifndef LOCALIO_CLIENT_COMPLETIONS_H
#define LOCALIO_CLIENT_COMPLETIONS_H

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "libnfs_calls.h"

namespace localio::client {

// Frees what malloc gave (the read buffers of BufferPool::Take).
struct FreeDeleter {
  void operator()(void* p) const noexcept { std::free(p); }
};

// A served call's result, delivered later as libnfs would: the callback
// gets `status`, and as data the read buffer (status >= 0) or the error
// sentence (status < 0). Move-only.
struct Completion {
  NfsCb cb = nullptr;
  void* private_data = nullptr;
  int status = 0;
  std::unique_ptr<void, FreeDeleter> buffer;  // read data, freed with it
  size_t buffer_size = 0;                     // bytes allocated at buffer
  std::string error;

  Completion() = default;
  Completion(NfsCb callback, void* priv, int result) : cb(callback), private_data(priv), status(result) {}

  // Fails it with `result` (< 0) and a copy of `why`; without memory for
  // the copy the status alone says what failed.
  void Fail(int result, const std::string& why) noexcept;
};

// Read buffers of delivered completions, kept for the next served read so
// that a steady async loop allocates nothing.
class BufferPool {
 public:
  BufferPool() = default;
  BufferPool(const BufferPool&) = delete;
  BufferPool& operator=(const BufferPool&) = delete;
  ~BufferPool();
  // A malloc'ed buffer of at least `size` bytes, and its size in *got;
  // nullptr when out of memory.
  void* Take(size_t size, size_t* got);
  // Keeps a buffer of `size` bytes from Take for later (or frees it).
  void Give(void* buffer, size_t size) noexcept;

 private:
  struct Spare {
    void* buffer;
    size_t size;
  };
  static constexpr size_t kMaxSpares = 64;  // above any queue depth in use
  std::vector<Spare> spares_;
};

class CompletionQueue {
 public:
  // Publishes a failed completion's sentence just before its callback runs,
  // where the front end keeps error text (libnfs's for the shim,
  // localio_get_error for the C API). Must not throw.
  using PublishError = void (*)(nfs_context* nfs, void* arg, const std::string& sentence);

  // libnfs's nfs_service scans every RPC in flight for a timeout (a walk
  // over its 1,024 reply queues) before it looks at revents: when only
  // queued completions woke the loop, Service skips that call, but never
  // for longer than this, so an RPC in flight beside a busy bypass still
  // times out on time.
  static constexpr uint64_t kRealServiceMs = 10;

  CompletionQueue() = default;
  // A Run in progress (a callback destroyed the queue's owner) stops.
  ~CompletionQueue();
  CompletionQueue(const CompletionQueue&) = delete;
  CompletionQueue& operator=(const CompletionQueue&) = delete;

  bool empty() const { return completions_.empty(); }
  // Queues; false (nothing queued) when out of memory.
  bool Push(Completion c) noexcept;
  Completion& back() { return completions_.back(); }
  BufferPool& buffers() { return buffers_; }

  // Runs the completions queued before this call, in order (those a
  // callback queues wait for the next Run). False when a callback
  // destroyed the queue.
  bool Run(nfs_context* nfs, PublishError publish, void* arg);
  // Runs every waiting completion once, with -EINTR ("Command was
  // cancelled"), as libnfs cancels its RPCs in flight when its context goes.
  void Cancel(nfs_context* nfs, PublishError publish, void* arg);
  // nfs_which_events: libnfs's, and POLLOUT while completions wait, so a
  // poll on nfs_get_fd() returns at once.
  int WhichEvents(nfs_context* nfs, const LibnfsCalls& libnfs) const;
  // nfs_service: Run, then libnfs's own with the events it asked for (a
  // POLLOUT may be ours) and the error conditions; libnfs's is skipped as
  // kRealServiceMs says. 0 when a callback destroyed the queue, else
  // libnfs's result.
  int Service(nfs_context* nfs, int revents, const LibnfsCalls& libnfs, PublishError publish,
              void* arg);

 private:
  void Deliver(nfs_context* nfs, Completion& c, PublishError publish, void* arg);

  std::deque<Completion> completions_;  // in the order the calls were made
  BufferPool buffers_;
  // CLOCK_MONOTONIC_COARSE ms of the last call of libnfs's own nfs_service.
  uint64_t real_service_ms_ = 0;
  bool* alive_ = nullptr;  // the innermost Run's or Service's "queue still exists" flag
};

}  // namespace localio::client

#endif  // LOCALIO_CLIENT_COMPLETIONS_H
