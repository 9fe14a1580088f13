// SPDX-License-Identifier: LGPL-3.0-or-later
// The identity of local I/O under liblocalio_preload.so, NFSv3 and NFSv4: a
// libnfs program that knows nothing of LOCALIO (identity_client.cc) runs
// the same operations with the shim and without it, as root with the RPC
// identity set by the URL (?uid=1000&gid=1000), by nfs_set_uid/nfs_set_gid
// or by nfs_set_auth after the mount. Both runs must print the same
// results (what RPC refuses the bypass refuses, the export's file
// unchanged), and the shim's debug log must show the reads it may serve
// served from the local file.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "harness/files.h"
#include "harness/gtest_support.h"
#include "harness/process.h"

namespace localio::harness {
namespace {

constexpr uint16_t kExport = 1;
constexpr uid_t kUser = 1000;

class PreloadIdentity : public SuiteServerTest<PreloadIdentity, ::testing::TestWithParam<int>> {
 protected:
  static void SetUpTestSuite() {
    StartSuiteServer(OneExport());
    // uid 1000 mounts: it must reach the export's directory.
    if (start_.ok() && (chmod(server_->dir().c_str(), 0755) != 0 ||
                        chmod(server_->ExportDir(kExport).c_str(), 0755) != 0))
      start_ = Status::Error(-errno, "chmod of the server's directories failed");
  }

  std::string Name(const std::string& base) const {
    return base + "-v" + std::to_string(GetParam());
  }
  std::string InExport(const std::string& name) const {
    return server_->ExportDir(kExport) + "/" + name;
  }
  // `data` in the export's file `name`, owned by uid:uid with `mode`.
  void Place(const std::string& name, const std::string& data, uid_t uid, mode_t mode) {
    const std::string path = InExport(name);
    EXPECT_TRUE(WriteFile(path, data)) << path;
    EXPECT_EQ(chown(path.c_str(), uid, uid), 0) << path;
    EXPECT_EQ(chmod(path.c_str(), mode), 0) << path;
  }

  // Runs the client on the export's URL (+ `query`) with `ops`, with or
  // without the shim (whose log level is debug: it names each file it
  // opened locally).
  CommandResult Run(const std::string& query, const std::vector<std::string>& ops, bool shim) {
    std::vector<std::string> argv = {"env"};
    if (shim) {
      argv.push_back(std::string("LD_PRELOAD=") + LOCALIO_PRELOAD_LIBRARY);
      argv.push_back("LOCALIO_MAP=" + server_->map_path());
      argv.push_back("LOCALIO_LOG=3");
    }
    argv.push_back(LOCALIO_IDENTITY_CLIENT);
    argv.push_back(server_->Url(kExport, GetParam(), "") + query);
    argv.insert(argv.end(), ops.begin(), ops.end());
    CommandResult r;
    const Status s = RunCommand(argv, std::chrono::minutes(1), &r);
    EXPECT_TRUE(s.ok()) << s.message;
    EXPECT_TRUE(r.Succeeded()) << r.Describe();
    std::printf("NFSv%d %s:\n%s", GetParam(), shim ? "shim" : "no shim", r.out.c_str());
    return r;
  }

  // Runs `ops(run)` without the shim (run "rpc") and with it (run "shim"),
  // after `place(run)`: each run has files of its own (the server's cache
  // has seen the first run's changes). The shim's run must print what the
  // plain run prints; returns the shim's.
  template <class Place, class Ops>
  CommandResult RunBoth(const std::string& query, Place place, Ops ops) {
    place("rpc");
    const CommandResult plain = Run(query, ops("rpc"), /*shim=*/false);
    place("shim");
    const CommandResult shim = Run(query, ops("shim"), /*shim=*/true);
    EXPECT_EQ(shim.out, plain.out) << "the shim's results differ from RPC's";
    return shim;
  }

  // How many times the shim's log says it opened `name` locally.
  static int LocalOpens(const CommandResult& r, const std::string& name) {
    int n = 0;
    for (size_t at = 0; (at = r.err.find("opened " + name + " ", at)) != std::string::npos; ++at)
      ++n;
    return n;
  }

  static std::string AsUser() {
    return "&uid=" + std::to_string(kUser) + "&gid=" + std::to_string(kUser);
  }
};

// The URL makes root uid 1000: a write to a root file whose write
// permission is taken from others after the open is refused by RPC and not
// made locally.
TEST_P(PreloadIdentity, TheUrlsUidIsTheIdentityOfLocalWrites) {
  const std::string data = "ORIGINAL-CONTENT";
  const auto name = [this](const std::string& run) { return Name("url-write-" + run); };
  const CommandResult r = RunBoth(
      AsUser(), [&](const std::string& run) { Place(name(run), data, 0, 0666); },
      [&](const std::string& run) {
        const std::string path = "/" + name(run);
        std::vector<std::string> ops = {"open", path, "rw"};
        // libnfs's NFSv4 open for writing fails for any user but root
        // (safety_identity_test.cc): there it opens as root and goes back.
        if (GetParam() == 4) ops = {"ids", "0", "0", "open", path, "rw", "ids", "1000", "1000"};
        ops.insert(ops.end(), {"chmod", path, "644", "write", "NEWDATA!", "close"});
        return ops;
      });
  EXPECT_NE(r.out.find("write -"), std::string::npos) << "RPC let uid 1000 write";
  EXPECT_EQ(ReadFile(InExport(name("rpc"))), data);
  EXPECT_EQ(ReadFile(InExport(name("shim"))), data) << "the shim wrote as another user:\n" << r.err;
}

// uid 1000's own 0600 file is read locally; root's file made 0600 after
// the open is not.
TEST_P(PreloadIdentity, TheUrlsUidIsTheIdentityOfLocalReads) {
  const auto mine = [this](const std::string& run) { return Name("url-mine-" + run); };
  const auto taken = [this](const std::string& run) { return Name("url-taken-" + run); };
  const CommandResult r = RunBoth(
      AsUser(),
      [&](const std::string& run) {
        Place(mine(run), "MINE", kUser, 0600);
        Place(taken(run), "TAKEN", 0, 0644);
      },
      [&](const std::string& run) -> std::vector<std::string> {
        return {"open", "/" + mine(run), "r", "read", "close", "open", "/" + taken(run), "r",
                "chmod", "/" + taken(run), "600", "read", "close"};
      });
  EXPECT_NE(r.out.find("read 4 MINE\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("read -"), std::string::npos) << "RPC let uid 1000 read root's 0600 file";
  EXPECT_EQ(LocalOpens(r, mine("shim")), 1) << r.err;
  EXPECT_EQ(LocalOpens(r, taken("shim")), 0) << r.err;
}

// nfs_set_uid/nfs_set_gid and nfs_set_auth after the mount: the next read
// acts as the new identity (root's 0600 file: refused), and as root again
// when root comes back (read locally again).
TEST_P(PreloadIdentity, TheIdentitySetAfterTheMountActsAtTheNextRead) {
  const auto name = [this](const std::string& run) { return Name("switch-" + run); };
  const CommandResult r = RunBoth(
      "", [&](const std::string& run) { Place(name(run), "ROOTS", 0, 0600); },
      [&](const std::string& run) -> std::vector<std::string> {
        return {"open", "/" + name(run), "r", "read", "ids", "1000", "1000", "read", "ids", "0",
                "0", "read", "auth", "1000", "1000", "-", "read", "auth", "0", "0", "-",
                "read", "close"};
      });
  size_t oks = 0;
  for (size_t at = 0; (at = r.out.find("read 5 ROOTS\n", at)) != std::string::npos; ++at) ++oks;
  EXPECT_EQ(oks, 3u) << r.out;
  EXPECT_EQ(LocalOpens(r, name("shim")), 3) << "root's reads were not all local:\n" << r.err;
}

INSTANTIATE_TEST_SUITE_P(Versions, PreloadIdentity, ::testing::Values(3, 4),
                         [](const ::testing::TestParamInfo<int>& param) {
                           return "v" + std::to_string(param.param);
                         });

}  // namespace
}  // namespace localio::harness
