/* SPDX-License-Identifier: LGPL-3.0-or-later */
// Clocks that tests drive (localio/clock.h): a period of the product (a
// backoff, a map check, a heartbeat) passes when the test says so, not
// after a real wait.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>

#include "localio/clock.h"

namespace localio::harness {

// Stands still until Advance. For code alone in the test's process (the
// server's heartbeat loop, a client whose peer's times the test writes).
class ManualClock final : public Clock {
 public:
  explicit ManualClock(uint64_t start_ms = SystemClock().NowMs()) : now_ms_(start_ms) {}
  uint64_t NowMs() const override { return now_ms_.load(std::memory_order_acquire); }
  // Advance cannot reach the waiter's lock to notify it: the waiter looks
  // at NowMs() again every real millisecond.
  void WaitFor(std::condition_variable& cv, std::unique_lock<std::mutex>& lock,
               uint64_t) const override {
    cv.wait_for(lock, std::chrono::milliseconds(1));
  }
  void Advance(uint64_t ms) { now_ms_.fetch_add(ms, std::memory_order_acq_rel); }

 private:
  std::atomic<uint64_t> now_ms_;
};

// SystemClock() plus what Advance added: time goes on as it does for a
// real server in another process (whose heartbeats stay fresh), and the
// test skips a period of its own at once.
class AheadClock final : public Clock {
 public:
  uint64_t NowMs() const override { return SystemClock().NowMs() + Ahead(); }
  uint64_t CoarseNowMs() const override { return SystemClock().CoarseNowMs() + Ahead(); }
  void WaitFor(std::condition_variable& cv, std::unique_lock<std::mutex>& lock,
               uint64_t) const override {
    cv.wait_for(lock, std::chrono::milliseconds(1));
  }
  void Advance(uint64_t ms) { ahead_ms_.fetch_add(ms, std::memory_order_acq_rel); }

 private:
  uint64_t Ahead() const { return ahead_ms_.load(std::memory_order_acquire); }
  std::atomic<uint64_t> ahead_ms_{0};
};

}  // namespace localio::harness
