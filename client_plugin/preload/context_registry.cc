#include "context_registry.h"

#include <cstdlib>
#include <utility>

namespace localio::preload {

Completion::Completion(Completion&& other) noexcept
    : cb(other.cb),
      private_data(other.private_data),
      status(other.status),
      buffer(std::exchange(other.buffer, nullptr)),
      error(std::move(other.error)) {}

Completion& Completion::operator=(Completion&& other) noexcept {
  if (this != &other) {
    std::free(buffer);
    cb = other.cb;
    private_data = other.private_data;
    status = other.status;
    buffer = std::exchange(other.buffer, nullptr);
    error = std::move(other.error);
  }
  return *this;
}

Completion::~Completion() { std::free(buffer); }

ContextState* ContextRegistry::Find(nfs_context* nfs) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = states_.find(nfs);
  return it == states_.end() ? nullptr : it->second.get();
}

ContextState* ContextRegistry::FindOrCreate(nfs_context* nfs) {
  std::lock_guard<std::mutex> lock(mu_);
  std::unique_ptr<ContextState>& slot = states_[nfs];
  if (!slot) {
    slot = std::make_unique<ContextState>();
    slot->id = next_id_++;
  }
  return slot.get();
}

std::unique_ptr<ContextState> ContextRegistry::Remove(nfs_context* nfs) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = states_.find(nfs);
  if (it == states_.end()) return nullptr;
  std::unique_ptr<ContextState> state = std::move(it->second);
  states_.erase(it);
  return state;
}

ContextRegistry& Contexts() {
  static ContextRegistry* registry = new ContextRegistry();
  return *registry;
}

}  // namespace localio::preload
