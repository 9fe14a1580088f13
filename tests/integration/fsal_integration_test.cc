// SPDX-License-Identifier: LGPL-3.0-or-later
// The stacked FSAL against the stock ganesha.nfsd, through unmodified libnfs
// utilities (nfs-cp, nfs-cat, nfs-ls) and a small libnfs client. Every test
// runs for {LOCALIO over VFS, plain VFS} x {NFSv3, NFSv4} and must behave the
// same on both FSALs. One server per run holds all exports (RW and RO of each
// FSAL) because starting ganesha costs seconds.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "harness/libnfs_limits.h"
#include "harness/files.h"
#include "harness/fsal_paths.h"
#include "harness/random_file.h"
#include "harness/gtest_support.h"
#include "harness/process.h"

namespace localio::harness {
namespace {

namespace fs = std::filesystem;
using std::chrono::seconds;

constexpr uint16_t kLocalioRw = 1, kLocalioRo = 2, kVfsRw = 3, kVfsRo = 4;
constexpr uint64_t kLargeFileSize = 64ull << 20;
// libnfs 4.0 cannot encode an NFSv4 WRITE above ~3.9 KiB (libnfs_limits.h),
// so its nfs-cp (1 MiB writes) cannot write large files over v4: there,
// large v4 writes go through the test client in chunks that fit.
const std::string kV4WriteChunk = std::to_string(harness::kMaxV4RpcWrite);

struct Variant {
  Fsal fsal;
  int version;
};

void PrintTo(const Variant& v, std::ostream* os) { *os << FsalName(v.fsal) << " NFSv" << v.version; }

std::string VariantName(const ::testing::TestParamInfo<Variant>& info) {
  return std::string(FsalName(info.param.fsal)) + "_v" + std::to_string(info.param.version);
}

CommandResult Exec(const std::vector<std::string>& argv) {
  CommandResult r;
  Status s = RunCommand(argv, seconds(120), &r);
  if (!s.ok()) ADD_FAILURE() << s.message;
  return r;
}

std::string Sha256(const std::string& path) {
  CommandResult r = Exec({LOCALIO_SHA256SUM, path});
  EXPECT_TRUE(r.Succeeded()) << r.Describe();
  return r.out.substr(0, r.out.find(' '));
}

// nfs-ls output: name -> first character of the mode ('d' or '-').
std::map<std::string, char> ParseListing(const std::string& out) {
  std::map<std::string, char> entries;
  std::istringstream lines(out);
  for (std::string line; std::getline(lines, line);) {
    const size_t space = line.find_last_of(' ');
    if (line.empty() || space == std::string::npos) continue;
    entries[line.substr(space + 1)] = line[0];
  }
  return entries;
}

class FsalIntegration
    : public SuiteServerTest<FsalIntegration, ::testing::TestWithParam<Variant>> {
 protected:
  static void SetUpTestSuite() {
    ServerOptions options;
    if (LocalioFsalBuilt()) {
      options.exports.push_back(MakeExport(kLocalioRw, Fsal::kLocalio, Access::kReadWrite));
      options.exports.push_back(MakeExport(kLocalioRo, Fsal::kLocalio, Access::kReadOnly));
    }
    options.exports.push_back(MakeExport(kVfsRw, Fsal::kVfs, Access::kReadWrite));
    options.exports.push_back(MakeExport(kVfsRo, Fsal::kVfs, Access::kReadOnly));
    StartSuiteServer(options, "localio-integration");
  }

  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(SuiteServerTest::SetUp());
    if (GetParam().fsal == Fsal::kLocalio) {
      ASSERT_TRUE(LocalioFsalBuilt())
          << "libfsallocalio.so is not built (" << LocalioFsalLibrary() << ")";
    }
  }

  bool Localio() const { return GetParam().fsal == Fsal::kLocalio; }
  int Version() const { return GetParam().version; }
  int OtherVersion() const { return GetParam().version == 3 ? 4 : 3; }
  uint16_t RwExport() const { return Localio() ? kLocalioRw : kVfsRw; }
  uint16_t RoExport() const { return Localio() ? kLocalioRo : kVfsRo; }
  // A file name unique to this variant, as all variants share the exports.
  std::string Unique(const std::string& base) const {
    return base + "-" + FsalName(GetParam().fsal) + "-v" + std::to_string(Version());
  }
  std::string Local(const std::string& name) const { return scratch_->path() + "/" + name; }
  std::string InExport(uint16_t id, const std::string& rel) const {
    return server_->ExportDir(id) + "/" + rel;
  }
  std::string Url(uint16_t id, int version, const std::string& rel) const {
    return server_->Url(id, version, rel);
  }
  std::map<std::string, char> List(uint16_t id, int version, const std::string& dir) {
    CommandResult r = Exec({LOCALIO_NFS_LS, Url(id, version, dir)});
    EXPECT_TRUE(r.Succeeded()) << "nfs-ls " << Url(id, version, dir) << ": " << r.Describe();
    return ParseListing(r.out);
  }
  CommandResult Client(int version, const std::vector<std::string>& args) {
    std::vector<std::string> argv = {LOCALIO_NFS_CLIENT, Url(RwExport(), version, "")};
    argv.insert(argv.end(), args.begin(), args.end());
    return Exec(argv);
  }
};

TEST_P(FsalIntegration, LargeFileWrittenViaOneVersionReadsBackIdenticallyViaTheOther) {
  const std::string name = Unique("large") + ".bin";
  const std::string source = Local(name);
  const Status written =
      harness::WriteRandomFile(source, kLargeFileSize, std::hash<std::string>{}(name));
  ASSERT_TRUE(written.ok()) << written.message;
  const std::string want = Sha256(source);

  CommandResult w = Version() == 3 || !harness::kLibnfsSmallV4Writes
      ? Exec({LOCALIO_NFS_CP, source, Url(RwExport(), Version(), name)})
      : Client(4, {"put", source, name, kV4WriteChunk});
  ASSERT_TRUE(w.Succeeded()) << w.Describe();

  const std::string stored = InExport(RwExport(), name);
  ASSERT_TRUE(fs::exists(stored)) << stored;
  EXPECT_EQ(fs::file_size(stored), kLargeFileSize);
  EXPECT_EQ(Sha256(stored), want) << "file in the export dir differs from what was written";

  const std::string back = Local(name + ".back");
  CommandResult r = Exec({LOCALIO_NFS_CP, Url(RwExport(), OtherVersion(), name), back});
  ASSERT_TRUE(r.Succeeded()) << r.Describe();
  EXPECT_EQ(r.out, "copied " + std::to_string(kLargeFileSize) + " bytes\n");
  EXPECT_EQ(Sha256(back), want) << "read back via NFSv" << OtherVersion() << " differs";

  fs::remove(source);
  fs::remove(back);
  fs::remove(stored);
}

TEST_P(FsalIntegration, NfsCpWritesASmallFileThatReadsBackExactly) {
  // Small enough for one libnfs 4.0 v4 WRITE (see kV4WriteChunk).
  const std::string name = Unique("small") + ".txt";
  const std::string text = "small file for " + name + "\n";
  ASSERT_TRUE(WriteFile(Local(name), text));
  CommandResult w = Exec({LOCALIO_NFS_CP, Local(name), Url(RwExport(), Version(), name)});
  ASSERT_TRUE(w.Succeeded()) << w.Describe();
  EXPECT_EQ(ReadFile(InExport(RwExport(), name)), text);
}

TEST_P(FsalIntegration, NfsCatPrintsASmallFile) {
  const std::string name = Unique("cat") + ".txt";
  const std::string text = "hello from " + name + "\nsecond line\n";
  ASSERT_TRUE(WriteFile(InExport(RwExport(), name), text));
  CommandResult r = Exec({LOCALIO_NFS_CAT, Url(RwExport(), Version(), name)});
  ASSERT_TRUE(r.Succeeded()) << r.Describe();
  EXPECT_EQ(r.out, text);
}

TEST_P(FsalIntegration, NfsLsListsCreatedFilesAndDirectories) {
  const std::string dir = Unique("lsdir");
  const std::string file = Unique("lsfile") + ".txt";
  CommandResult m = Client(Version(), {"mkdir", dir});
  ASSERT_TRUE(m.Succeeded()) << m.Describe();
  ASSERT_TRUE(WriteFile(Local(file), "x\n"));
  CommandResult w = Exec({LOCALIO_NFS_CP, Local(file), Url(RwExport(), Version(), file)});
  ASSERT_TRUE(w.Succeeded()) << w.Describe();

  for (int version : {3, 4}) {
    std::map<std::string, char> entries = List(RwExport(), version, "");
    EXPECT_EQ(entries[dir], 'd') << "NFSv" << version << " listing lacks directory " << dir;
    EXPECT_EQ(entries[file], '-') << "NFSv" << version << " listing lacks file " << file;
  }
}

TEST_P(FsalIntegration, MkdirRenameUnlinkRmdirShowInTheExportAndInListings) {
  const std::string dir = Unique("ops");
  ASSERT_TRUE(Client(Version(), {"mkdir", dir}).Succeeded());
  EXPECT_TRUE(fs::is_directory(InExport(RwExport(), dir)));

  ASSERT_TRUE(WriteFile(Local(dir + ".txt"), "renamed content\n"));
  CommandResult w = Exec({LOCALIO_NFS_CP, Local(dir + ".txt"), Url(RwExport(), Version(), dir + "/a")});
  ASSERT_TRUE(w.Succeeded()) << w.Describe();

  CommandResult r = Client(Version(), {"rename", dir + "/a", dir + "/b"});
  ASSERT_TRUE(r.Succeeded()) << r.Describe();
  EXPECT_FALSE(fs::exists(InExport(RwExport(), dir + "/a")));
  EXPECT_TRUE(fs::is_regular_file(InExport(RwExport(), dir + "/b")));
  std::map<std::string, char> listed = List(RwExport(), OtherVersion(), dir);
  EXPECT_EQ(listed.count("a"), 0u);
  EXPECT_EQ(listed.count("b"), 1u);
  CommandResult cat = Exec({LOCALIO_NFS_CAT, Url(RwExport(), OtherVersion(), dir + "/b")});
  EXPECT_EQ(cat.out, "renamed content\n") << cat.Describe();

  CommandResult u = Client(Version(), {"unlink", dir + "/b"});
  ASSERT_TRUE(u.Succeeded()) << u.Describe();
  EXPECT_FALSE(fs::exists(InExport(RwExport(), dir + "/b")));
  EXPECT_EQ(List(RwExport(), Version(), dir).count("b"), 0u);

  CommandResult d = Client(Version(), {"rmdir", dir});
  ASSERT_TRUE(d.Succeeded()) << d.Describe();
  EXPECT_FALSE(fs::exists(InExport(RwExport(), dir)));
  EXPECT_EQ(List(RwExport(), Version(), "").count(dir), 0u);
}

TEST_P(FsalIntegration, NfsCatOfAMissingFileFailsWithoutOutput) {
  CommandResult r = Exec({LOCALIO_NFS_CAT, Url(RwExport(), Version(), Unique("missing"))});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_FALSE(r.timed_out);
  EXPECT_EQ(r.out, "");
  EXPECT_NE(r.err.find("NOENT"), std::string::npos) << r.err;
}

TEST_P(FsalIntegration, WritesIntoAReadOnlyExportFailAndLeaveNothing) {
  const std::string name = Unique("ro") + ".txt";
  ASSERT_TRUE(WriteFile(Local(name), "must not land\n"));
  CommandResult cp = Exec({LOCALIO_NFS_CP, Local(name), Url(RoExport(), Version(), name)});
  EXPECT_NE(cp.exit_code, 0) << "nfs-cp into a read-only export succeeded";
  EXPECT_FALSE(fs::exists(InExport(RoExport(), name)));

  std::vector<std::string> mkdir = {LOCALIO_NFS_CLIENT, Url(RoExport(), Version(), ""), "mkdir",
                                    Unique("rodir")};
  CommandResult m = Exec(mkdir);
  EXPECT_EQ(m.exit_code, 1) << m.Describe();
  EXPECT_FALSE(fs::exists(InExport(RoExport(), Unique("rodir"))));
}

TEST_P(FsalIntegration, ReadOnlyExportServesReads) {
  const std::string name = Unique("ro-read") + ".txt";
  ASSERT_TRUE(WriteFile(InExport(RoExport(), name), "readable\n"));
  CommandResult r = Exec({LOCALIO_NFS_CAT, Url(RoExport(), Version(), name)});
  ASSERT_TRUE(r.Succeeded()) << r.Describe();
  EXPECT_EQ(r.out, "readable\n");
}

INSTANTIATE_TEST_SUITE_P(Fsal, FsalIntegration,
                         ::testing::Values(Variant{Fsal::kLocalio, 3}, Variant{Fsal::kLocalio, 4},
                                           Variant{Fsal::kVfs, 3}, Variant{Fsal::kVfs, 4}),
                         VariantName);

}  // namespace
}  // namespace localio::harness
