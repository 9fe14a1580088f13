/* SPDX-License-Identifier: LGPL-3.0-or-later */
// Access to memory shared with another process. Every word another process
// may write concurrently is read and written as an atomic, so copies are
// race-free by the C++ memory model. Seqlocks use no fences (which
// ThreadSanitizer does not model): data inside a seqlock is stored with
// release and loaded with acquire, which orders it against the sequence
// word both ways and costs nothing extra on x86 (plain moves).
#ifndef LOCALIO_MAP_ATOMIC_H
#define LOCALIO_MAP_ATOMIC_H

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace localio {

template <class T>
inline T SharedLoad(const T* p) {
  return __atomic_load_n(p, __ATOMIC_RELAXED);
}
template <class T>
inline T SharedLoadAcquire(const T* p) {
  return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}
template <class T>
inline void SharedStore(T* p, T v) {
  __atomic_store_n(p, v, __ATOMIC_RELAXED);
}
template <class T>
inline void SharedStoreRelease(T* p, T v) {
  __atomic_store_n(p, v, __ATOMIC_RELEASE);
}

// Copies `words` 8-byte words between private memory of any type (through
// memcpy, so no aliasing rule is bent) and shared memory (as acquire loads /
// release stores of words; 8-byte aligned).
inline void SharedCopyOut(void* dst, const void* shared, size_t words) {
  auto* d = static_cast<unsigned char*>(dst);
  const auto* s = static_cast<const uint64_t*>(shared);
  for (size_t i = 0; i < words; ++i) {
    const uint64_t w = __atomic_load_n(s + i, __ATOMIC_ACQUIRE);
    std::memcpy(d + 8 * i, &w, 8);
  }
}
inline void SharedCopyIn(void* shared, const void* src, size_t words) {
  auto* d = static_cast<uint64_t*>(shared);
  const auto* s = static_cast<const unsigned char*>(src);
  for (size_t i = 0; i < words; ++i) {
    uint64_t w;
    std::memcpy(&w, s + 8 * i, 8);
    __atomic_store_n(d + i, w, __ATOMIC_RELEASE);
  }
}

// Writer side of a seqlock: Begin makes the sequence odd, End even again.
// Between them, store data with SharedStoreRelease / SharedCopyIn (release:
// no reader sees new data with the old even sequence). Only one writer at a
// time (the caller serialises).
template <class Seq>
inline void SeqlockWriteBegin(Seq* seq) {
  __atomic_store_n(seq, static_cast<Seq>(*seq + 1), __ATOMIC_RELAXED);
}
template <class Seq>
inline void SeqlockWriteEnd(Seq* seq) {
  __atomic_store_n(seq, static_cast<Seq>(*seq + 1), __ATOMIC_RELEASE);
}

// Reader side: returns an even sequence to pass to SeqlockReadValid after
// copying with SharedLoadAcquire / SharedCopyOut, or an odd value when a
// write is in progress (retry).
template <class Seq>
inline Seq SeqlockReadBegin(const Seq* seq) {
  return __atomic_load_n(seq, __ATOMIC_ACQUIRE);
}
// True when nothing was written since SeqlockReadBegin returned `begin`.
// The data loads before it were acquires, so this load cannot move above them.
template <class Seq>
inline bool SeqlockReadValid(const Seq* seq, Seq begin) {
  return (begin & 1) == 0 && __atomic_load_n(seq, __ATOMIC_RELAXED) == begin;
}

// How often a reader retries a seqlock before it reports "busy": a writer
// holds one for well under a microsecond, a hostile one forever.
inline constexpr int kSeqlockTries = 1000;

inline void SeqlockPause() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}

}  // namespace localio

#endif  // LOCALIO_MAP_ATOMIC_H
