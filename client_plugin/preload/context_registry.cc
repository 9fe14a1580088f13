// SPDX-License-Identifier: LGPL-3.0-or-later
#include "context_registry.h"


namespace localio::preload {

namespace {

// The calling thread's last answer of Find: good while the registry's
// version is the one it was given under.
struct Memo {
  const void* registry = nullptr;
  const nfs_context* nfs = nullptr;
  ContextState* state = nullptr;
  uint64_t version = 0;
};
thread_local Memo t_memo;

}  // namespace

ContextState* ContextRegistry::Find(nfs_context* nfs) {
  const uint64_t version = version_.load(std::memory_order_acquire);
  if (t_memo.nfs == nfs && t_memo.version == version && t_memo.registry == this)
    return t_memo.state;
  std::lock_guard<std::mutex> lock(mu_);
  auto it = states_.find(nfs);
  ContextState* state = it == states_.end() ? nullptr : it->second.get();
  t_memo = {this, nfs, state, version_.load(std::memory_order_relaxed)};
  return state;
}

ContextState* ContextRegistry::FindOrCreate(nfs_context* nfs) {
  std::lock_guard<std::mutex> lock(mu_);
  std::unique_ptr<ContextState>& slot = states_[nfs];
  if (!slot) {
    slot = std::make_unique<ContextState>();
    slot->id = next_id_++;
    version_.fetch_add(1, std::memory_order_release);
  }
  return slot.get();
}

std::unique_ptr<ContextState> ContextRegistry::Remove(nfs_context* nfs) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = states_.find(nfs);
  if (it == states_.end()) return nullptr;
  std::unique_ptr<ContextState> state = std::move(it->second);
  states_.erase(it);
  version_.fetch_add(1, std::memory_order_release);
  return state;
}

ContextRegistry& Contexts() {
  static ContextRegistry* registry = new ContextRegistry();
  return *registry;
}

}  // namespace localio::preload
