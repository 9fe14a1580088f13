/* SPDX-License-Identifier: LGPL-3.0-or-later */
// rpcbind on 127.0.0.1:111, which ganesha.nfsd needs to start. Normally
// ci/test.sh runs one for the whole run; when none answers, the harness starts
// `/usr/sbin/rpcbind -f -w` and stops it (by pid) at process exit, never one it
// did not start.
#pragma once

#include "localio/status.h"

namespace localio::harness {

// Makes sure a portmapper answers on 127.0.0.1:111. Thread-compatible (call
// from the test's main thread). Returns an error naming what failed.
Status EnsureRpcbind();

// Stops the rpcbind this process started, if any; also runs at exit.
void StopOwnRpcbind();

}  // namespace localio::harness
