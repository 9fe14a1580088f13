// SPDX-License-Identifier: LGPL-3.0-or-later
#include "completions.h"

#include <poll.h>

#include <cerrno>
#include <cstdlib>
#include <new>
#include <utility>

#include "localio/clock.h"

namespace localio::client {

BufferPool::~BufferPool() {
  for (const Spare& s : spares_) std::free(s.buffer);
}

void* BufferPool::Take(size_t size, size_t* got) {
  size = size == 0 ? 1 : size;
  if (!spares_.empty()) {
    const Spare s = spares_.back();
    spares_.pop_back();
    if (s.size >= size) {
      *got = s.size;
      return s.buffer;
    }
    std::free(s.buffer);
  }
  *got = size;
  return std::malloc(size);
}

void Completion::Fail(int result, const std::string& why) noexcept {
  status = result;
  try {
    error = why;
  } catch (const std::bad_alloc&) {
  }
}

void BufferPool::Give(void* buffer, size_t size) noexcept {
  if (buffer == nullptr) return;
  if (spares_.size() < kMaxSpares) {
    try {
      spares_.push_back({buffer, size});
      return;
    } catch (const std::bad_alloc&) {
    }
  }
  std::free(buffer);
}

CompletionQueue::~CompletionQueue() {
  if (alive_ != nullptr) *alive_ = false;
}

bool CompletionQueue::Push(Completion c) noexcept {
  try {
    completions_.push_back(std::move(c));
    return true;
  } catch (const std::bad_alloc&) {
    return false;
  }
}

void CompletionQueue::Deliver(nfs_context* nfs, Completion& c, PublishError publish, void* arg) {
  void* data = c.buffer.get();
  if (c.status < 0) {
    publish(nfs, arg, c.error);
    data = const_cast<char*>(c.error.c_str());
  }
  c.cb(c.status, nfs, data, c.private_data);
}

bool CompletionQueue::Run(nfs_context* nfs, PublishError publish, void* arg) {
  bool alive = true;
  bool* const outer = alive_;  // a Run further up the stack (a callback called service)
  alive_ = &alive;
  for (size_t n = completions_.size(); n > 0 && !completions_.empty(); --n) {
    Completion c = std::move(completions_.front());
    completions_.pop_front();
    Deliver(nfs, c, publish, arg);
    if (!alive) {
      if (outer != nullptr) *outer = false;
      return false;
    }
    buffers_.Give(c.buffer.release(), c.buffer_size);
  }
  alive_ = outer;
  return true;
}

void CompletionQueue::Cancel(nfs_context* nfs, PublishError publish, void* arg) {
  while (!completions_.empty()) {
    Completion c = std::move(completions_.front());
    completions_.pop_front();
    c.status = -EINTR;
    c.error = "Command was cancelled";
    Deliver(nfs, c, publish, arg);
  }
}

int CompletionQueue::WhichEvents(nfs_context* nfs, const LibnfsCalls& libnfs) const {
  int events = libnfs.which_events(nfs);
  if (!completions_.empty()) events |= POLLOUT;
  return events;
}

int CompletionQueue::Service(nfs_context* nfs, int revents, const LibnfsCalls& libnfs,
                             PublishError publish, void* arg) {
  const bool ours = !completions_.empty();
  if (ours && !Run(nfs, publish, arg)) return 0;
  const int asked = libnfs.which_events(nfs) | POLLERR | POLLHUP | POLLNVAL;
  const uint64_t now = SystemClock().CoarseNowMs();
  if (ours && (revents & asked) == 0 && now - real_service_ms_ < kRealServiceMs)
    return 0;  // only ours: libnfs's socket has nothing, and its timeouts were just scanned
  real_service_ms_ = now;
  // libnfs's callbacks may destroy the queue too (localio_detach from an
  // RPC's callback): then nothing of it, or of what holds it, is touched.
  bool alive = true;
  bool* const outer = alive_;
  alive_ = &alive;
  const int rc = libnfs.service(nfs, revents & asked);
  if (!alive) {
    if (outer != nullptr) *outer = false;
    return 0;
  }
  alive_ = outer;
  return rc;
}

}  // namespace localio::client
