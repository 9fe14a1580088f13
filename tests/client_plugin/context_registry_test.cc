// SPDX-License-Identifier: LGPL-3.0-or-later
// The shim's per-context registry and its per-thread memo: an answer is
// reused only while no context was added or removed, in any thread; the
// read-buffer pool hands a kept buffer out again.
#include "context_registry.h"

#include <gtest/gtest.h>

#include <thread>
#include <utility>

namespace localio::preload {
namespace {

nfs_context* Fake(uintptr_t n) { return reinterpret_cast<nfs_context*>(n * 64); }

TEST(ContextRegistry, ARemovedContextIsGoneForTheThreadThatAskedBefore) {
  ContextRegistry r;
  ContextState* a = r.FindOrCreate(Fake(1));
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(r.Find(Fake(1)), a);
  EXPECT_EQ(r.Find(Fake(1)), a);  // from the memo
  EXPECT_NE(r.Remove(Fake(1)), nullptr);
  EXPECT_EQ(r.Find(Fake(1)), nullptr);
}

TEST(ContextRegistry, AContextAddedByAnotherThreadIsSeenAfterAMissHere) {
  ContextRegistry r;
  EXPECT_EQ(r.Find(Fake(2)), nullptr);  // memo: none
  ContextState* made = nullptr;
  std::thread([&] { made = r.FindOrCreate(Fake(2)); }).join();
  ASSERT_NE(made, nullptr);
  EXPECT_EQ(r.Find(Fake(2)), made);
}

TEST(ContextRegistry, AReusedPointerIsANewContext) {
  ContextRegistry r;
  const uint64_t first = r.FindOrCreate(Fake(3))->id;
  EXPECT_EQ(r.Find(Fake(3))->id, first);
  std::thread([&] {
    r.Remove(Fake(3));
    r.FindOrCreate(Fake(3));
  }).join();
  ASSERT_NE(r.Find(Fake(3)), nullptr);
  EXPECT_NE(r.Find(Fake(3))->id, first);
}

TEST(ContextRegistry, TheMemoBelongsToOneRegistry) {
  ContextRegistry one, two;
  ContextState* a = one.FindOrCreate(Fake(4));
  EXPECT_EQ(one.Find(Fake(4)), a);
  EXPECT_EQ(two.Find(Fake(4)), nullptr);
}

TEST(BufferPool, AKeptBufferIsHandedOutAgainWhenLargeEnough) {
  client::BufferPool pool;
  // Takes `want` bytes and gives them straight back: the buffer and its size.
  const auto cycle = [&pool](size_t want) {
    size_t got = 0;
    void* buffer = pool.Take(want, &got);
    EXPECT_NE(buffer, nullptr) << want;
    pool.Give(buffer, got);
    return std::pair(buffer, got);
  };
  const auto [a, size] = cycle(4096);
  EXPECT_EQ(size, 4096u);
  EXPECT_EQ(cycle(100), std::pair(a, size));  // the kept one, whole
  EXPECT_EQ(cycle(8192).second, 8192u);       // the kept one is too small
  EXPECT_GE(cycle(0).second, 1u);
}

}  // namespace
}  // namespace localio::preload
