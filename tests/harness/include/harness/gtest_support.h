/* SPDX-License-Identifier: LGPL-3.0-or-later */
// GoogleTest glue for integration tests that use a GaneshaServer: the
// fixtures that start one (for a whole suite, or for each test) and print
// its log when a test failed.
#pragma once

#include <gtest/gtest.h>

#include <cerrno>
#include <memory>
#include <string>
#include <utility>

#include "harness/ganesha_server.h"
#include "harness/temp_dir.h"

namespace localio::harness {

// For a fixture's TearDown: when the current test has failed, prints the tail
// of the server's log so the failure can be read next to the server's view.
void PrintLogTailIfFailed(const GaneshaServer* server);

// One server for a whole test suite (starting ganesha costs seconds). The
// suite's SetUpTestSuite calls StartSuiteServer; every test first asserts
// that it started, and prints the server's log if it failed. `Suite` is the
// fixture itself, so each suite has its own server; `Base` is
// ::testing::Test or ::testing::TestWithParam<...>.
template <class Suite, class Base = ::testing::Test>
class SuiteServerTest : public Base {
 protected:
  // Starts server_ with `options` and, when `scratch_prefix` is not empty,
  // creates scratch_ (a temp dir for the suite's local files). start_ holds
  // the first failure.
  static void StartSuiteServer(ServerOptions options, const std::string& scratch_prefix = "") {
    server_ = std::make_unique<GaneshaServer>(std::move(options));
    start_ = server_->Start();
    if (scratch_prefix.empty()) return;
    scratch_ = std::make_unique<TempDir>();
    if (Status s = scratch_->Create(scratch_prefix); !s.ok()) start_ = s;
  }
  static void TearDownTestSuite() {
    server_.reset();
    scratch_.reset();
  }
  void SetUp() override { ASSERT_TRUE(start_.ok()) << start_.message; }
  void TearDown() override { PrintLogTailIfFailed(server_.get()); }

  inline static std::unique_ptr<GaneshaServer> server_;
  inline static Status start_ = Status::Error(-ECANCELED, "the suite started no server");
  inline static std::unique_ptr<TempDir> scratch_;
};

// A server of each test's own (tests that kill, fill or reconfigure it).
template <class Base = ::testing::Test>
class ServerTest : public Base {
 protected:
  // Starts server_ with `options`; a fatal failure when it does not start.
  void StartServer(ServerOptions options) {
    server_ = std::make_unique<GaneshaServer>(std::move(options));
    const Status s = server_->Start();
    ASSERT_TRUE(s.ok()) << s.message;
  }
  // Prints the server's log if the test failed, then stops the server.
  void TearDown() override {
    PrintLogTailIfFailed(server_.get());
    server_.reset();
  }

  std::unique_ptr<GaneshaServer> server_;
};

// ServerTest whose every test starts with the one default export (id 1,
// LOCALIO over VFS, read-write). Fixtures that override SetUp call this one
// first.
class OneExportServerTest : public ServerTest<> {
 protected:
  void SetUp() override { StartServer(OneExport()); }
};

}  // namespace localio::harness
