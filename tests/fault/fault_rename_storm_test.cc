// SPDX-License-Identifier: LGPL-3.0-or-later
// A rename / unlink / replace-by-rename storm on the server side (local
// renames the FSAL never sees, and renames over NFS that it does) while four
// client processes (NFSv3 and NFSv4) open the files by name and read and
// rewrite them through the bypass. Every 64-byte record of a storm file
// names the inode that holds it; each client checks every record it reads
// against the inode its handle names (the kernel handle's inode number;
// Ganesha's GETATTR can disagree with it under local renames, see
// fault_client.cc), so a read from a wrong inode is caught at once, and the
// test checks every inode
// afterwards for a record written to the wrong one. Replaced and unlinked
// inodes are kept open so their numbers cannot be reused mid-test.
#include <gtest/gtest.h>
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <cstdio>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "fault_records.h"
#include "fault_support.h"
#include "harness/ganesha_server.h"
#include "safety_support.h"

namespace localio::fault {
namespace {

constexpr int kNames = 6;
constexpr uint64_t kStormMs = 8000;

class FaultRenameStorm : public OneExportServerTest {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(OneExportServerTest::SetUp());
    root_ = server_->ExportDir(kExport);
    ASSERT_EQ(mkdir((root_ + "/storm").c_str(), 0755), 0);
    ASSERT_EQ(mkdir((root_ + "/stage").c_str(), 0755), 0);
  }
  void TearDown() override {
    for (int fd : held_) close(fd);
    OneExportServerTest::TearDown();
  }

  // A complete storm file in stage/, named after its inode; its path.
  std::string Staged() {
    const std::string tmp = root_ + "/stage/new-" + std::to_string(++staged_);
    const int fd = open(tmp.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    EXPECT_GE(fd, 0) << tmp;
    struct stat st;
    fstat(fd, &st);
    const std::string data = StormFileFor(st.st_ino);
    EXPECT_EQ(write(fd, data.data(), data.size()), static_cast<ssize_t>(data.size()));
    close(fd);
    return tmp;
  }
  // Keeps the inode at `path` alive (and its number unused) until TearDown.
  void Hold(const std::string& path) {
    const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd >= 0) held_.push_back(fd);
  }

  std::string root_;
  std::vector<int> held_;
  int staged_ = 0;
};

// "" when the open file holds exactly the records of its own inode.
std::string CheckInode(int fd, const std::string& what) {
  struct stat st;
  if (fstat(fd, &st) != 0) return what + ": cannot stat\n";
  std::string data(kStormFileSize + 1, '\0');
  const ssize_t n = pread(fd, data.data(), data.size(), 0);
  if (n != static_cast<ssize_t>(kStormFileSize))
    return what + ": " + std::to_string(n) + " bytes\n";
  data.resize(kStormFileSize);
  if (data == StormFileFor(st.st_ino)) return "";
  for (uint64_t off = 0; off < kStormFileSize; off += kRecordSize)
    if (!RecordIs(data.data() + off, st.st_ino, off))
      return what + " (inode " + std::to_string(st.st_ino) + ") at " + std::to_string(off) +
             " holds " + DescribeRecord(data.data() + off) + "\n";
  return what + ": differs\n";
}

TEST_F(FaultRenameStorm, NoIoEverReachesAnotherInode) {
  for (int i = 0; i < kNames; ++i)
    ASSERT_EQ(rename(Staged().c_str(), (root_ + "/storm/s" + std::to_string(i)).c_str()), 0);
  std::unique_ptr<harness::NfsSession> nfs;
  Status s = harness::NfsSession::Mount(server_->Url(kExport, 3, ""), &nfs);
  ASSERT_TRUE(s.ok()) << s.message;

  const std::string stop = server_->dir() + "/stop";
  std::vector<std::unique_ptr<FaultClient>> clients;
  for (int i = 0; i < 4; ++i) {
    const int v = i % 2 ? 4 : 3;
    clients.emplace_back();
    s = FaultClient::Start("identity", server_->Url(kExport, v, ""), server_->map_path(), stop,
                           {"dir=/storm", "names=" + std::to_string(kNames), "seconds=60"},
                           server_->dir() + "/client-" + std::to_string(i) + ".out",
                           &clients.back());
    ASSERT_TRUE(s.ok()) << s.message;
  }
  for (auto& c : clients)
    ASSERT_TRUE(c->WaitFor("ready", 0, seconds(20))) << "never bypassed:\n" << c->Output();

  std::mt19937 rng(7);
  int ops[5] = {};
  const uint64_t end = NowMs() + kStormMs;
  for (int k = 0; NowMs() < end; ++k) {
    const std::string name = "s" + std::to_string(rng() % kNames);
    const std::string path = root_ + "/storm/" + name;
    const std::string away = "old-" + std::to_string(k);
    const int op = static_cast<int>(rng() % 5);
    switch (op) {
      case 0:  // replace by a local rename
        Hold(path);
        ASSERT_EQ(rename(Staged().c_str(), path.c_str()), 0);
        break;
      case 1:  // rename away locally, a new file in its place
        ASSERT_EQ(rename(path.c_str(), (root_ + "/storm/" + away).c_str()), 0);
        ASSERT_EQ(rename(Staged().c_str(), path.c_str()), 0);
        break;
      case 2:  // unlink locally, a new file in its place
        Hold(path);
        ASSERT_EQ(unlink(path.c_str()), 0);
        ASSERT_EQ(rename(Staged().c_str(), path.c_str()), 0);
        break;
      case 3:  // rename away over NFS (the FSAL updates the map)
        ASSERT_EQ(nfs_rename(nfs->context(), ("/storm/" + name).c_str(),
                             ("/storm/" + away).c_str()), 0) << nfs->Error();
        ASSERT_EQ(rename(Staged().c_str(), path.c_str()), 0);
        break;
      default: {  // replace by a rename over NFS
        Hold(path);
        const std::string staged = Staged();
        const std::string from = "/stage/" + staged.substr(staged.rfind('/') + 1);
        ASSERT_EQ(nfs_rename(nfs->context(), from.c_str(), ("/storm/" + name).c_str()), 0)
            << nfs->Error();
        break;
      }
    }
    ++ops[op];
    std::this_thread::sleep_for(milliseconds(4));
  }
  TouchFile(stop);
  struct statfs fs{};
  const bool on_ext4 = statfs(root_.c_str(), &fs) == 0 && fs.f_type == 0xEF53;  // EXT4_SUPER_MAGIC
  int64_t bypassed = 0, records = 0, identity = 0, attr_mismatches = 0;
  for (auto& c : clients) {
    ASSERT_TRUE(c->WaitExit(seconds(60))) << "a client did not stop";
    EXPECT_EQ(c->exit_description(), "exit 0") << c->Output();
    EXPECT_EQ(c->BadLines(), "");
    bypassed += c->Count("read_ops");
    records += c->Count("records");
    identity += c->Count("fallback_identity");
    attr_mismatches += c->Count("ganesha_attr_mismatches");
    // On ext4 every handle gives its inode (elsewhere the client checks
    // against GETATTR's).
    if (on_ext4) {
      EXPECT_EQ(c->Count("handle_inodes"), c->Count("opens")) << c->Output();
    }
  }
  std::printf("storm: %d local replaces, %d local renames, %d unlinks, %d NFS renames, %d NFS "
              "replaces; clients checked %lld records, %lld reads bypassed, %lld identity "
              "fallbacks; %lld opens where Ganesha's GETATTR named another inode than the "
              "handle\n",
              ops[0], ops[1], ops[2], ops[3], ops[4], static_cast<long long>(records),
              static_cast<long long>(bypassed), static_cast<long long>(identity),
              static_cast<long long>(attr_mismatches));
  EXPECT_GT(bypassed, 0);
  EXPECT_GT(records, 0);

  // No write reached a wrong inode: every inode, linked or held, holds only
  // its own records.
  std::string problems;
  DIR* d = opendir((root_ + "/storm").c_str());
  ASSERT_NE(d, nullptr);
  int files = 0;
  while (dirent* e = readdir(d)) {
    if (e->d_name[0] == '.') continue;
    const std::string path = root_ + "/storm/" + e->d_name;
    const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
    ASSERT_GE(fd, 0) << path;
    problems += CheckInode(fd, path);
    close(fd);
    ++files;
  }
  closedir(d);
  for (int fd : held_) problems += CheckInode(fd, "a replaced or unlinked inode");
  EXPECT_EQ(problems, "");
  std::printf("checked %d linked files and %zu replaced/unlinked inodes\n", files, held_.size());
}

}  // namespace
}  // namespace localio::fault
