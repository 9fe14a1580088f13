// GoogleTest glue for integration tests that use a GaneshaServer.
#pragma once

#include "harness/ganesha_server.h"

namespace localio::harness {

// For a fixture's TearDown: when the current test has failed, prints the tail
// of the server's log so the failure can be read next to the server's view.
void PrintLogTailIfFailed(const GaneshaServer* server);

}  // namespace localio::harness
