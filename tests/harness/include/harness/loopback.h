/* SPDX-License-Identifier: LGPL-3.0-or-later */
// The meter the tests use to prove the bypass from outside the plugin: the
// loopback interface's byte counters.
#pragma once

#include <cstdint>

namespace localio::harness {

// Bytes the loopback interface has moved so far, both directions added (a
// byte sent from one loopback socket to another counts twice). 0 when the
// counters cannot be read.
uint64_t LoopbackBytes();

}  // namespace localio::harness
