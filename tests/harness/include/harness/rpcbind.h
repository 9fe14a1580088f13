/* SPDX-License-Identifier: LGPL-3.0-or-later */
// rpcbind on 127.0.0.1:111, which ganesha.nfsd needs to start. Normally
// ci/test.sh runs one for the whole run; when none answers, the harness starts
// `/usr/sbin/rpcbind -f -w` and stops it (by pid) at process exit, never one it
// did not start.
#pragma once

#include <string>

#include "localio/status.h"

namespace localio::harness {

// Makes sure a portmapper answers on 127.0.0.1:111. Thread-compatible (call
// from the test's main thread). Returns an error naming what failed.
Status EnsureRpcbind();

// Stops the rpcbind this process started, if any; also runs at exit.
void StopOwnRpcbind();

// The owner the rpcbind on 127.0.0.1 records for a SET by this process over
// its local socket: this uid's (rpc::RpcbindOwnerOf) where rpcbind can read
// its callers' credentials, "unknown" where it cannot (Debian forky's
// libtirpc 1.3.7+ds-1 builds getpeereid as a stub that fails: there no
// owner is known and any local user may unset any mapping). Found by a SET,
// DUMP and UNSET of a scratch program; "" when rpcbind does not answer.
std::string RpcbindRecordedOwner();
// True when that owner is this uid's: the tests of rpcbind's owner rules
// (squatters of another uid, who may unset what) have something to test.
bool RpcbindRecordsOwners();

}  // namespace localio::harness
