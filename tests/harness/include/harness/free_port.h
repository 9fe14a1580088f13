/* SPDX-License-Identifier: LGPL-3.0-or-later */
// Free TCP ports on 127.0.0.1 for the servers tests start. A port is taken
// at random below the kernel's ephemeral range (ip_local_port_range) and
// checked by binding it: a port the kernel chose for bind(0) would be handed
// out again to the next bind(0) once released, and ganesha.nfsd's own
// listeners (LOCALIO's, MOUNT's) bind port 0 while it starts, before it
// binds the NFS port it was given. Another test may still pick the same
// port before the caller binds it, which is rare enough for tests.
#pragma once

#include <cstdint>

namespace localio::harness {

// Returns a free port, or 0 when none was found in 200 tries.
uint16_t FindFreePort();

}  // namespace localio::harness
