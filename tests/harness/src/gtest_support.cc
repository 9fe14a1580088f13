// SPDX-License-Identifier: LGPL-3.0-or-later
#include "harness/gtest_support.h"

#include <gtest/gtest.h>

#include <cstdio>

namespace localio::harness {

void PrintLogTailIfFailed(const GaneshaServer* server) {
  if (server == nullptr || !::testing::Test::HasFailure()) return;
  std::fprintf(stderr, "%s", server->LogTail().c_str());
}

}  // namespace localio::harness
