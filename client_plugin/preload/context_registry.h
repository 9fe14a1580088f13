/* SPDX-License-Identifier: LGPL-3.0-or-later */
// What the shim keeps per nfs_context: the attached core Client, and the
// completions of bypassed async calls waiting for the application's next
// nfs_service() (completions.h). A registry maps contexts to that state
// for every thread (one mutex, and a per-thread memo of the last answer so
// that a hot loop takes no lock; a context itself is used by one thread at
// a time, as libnfs requires).
#ifndef LOCALIO_PRELOAD_CONTEXT_REGISTRY_H
#define LOCALIO_PRELOAD_CONTEXT_REGISTRY_H

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "client.h"
#include "completions.h"
#include "libnfs_abi.h"

namespace localio::preload {

struct ContextState {
  uint64_t id = 0;                 // unique per state: a reused pointer is a new context
  std::unique_ptr<client::Client> client;  // set once mounted (and active)
  // Completions of bypassed async calls; outlives a Client replaced by a
  // remount.
  client::CompletionQueue completions;
};

class ContextRegistry {
 public:
  // The state of `nfs`, or nullptr. The pointer stays valid until Remove.
  ContextState* Find(nfs_context* nfs);
  // The state of `nfs`, created empty if new. Throws std::bad_alloc.
  ContextState* FindOrCreate(nfs_context* nfs);
  // Takes the state out (nullptr when none).
  std::unique_ptr<ContextState> Remove(nfs_context* nfs);

 private:
  std::mutex mu_;
  std::unordered_map<const nfs_context*, std::unique_ptr<ContextState>> states_;
  uint64_t next_id_ = 1;
  // Bumped (under mu_) whenever a state is added or removed: a thread's
  // memo of an earlier answer is good while this has not moved.
  std::atomic<uint64_t> version_{1};
};

// The process's registry; never destroyed, so that contexts destroyed from
// atexit handlers still find it.
ContextRegistry& Contexts();

}  // namespace localio::preload

#endif  // LOCALIO_PRELOAD_CONTEXT_REGISTRY_H
