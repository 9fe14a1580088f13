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

// What both test clocks share: a test's Advance cannot reach a waiter's
// lock to notify it, so a waiter looks at NowMs() again every real
// millisecond.
class MovableClock : public Clock {
 public:
  void WaitFor(std::condition_variable& cv, std::unique_lock<std::mutex>& lock,
               uint64_t) const final {
    cv.wait_for(lock, std::chrono::milliseconds(1));
  }
};

// Stands still until Advance (both its readings start at the system's).
// For code alone in the test's process (the server's heartbeat loop, a
// client whose peer's times the test writes).
class ManualClock final : public MovableClock {
 public:
  uint64_t NowMs() const override { return now_ms_.load(std::memory_order_acquire); }
  uint64_t RealtimeNs() const override { return realtime_ns_.load(std::memory_order_acquire); }
  void Advance(uint64_t ms) {
    now_ms_.fetch_add(ms, std::memory_order_acq_rel);
    realtime_ns_.fetch_add(ms * 1000000, std::memory_order_acq_rel);
  }

 private:
  std::atomic<uint64_t> now_ms_{SystemClock().NowMs()};
  std::atomic<uint64_t> realtime_ns_{SystemClock().RealtimeNs()};
};

// SystemClock() plus what Advance added: time goes on as it does for a
// real server in another process (whose heartbeats stay fresh), and the
// test skips a period of its own at once. AdvanceRealtime moves only the
// realtime reading (a file's ctime ages; the heartbeat does not).
class AheadClock final : public MovableClock {
 public:
  uint64_t NowMs() const override { return SystemClock().NowMs() + Ahead(); }
  uint64_t CoarseNowMs() const override { return SystemClock().CoarseNowMs() + Ahead(); }
  uint64_t RealtimeNs() const override {
    return SystemClock().RealtimeNs() +
           (Ahead() + realtime_ahead_ms_.load(std::memory_order_acquire)) * 1000000;
  }
  void Advance(uint64_t ms) { ahead_ms_.fetch_add(ms, std::memory_order_acq_rel); }
  void AdvanceRealtime(uint64_t ms) { realtime_ahead_ms_.fetch_add(ms, std::memory_order_acq_rel); }

 private:
  uint64_t Ahead() const { return ahead_ms_.load(std::memory_order_acquire); }
  std::atomic<uint64_t> ahead_ms_{0};
  std::atomic<uint64_t> realtime_ahead_ms_{0};
};

}  // namespace localio::harness
