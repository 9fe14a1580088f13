// SPDX-License-Identifier: LGPL-3.0-or-later
// EXPORT_DEFAULTS against the real server, NFSv3 and NFSv4: an FSAL cannot
// read that block, so the map's row may advertise more than RPC gives a
// client (here Manage_Gids, which makes the server take the caller's
// groups from its own database). The server sees each request's own
// permissions when it sends a handle, withdraws the row at the first one
// that gets less, and the client's I/O goes through RPC.
#include <gtest/gtest.h>
#include <fcntl.h>

#include <string>

#include "harness/files.h"
#include "harness/gtest_support.h"
#include "safety_support.h"

namespace localio::harness {
namespace {

class SafetyDefaults : public LocalAndPlainTest<SafetyDefaults> {
 protected:
  static void SetUpTestSuite() {
    ServerOptions options = OneExport();
    options.extra_config = "EXPORT_DEFAULTS {\n    Manage_Gids = true;\n}\n";
    StartSuiteServer(options);
  }

  std::string Log() const { return ReadFile(server_->log_path()); }
};

TEST_P(SafetyDefaults, ARowThatGrantsMoreThanARequestGetsIsWithdrawnAndRpcCarriesTheIo) {
  const std::string name = Name("defaults");
  const std::string data = Pattern(name, 20000);
  ASSERT_TRUE(WriteLocalFile(InExport(name), data).ok());
  nfsfh* fh = nullptr;
  ASSERT_EQ(localio_open(mount_->ctx(), ("/" + name).c_str(), O_RDONLY, &fh), 0)
      << mount_->Error();
  const ReadOutcome got = ReadThroughLocalio(mount_->ctx(), fh);
  localio_close(mount_->ctx(), fh);
  EXPECT_EQ(got.rc, 0) << mount_->Error();
  EXPECT_TRUE(got.data == data) << "read " << got.data.size() << " bytes";
  const localio_counters c = mount_->Counters();
  EXPECT_EQ(c.read_ops, 0u) << "read locally with an identity RPC does not use: " << Describe(c);
  EXPECT_GT(c.fallbacks[LOCALIO_FALLBACK_NOT_IN_MAP], 0u) << Describe(c);
  EXPECT_NE(Log().find("LOCALIO: export 1 served without the bypass until it is next updated: "
                       "a client's request sets Manage_Gids"),
            std::string::npos)
      << server_->LogTail();
}

INSTANTIATE_TEST_SUITE_P(Versions, SafetyDefaults, ::testing::Values(3, 4),
                         [](const ::testing::TestParamInfo<int>& param) {
                           return "NFSv" + std::to_string(param.param);
                         });

}  // namespace
}  // namespace localio::harness
