// What the shim keeps per nfs_context: the identity the application set,
// the attached core Client, and the completions of bypassed async calls
// waiting for the application's next nfs_service(). A registry maps
// contexts to that state for every thread (one mutex, and a per-thread
// memo of the last answer so that a hot loop takes no lock; a context
// itself is used by one thread at a time, as libnfs requires).
#ifndef LOCALIO_PRELOAD_CONTEXT_REGISTRY_H
#define LOCALIO_PRELOAD_CONTEXT_REGISTRY_H

#include <atomic>
#include <cstdint>
#include <deque>
#include <vector>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "client.h"
#include "libnfs_abi.h"

namespace localio::preload {

// A bypassed async call's result, delivered later as libnfs would: the
// callback gets `status`, and as data the read buffer (status >= 0) or
// the error sentence (status < 0).
struct Completion {
  NfsCb cb = nullptr;
  void* private_data = nullptr;
  int status = 0;
  void* buffer = nullptr;  // malloc'ed read data, freed after the callback
  size_t buffer_size = 0;  // bytes allocated at buffer
  std::string error;

  Completion() = default;
  Completion(NfsCb callback, void* priv, int result) : cb(callback), private_data(priv), status(result) {}
  Completion(Completion&& other) noexcept;
  Completion& operator=(Completion&& other) noexcept;
  Completion(const Completion&) = delete;
  Completion& operator=(const Completion&) = delete;
  ~Completion();
};

// Read buffers of delivered completions, kept for the next bypassed read
// so that a steady async loop allocates nothing.
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

struct ContextState {
  uint64_t id = 0;                 // unique per state: a reused pointer is a new context
  std::optional<long> uid;         // from nfs_set_uid / nfs_set_gid
  std::optional<long> gid;
  std::unique_ptr<client::Client> client;  // set once mounted (and active)
  std::deque<Completion> completions;      // in the order the calls were made
  BufferPool buffers;
  // CLOCK_MONOTONIC_COARSE ms of the last call of libnfs's own nfs_service.
  uint64_t real_service_ms = 0;
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
