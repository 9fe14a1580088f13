// SPDX-License-Identifier: LGPL-3.0-or-later
// Map squatting (issue 22), against the real ganesha.nfsd: a uid-1001
// neighbour (localio-squatter under setpriv) takes the map's path first, in
// a directory anyone may write (sticky, as /dev/shm), with a map and hello
// file of its own made by MapWriter and a LOCALIO listener that confirms
// them; its map sends the victim's file, by its real handle, to a file of
// the neighbour's with other data. Then the real server starts with that
// Map_Path. The server must refuse to publish there, saying what to fix,
// and the victims — root on the C API (NFSv3 and v4), uid 1000 under the
// shim (nfs-cat, nfs-cp) — must refuse the neighbour's map, read the
// server's data and write the server's file, never the neighbour's.
#include <gtest/gtest.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <memory>
#include <sstream>
#include <string>
#include <thread>

#include "harness/files.h"
#include "harness/gtest_support.h"
#include "harness/process.h"
#include "harness/temp_dir.h"
#include "safety_support.h"

namespace localio::harness {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr uint16_t kExport = 1;
constexpr char kFile[] = "victim.bin";
// The same length, so that a read of either says whose file it came from.
constexpr char kRealData[] = "VICTIM-REAL-DATA";
constexpr char kAttackerData[] = "ATTACKER-DATA---";

// The value of `key=` on the line of `file` that starts with `prefix`,
// polled until it appears or `timeout` passes ("" then).
std::string WaitForField(const std::string& file, const std::string& prefix,
                         const std::string& key, milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  do {
    std::istringstream lines(ReadFile(file));
    for (std::string line; std::getline(lines, line);) {
      if (line.rfind(prefix, 0) != 0) continue;
      const size_t at = line.find(key + "=");
      if (at == std::string::npos) continue;
      const size_t end = line.find(' ', at);
      return line.substr(at + key.size() + 1, end == std::string::npos ? end : end - at - key.size() - 1);
    }
    std::this_thread::sleep_for(milliseconds(50));
  } while (std::chrono::steady_clock::now() < deadline);
  return "";
}

// setpriv as `uid` (and its gid, no other groups) in front of `argv`.
std::vector<std::string> As(uid_t uid, std::vector<std::string> argv) {
  std::vector<std::string> out = {"setpriv", "--reuid=" + std::to_string(uid),
                                  "--regid=" + std::to_string(uid), "--clear-groups", "--"};
  out.insert(out.end(), argv.begin(), argv.end());
  return out;
}

class SafetySquatting : public SuiteServerTest<SafetySquatting, ::testing::TestWithParam<int>> {
 protected:
  static void SetUpTestSuite() {
    start_ = Squat();
    if (!start_.ok()) return;
    ServerOptions options = OneExport();
    options.map_path = map_;
    StartSuiteServer(options);
    if (!start_.ok()) return;
    // The neighbour learns the victim file's handle over NFS, as any
    // client may.
    start_ = WriteLocalFile(server_->ExportDir(kExport) + "/" + kFile, kRealData, 0666);
    if (!start_.ok()) return;
    const std::string line =
        server_->Url(kExport, 3, kFile) + " " + std::to_string(server_->nfs_port()) + "\n";
    start_ = WriteLocalFile(target_ + ".new", line, 0644);
    if (start_.ok() && rename((target_ + ".new").c_str(), target_.c_str()) != 0)
      start_ = Status::Error(-errno, "cannot write " + target_);
    if (start_.ok() &&
        WaitForField(squatter_out_, "published", "export", seconds(60)) != std::to_string(kExport))
      start_ = Status::Error(-ETIMEDOUT, "the squatter did not map the victim's handle: " +
                                             ReadFile(squatter_out_));
  }

  // The neighbour takes `map_` before any server runs.
  static Status Squat() {
    tmp_ = std::make_unique<TempDir>();
    if (Status s = tmp_->Create("localio-squat", "/dev/shm"); !s.ok()) return s;
    const std::string shared = tmp_->path() + "/shared";
    if (chmod(tmp_->path().c_str(), 0755) != 0 || mkdir(shared.c_str(), 0755) != 0 ||
        chmod(shared.c_str(), 01777) != 0)  // as /dev/shm: anyone adds, no one renames another's
      return Status::Error(-errno, "cannot make " + shared);
    map_ = shared + "/map";
    target_ = tmp_->path() + "/target";
    squatter_out_ = tmp_->path() + "/squatter.out";
    squatter_ = std::make_unique<ChildProcess>();
    if (Status s = squatter_->Spawn(As(1001, {LOCALIO_SQUATTER, shared, target_, kFile, kAttackerData}),
                                    squatter_out_);
        !s.ok())
      return s;
    attacker_file_ = WaitForField(squatter_out_, "squatting", "file", seconds(30));
    if (attacker_file_.empty())
      return Status::Error(-ETIMEDOUT, "the squatter did not take " + map_ + ": " +
                                           ReadFile(squatter_out_));
    struct stat st;
    if (lstat(map_.c_str(), &st) != 0 || st.st_uid != 1001)
      return Status::Error(-EIO, map_ + " is not the squatter's");
    return Status::Ok();
  }

  static void TearDownTestSuite() {
    SuiteServerTest::TearDownTestSuite();
    if (squatter_) squatter_->Terminate(seconds(5));
    squatter_.reset();
    tmp_.reset();
  }

  void SetUp() override {
    SuiteServerTest::SetUp();
    // In place: the neighbour mapped this inode's handle, and a new file
    // would have another. Every test writes as many bytes as this, so the
    // size Ganesha cached stays true.
    ASSERT_TRUE(WriteFile(InExport(), kRealData));  // O_TRUNC: the same inode
    ASSERT_EQ(ReadFile(InExport()), kRealData);
    ASSERT_EQ(ReadFile(attacker_file_), kAttackerData);
  }
  void TearDown() override {
    // The neighbour's file is never written, whatever the test did.
    if (!attacker_file_.empty()) {
      EXPECT_EQ(ReadFile(attacker_file_), kAttackerData);
    }
    SuiteServerTest::TearDown();
  }

  static std::string InExport() { return server_->ExportDir(kExport) + "/" + kFile; }
  int Version() const { return GetParam(); }

  inline static std::unique_ptr<TempDir> tmp_;
  inline static std::unique_ptr<ChildProcess> squatter_;
  inline static std::string map_, target_, squatter_out_, attacker_file_;
};

TEST_P(SafetySquatting, TheServerRefusesAMapPathInADirectoryOthersMayWrite) {
  const std::string dir = map_.substr(0, map_.rfind('/'));
  const std::string log = ReadFile(server_->log_path());
  EXPECT_NE(log.find("LOCALIO: bypass disabled, exports are served through RPC only: Map_Path " +
                     map_ + ": its directory " + dir +
                     " is writable by group and others (mode 1777)"),
            std::string::npos)
      << server_->LogTail();
  EXPECT_NE(log.find("e.g. /run/localio"), std::string::npos) << "says what to use instead";
}

TEST_P(SafetySquatting, TheCApiRefusesTheNeighboursMapAndUsesTheServersFile) {
  std::unique_ptr<LocalioMount> m;
  ASSERT_TRUE(LocalioMount::Attach(server_->Url(kExport, Version(), ""), ConfigWithMap(map_), &m)
                  .ok());
  EXPECT_EQ(localio_is_local(m->ctx()), 0);
  const std::string dir = map_.substr(0, map_.rfind('/'));
  EXPECT_NE(m->Error().find("directory " + dir + " of map " + map_ +
                            " is writable by group and others (mode 1777)"),
            std::string::npos)
      << m->Error();
  EXPECT_NE(m->Error().find("not trusted"), std::string::npos) << m->Error();

  nfsfh* fh = nullptr;
  ASSERT_EQ(localio_open(m->ctx(), (std::string("/") + kFile).c_str(), O_RDWR, &fh), 0)
      << m->Error();
  EXPECT_EQ(ReadThroughLocalio(m->ctx(), fh), (ReadOutcome{0, kRealData}));
  const std::string wrote = "C-API-WROTE-v" + std::to_string(Version()) + "--";
  ASSERT_EQ(wrote.size(), sizeof kRealData - 1);
  ASSERT_EQ(WriteThroughLocalio(m->ctx(), fh, 0, wrote), 0) << m->Error();
  ASSERT_EQ(localio_close(m->ctx(), fh), 0) << m->Error();
  EXPECT_EQ(ReadFile(InExport()), wrote) << "the write must reach the server's file";
  const localio_counters c = m->Counters();
  EXPECT_EQ(c.read_ops + c.write_ops, 0u) << Describe(c);
  EXPECT_EQ(c.handshakes_ok, 0u) << Describe(c);
}

TEST_P(SafetySquatting, AnUnmodifiedProgramOfUid1000UnderTheShimUsesTheServersFile) {
  const std::string url = server_->Url(kExport, Version(), kFile);
  const std::vector<std::string> env = {"env", std::string("LD_PRELOAD=") + LOCALIO_PRELOAD_LIBRARY,
                                        "LOCALIO_MAP=" + map_, "LOCALIO_LOG=2"};
  std::vector<std::string> cat = env;
  cat.insert(cat.end(), {LOCALIO_NFS_CAT, url});
  CommandResult r;
  ASSERT_TRUE(RunCommand(As(1000, cat), seconds(60), &r).ok());
  ASSERT_TRUE(r.Succeeded()) << r.Describe();
  EXPECT_EQ(r.out, kRealData);
  EXPECT_NE(r.err.find("not trusted"), std::string::npos) << r.err;

  // nfs-cp creates its target exclusively; the tests' libnfs client
  // (linked with libnfs only) opens the existing file, as the neighbour's
  // map expects. Over NFSv3 in both cases: libnfs 4.0 opens with O_CREAT
  // over NFSv4 by EXCLUSIVE4, which an existing file never answers (the C
  // API test writes over NFSv4).
  const std::string local = tmp_->path() + "/from-uid-1000-v" + std::to_string(Version());
  const std::string wrote = "SHIM-WROTE-v" + std::to_string(Version()) + "---";
  ASSERT_EQ(wrote.size(), sizeof kRealData - 1);
  ASSERT_TRUE(WriteLocalFile(local, wrote, 0644).ok());
  std::vector<std::string> cp = env;
  cp.insert(cp.end(), {LOCALIO_NFS_CLIENT, server_->Url(kExport, 3, ""), "put", local, kFile});
  ASSERT_TRUE(RunCommand(As(1000, cp), seconds(60), &r).ok());
  ASSERT_TRUE(r.Succeeded()) << r.Describe();
  EXPECT_EQ(ReadFile(InExport()), wrote) << "the write must reach the server's file";
}

INSTANTIATE_TEST_SUITE_P(Versions, SafetySquatting, ::testing::Values(3, 4),
                         [](const ::testing::TestParamInfo<int>& param) {
                           return "NFSv" + std::to_string(param.param);
                         });

}  // namespace
}  // namespace localio::harness
