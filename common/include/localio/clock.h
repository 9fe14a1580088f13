/* SPDX-License-Identifier: LGPL-3.0-or-later */
// The clock of LOCALIO's periods: the server's heartbeat, the client's
// staleness checks, handshake backoff and re-check periods. In a running
// system it is CLOCK_MONOTONIC in milliseconds, which every process on the
// host shares (the map and the hello file carry its values from one
// process to another). Code that reads or waits on time takes a Clock, so
// that tests drive those periods without waiting (as LevelDB's Env does
// for time); tests/harness/include/harness/clock.h has the test clocks.
// Hello leases read SystemClock() itself: clients stamp them and the
// server judges them, in other processes.
#ifndef LOCALIO_CLOCK_H
#define LOCALIO_CLOCK_H

#include <condition_variable>
#include <cstdint>
#include <mutex>

namespace localio {

class Clock {
 public:
  virtual ~Clock() = default;
  // Milliseconds on this clock (CLOCK_MONOTONIC for SystemClock()).
  virtual uint64_t NowMs() const = 0;
  // A cheaper reading for hot paths: it may lag NowMs() by a tick (a few
  // ms), never run ahead of it.
  virtual uint64_t CoarseNowMs() const { return NowMs(); }
  // Nanoseconds since the epoch (CLOCK_REALTIME for SystemClock()): what
  // file timestamps (a ctime) are compared with.
  virtual uint64_t RealtimeNs() const = 0;
  // Lets go of `lock` and waits on `cv` until it is notified or `ms` passed
  // on this clock, or less (a spurious wake-up): the caller looks at its
  // state and at NowMs() again.
  virtual void WaitFor(std::condition_variable& cv, std::unique_lock<std::mutex>& lock,
                       uint64_t ms) const = 0;
};

// CLOCK_MONOTONIC (CoarseNowMs: CLOCK_MONOTONIC_COARSE; RealtimeNs:
// CLOCK_REALTIME). One for the process, never destroyed.
const Clock& SystemClock();

}  // namespace localio

#endif  // LOCALIO_CLOCK_H
