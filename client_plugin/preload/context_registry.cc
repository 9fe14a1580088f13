#include "context_registry.h"

#include <cstdlib>
#include <new>
#include <utility>

namespace localio::preload {

Completion::Completion(Completion&& other) noexcept
    : cb(other.cb),
      private_data(other.private_data),
      status(other.status),
      buffer(std::exchange(other.buffer, nullptr)),
      buffer_size(other.buffer_size),
      error(std::move(other.error)) {}

Completion& Completion::operator=(Completion&& other) noexcept {
  if (this != &other) {
    std::free(buffer);
    cb = other.cb;
    private_data = other.private_data;
    status = other.status;
    buffer = std::exchange(other.buffer, nullptr);
    buffer_size = other.buffer_size;
    error = std::move(other.error);
  }
  return *this;
}

Completion::~Completion() { std::free(buffer); }

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
