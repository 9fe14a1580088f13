// SPDX-License-Identifier: LGPL-3.0-or-later
// The harness against the real ganesha.nfsd: start, stop, crash and restart
// on the same ports, reload, log tail. Label: integration.
#include <signal.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "harness/files.h"
#include "harness/ganesha_server.h"
#include "harness/gtest_support.h"
#include "harness/rpc_ping.h"

namespace localio::harness {
namespace {

using std::chrono::milliseconds;

ServerOptions OneVfsExport() {
  ServerOptions o;
  ExportOptions e;
  e.id = 5;
  e.fsal = Fsal::kVfs;
  o.exports.push_back(e);
  return o;
}

bool NfsAnswers(const GaneshaServer& s) {
  return RpcNullPing("127.0.0.1", s.nfs_port(), kNfsProgram, 3, milliseconds(500)).ok();
}

bool LogShowsWithin(const GaneshaServer& s, const std::string& text, milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  do {
    if (ReadFile(s.log_path()).find(text) != std::string::npos) return true;
    std::this_thread::sleep_for(milliseconds(50));
  } while (std::chrono::steady_clock::now() < deadline);
  return false;
}

class GaneshaServerTest : public ::testing::Test {
 protected:
  void TearDown() override { PrintLogTailIfFailed(server_.get()); }
  std::unique_ptr<GaneshaServer> server_ = std::make_unique<GaneshaServer>(OneVfsExport());
};

TEST_F(GaneshaServerTest, StartsAnsweringAndStopRemovesEverything) {
  ASSERT_TRUE(server_->Start().ok());
  EXPECT_TRUE(NfsAnswers(*server_));
  EXPECT_TRUE(RpcNullPing("127.0.0.1", server_->mnt_port(), kMountProgram, 3, milliseconds(500)).ok());
  EXPECT_TRUE(std::filesystem::is_directory(server_->ExportDir(5)));
  EXPECT_EQ(server_->Url(5, 4, "f"), "nfs://127.0.0.1/export-5/f?version=4&nfsport=" +
                                         std::to_string(server_->nfs_port()));
  const std::string conf = ReadFile(server_->config_path());
  EXPECT_NE(conf.find("NFS_Port = " + std::to_string(server_->nfs_port()) + ";"), std::string::npos);
  // Ganesha serves RPC before it logs that it is initialised (nfs_start
  // starts the service threads, then logs), so the line may come a moment
  // after Start returns.
  EXPECT_TRUE(LogShowsWithin(*server_, "NFS SERVER INITIALIZED", milliseconds(10000)))
      << server_->LogTail();

  const pid_t pid = server_->pid();
  const std::string dir = server_->dir();
  server_->Stop();
  EXPECT_FALSE(server_->Running());
  EXPECT_NE(kill(pid, 0), 0) << "ganesha.nfsd pid " << pid << " still exists";
  EXPECT_FALSE(NfsAnswers(*server_));
  server_.reset();
  if (!KeepTempDirs()) {
    EXPECT_FALSE(std::filesystem::exists(dir));
  }
}

TEST_F(GaneshaServerTest, Kill9ThenRestartServesOnTheSamePortsAndKeepsFiles) {
  ASSERT_TRUE(server_->Start().ok());
  const uint16_t port = server_->nfs_port();
  std::ofstream(server_->ExportDir(5) + "/kept") << "x";
  server_->Kill9();
  EXPECT_FALSE(server_->Running());
  EXPECT_FALSE(NfsAnswers(*server_));
  Status s = server_->Restart();
  ASSERT_TRUE(s.ok()) << s.message;
  EXPECT_EQ(server_->nfs_port(), port);
  EXPECT_TRUE(NfsAnswers(*server_));
  EXPECT_TRUE(std::filesystem::exists(server_->ExportDir(5) + "/kept"));
}

TEST_F(GaneshaServerTest, ReloadAddsAnExportWhileTheServerKeepsRunning) {
  ASSERT_TRUE(server_->Start().ok());
  ExportOptions extra;
  extra.id = 6;
  extra.fsal = Fsal::kVfs;
  std::vector<ExportOptions> exports = server_->exports();
  exports.push_back(extra);
  ASSERT_TRUE(server_->SetExports(exports).ok());
  EXPECT_NE(ReadFile(server_->config_path()).find("Export_Id = 6;"), std::string::npos);
  const pid_t pid = server_->pid();
  ASSERT_TRUE(server_->Reload().ok());
  bool listed = false;
  for (int i = 0; i < 100 && !listed; ++i) {
    std::vector<std::string> served;
    if (MountExportList("127.0.0.1", server_->mnt_port(), milliseconds(500), &served).ok()) {
      listed = std::find(served.begin(), served.end(), server_->ExportDir(6)) != served.end();
    }
    if (!listed) std::this_thread::sleep_for(milliseconds(50));
  }
  EXPECT_TRUE(listed) << "export 6 not served after SIGHUP";
  EXPECT_TRUE(server_->Running());
  EXPECT_EQ(server_->pid(), pid);
  EXPECT_TRUE(NfsAnswers(*server_));
}

TEST(GaneshaServerStart, FailsNamingAnExportGaneshaDidNotLoad) {
  ServerOptions o = OneVfsExport();
  // An export naming an FSAL that is not in Plugins_Dir is fatal at startup.
  ExportOptions bad;
  bad.id = 9;
  bad.fsal = Fsal::kVfs;
  bad.fsal_lines = {"Name = NOSUCHFSAL;"};  // a second Name: the last one wins
  o.exports.push_back(bad);
  GaneshaServer server(o);
  Status s = server.Start(std::chrono::seconds(3));
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message.find("ganesha.log"), std::string::npos) << s.message;
  EXPECT_NE(s.message.find("export(s) 9 "), std::string::npos) << s.message;
  EXPECT_FALSE(server.Running());
}

}  // namespace
}  // namespace localio::harness
