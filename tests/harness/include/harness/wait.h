/* SPDX-License-Identifier: LGPL-3.0-or-later */
// Waiting for something another thread or process does: polls `done` every
// `poll` until it is true or `timeout` passed. True when it came. For state
// that nothing signals to the test (a heartbeat, a counter in another
// thread, a file another process writes); never a fixed sleep.
#pragma once

#include <chrono>
#include <thread>

namespace localio::harness {

template <class Done>
bool WaitUntil(Done&& done, std::chrono::milliseconds timeout,
               std::chrono::milliseconds poll = std::chrono::milliseconds(10)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!done()) {
    if (std::chrono::steady_clock::now() >= deadline) return done();
    std::this_thread::sleep_for(poll);
  }
  return true;
}

}  // namespace localio::harness
