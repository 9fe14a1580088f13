/* SPDX-License-Identifier: LGPL-3.0-or-later */
// Free TCP ports on 127.0.0.1, found by binding port 0 and reading back what
// the kernel chose. The port is free when returned; another process may take
// it before the caller binds, which is rare enough for tests.
#pragma once

#include <cstdint>

namespace localio::harness {

// Returns a free port, or 0 (with errno set) when no socket could be bound.
uint16_t FindFreePort();

}  // namespace localio::harness
