// SPDX-License-Identifier: LGPL-3.0-or-later
// Another Debian release's build against this release's stock programs
// (LOCALIO_OTHER_BUILD: that build's directory as seen from here; ci/test.sh
// runs it for each pair of releases):
//   - its libfsallocalio.so, in this release's ganesha.nfsd next to a plain
//     VFS export: the server logs why it refuses the module, the LOCALIO
//     export is not served, the VFS export is, over NFSv3 and NFSv4;
//   - its liblocalio_preload.so under this release's unmodified nfs-cp: built
//     for another libnfs (Debian 12's libnfs.so.13 against 13's and 14's
//     libnfs.so.14), the copy works, over RPC, with one stderr line that
//     says why; built for this same libnfs (13 and 14 share 5.0.2), the
//     copy bypasses, silently.
// Without LOCALIO_OTHER_BUILD the program exits 77 (ctest: skipped).
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <sstream>
#include <string>

#include "harness/files.h"
#include "harness/fsal_paths.h"
#include "harness/ganesha_server.h"
#include "harness/gtest_support.h"
#include "harness/loopback.h"
#include "harness/process.h"
#include "harness/temp_dir.h"

namespace localio::harness {
namespace {

namespace fs = std::filesystem;

constexpr uint16_t kLocalio = 1, kVfs = 2;

std::string OtherBuild(const std::string& rel) {
  const char* dir = std::getenv("LOCALIO_OTHER_BUILD");
  return std::string(dir == nullptr ? "" : dir) + "/" + rel;
}

// Lines of `text` that contain `needle` ("" : every non-empty line).
int CountLines(const std::string& text, const std::string& needle) {
  int n = 0;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);)
    n += !line.empty() && line.find(needle) != std::string::npos;
  return n;
}

ServerOptions TwoExports(const std::string& fsal_library) {
  ServerOptions options;
  options.exports = {MakeExport(kLocalio, Fsal::kLocalio), MakeExport(kVfs, Fsal::kVfs)};
  options.fsal_library = fsal_library;
  return options;
}

TEST(CrossVersion, AnotherVersionsFsalIsRefusedAndTheOtherExportsServe) {
  const std::string foreign = OtherBuild("fsal_localio/libfsallocalio.so");
  ASSERT_TRUE(fs::exists(foreign)) << foreign;
  ServerOptions options = TwoExports(foreign);
  options.unserved_exports = {kLocalio};
  GaneshaServer server(options);
  // Starts once the VFS export is served, and the LOCALIO export is not.
  const Status start = server.Start();
  ASSERT_TRUE(start.ok()) << start.message;

  const std::string log = ReadFile(server.log_path());
  EXPECT_EQ(CountLines(log, "LOCALIO: libfsallocalio.so was built for nfs-ganesha "), 1) << log;
  EXPECT_NE(log.find("but this server is nfs-ganesha "), std::string::npos) << log;
  EXPECT_EQ(log.find(":FATAL :"), std::string::npos) << log;

  ASSERT_TRUE(WriteFile(server.ExportDir(kVfs) + "/hello.txt", "served by VFS\n"));
  for (int version : {3, 4}) {
    SCOPED_TRACE("NFSv" + std::to_string(version));
    CommandResult cat;
    ASSERT_TRUE(RunCommand({"nfs-cat", server.Url(kVfs, version, "hello.txt")},
                           std::chrono::seconds(60), &cat)
                    .ok());
    EXPECT_TRUE(cat.Succeeded()) << cat.Describe() << server.LogTail();
    EXPECT_EQ(cat.out, "served by VFS\n");
  }
  server.Stop();
}

TEST(CrossVersion, AnotherReleasesShimStaysOutOfTheWayOrBypassesOnTheSameLibnfs) {
  const std::string shim = OtherBuild("client_plugin/preload/liblocalio_preload.so");
  ASSERT_TRUE(fs::exists(shim)) << shim;
  std::string other_soname = ReadFile(OtherBuild("libnfs-soname.txt"));
  ASSERT_FALSE(other_soname.empty()) << OtherBuild("libnfs-soname.txt");
  other_soname.erase(other_soname.find_last_not_of('\n') + 1);
  const bool same_libnfs = other_soname == LOCALIO_LIBNFS_SONAME;
  ASSERT_TRUE(LocalioFsalBuilt());
  GaneshaServer server(TwoExports(""));
  const Status start = server.Start();
  ASSERT_TRUE(start.ok()) << start.message;

  TempDir scratch;
  ASSERT_TRUE(scratch.Create("localio-cross").ok());
  const std::string data(4 << 20, 'x');
  for (int version : {3, 4}) {
    SCOPED_TRACE("NFSv" + std::to_string(version));
    const std::string name = "cross-v" + std::to_string(version) + ".bin";
    ASSERT_TRUE(WriteFile(server.ExportDir(kLocalio) + "/" + name, data));
    const std::string out = scratch.path() + "/" + name;
    CommandResult copy;
    const uint64_t before = LoopbackBytes();
    ASSERT_TRUE(RunCommand({"env", "LD_PRELOAD=" + shim, "LOCALIO_MAP=" + server.map_path(),
                            "nfs-cp", server.Url(kLocalio, version, name), out},
                           std::chrono::seconds(120), &copy)
                    .ok());
    const uint64_t moved = LoopbackBytes() - before;
    ASSERT_TRUE(copy.Succeeded()) << copy.Describe();
    EXPECT_EQ(ReadFile(out), data);
    if (same_libnfs) {
      EXPECT_LT(moved, data.size() / 100) << "a shim for " << other_soname << " did not bypass";
      EXPECT_EQ(copy.err, "");
      fs::remove(out);
      continue;
    }
    EXPECT_GT(moved, data.size()) << "the copy did not go through RPC";
    EXPECT_EQ(CountLines(copy.err, ""), 1) << "one line: " << copy.err;
    EXPECT_EQ(copy.err.rfind("localio: this shim is built for libnfs.so.", 0), 0u) << copy.err;
    EXPECT_NE(copy.err.find("bypass disabled"), std::string::npos) << copy.err;
    fs::remove(out);
  }
  server.Stop();
}

}  // namespace
}  // namespace localio::harness

int main(int argc, char** argv) {
  if (std::getenv("LOCALIO_OTHER_BUILD") == nullptr) {
    std::puts("LOCALIO_OTHER_BUILD is not set: no other release's build to try (ci/test.sh sets it)");
    return 77;
  }
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
