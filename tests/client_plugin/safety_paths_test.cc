// SPDX-License-Identifier: LGPL-3.0-or-later
// The map names files by path; paths change under the bypass. Against the
// real server, NFSv3 and NFSv4: a map path that crosses a symlink never
// lets the local open leave the export, and a file replaced by rename is
// never served in place of the one the handle names. Each time the bypass
// gives exactly what RPC gives for the same open file.
#include <gtest/gtest.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>

#include "harness/gtest_support.h"
#include "safety_support.h"

namespace localio::harness {
namespace {

namespace fs = std::filesystem;

// scratch_: a directory outside the export.
class SafetyPaths : public LocalAndPlainTest<SafetyPaths> {
 protected:
  static void SetUpTestSuite() { StartSuiteServer(OneExport(), "localio-outside"); }


  // The same file opened by the bypassing client and by a plain one.
  struct Pair {
    nfsfh* fh = nullptr;   // through localio
    nfsfh* pfh = nullptr;  // plain libnfs
  };
  void OpenBoth(const std::string& name, Pair* p) {
    ASSERT_EQ(localio_open(mount_->ctx(), ("/" + name).c_str(), O_RDONLY, &p->fh), 0)
        << mount_->Error();
    ASSERT_EQ(nfs_open(plain_->context(), ("/" + name).c_str(), O_RDONLY, &p->pfh), 0)
        << plain_->Error();
  }
  void CloseBoth(Pair* p) {
    if (p->fh != nullptr) localio_close(mount_->ctx(), p->fh);
    if (p->pfh != nullptr) nfs_close(plain_->context(), p->pfh);
    *p = Pair{};
  }
  // Reads both whole; the bypass must give what RPC gives.
  ReadOutcome ReadBoth(const Pair& p) {
    const ReadOutcome rpc = ReadThroughRpc(plain_->context(), p.pfh);
    const ReadOutcome got = ReadThroughLocalio(mount_->ctx(), p.fh);
    EXPECT_EQ(got.rc, rpc.rc) << mount_->Error();
    EXPECT_TRUE(got.data == rpc.data) << "the bypass read " << got.data.size()
                                      << " bytes that differ from RPC's " << rpc.data.size();
    return got;
  }

};

TEST_P(SafetyPaths, AMapPathThroughASymlinkNeverLeavesTheExport) {
  const std::string dir = Name("dir");
  const std::string file = Name("file");
  const std::string inside = Pattern("inside the export", 5000);
  const std::string secret = Pattern("outside the export", 5000);
  const std::string out_dir = scratch_->path() + "/" + dir;
  fs::create_directories(out_dir);
  ASSERT_TRUE(WriteLocalFile(out_dir + "/f", secret).ok());
  ASSERT_TRUE(WriteLocalFile(scratch_->path() + "/" + file, secret).ok());
  fs::create_directories(InExport(dir));
  ASSERT_TRUE(WriteLocalFile(InExport(dir + "/f"), inside).ok());
  ASSERT_TRUE(WriteLocalFile(InExport(file), inside).ok());

  // Opened (and published as "dir/f", "file") before anything moves; no
  // I/O yet, so no local fd either.
  Pair in_dir, plain_file;
  ASSERT_NO_FATAL_FAILURE(OpenBoth(dir + "/f", &in_dir));
  ASSERT_NO_FATAL_FAILURE(OpenBoth(file, &plain_file));

  // Behind the server's back: the directory and the file become symlinks
  // to look-alikes outside the export; the originals live on elsewhere.
  ASSERT_EQ(rename(InExport(dir).c_str(), InExport(dir + ".moved").c_str()), 0);
  fs::create_directory_symlink(out_dir, InExport(dir));
  ASSERT_EQ(rename(InExport(file).c_str(), InExport(file + ".moved").c_str()), 0);
  fs::create_symlink(scratch_->path() + "/" + file, InExport(file));

  const localio_counters before = mount_->Counters();
  for (Pair* p : {&in_dir, &plain_file}) {
    const ReadOutcome got = ReadBoth(*p);
    EXPECT_EQ(got.rc, 0);
    EXPECT_TRUE(got.data == inside) << "not the file the handle names";
    EXPECT_EQ(got.data.find("outside the export"), std::string::npos)
        << "read a file outside the export";
  }
  const localio_counters c = mount_->Counters();
  EXPECT_EQ(c.read_ops, before.read_ops) << "a local open followed a symlink: " << Describe(c);
  EXPECT_GE(c.fallbacks[LOCALIO_FALLBACK_OPEN], before.fallbacks[LOCALIO_FALLBACK_OPEN] + 2)
      << Describe(c);
  CloseBoth(&in_dir);
  CloseBoth(&plain_file);

  // Over NFS the link leads nowhere outside either: both clients agree.
  nfsfh* fh = nullptr;
  nfsfh* pfh = nullptr;
  const int rpc_open = nfs_open(plain_->context(), ("/" + dir + "/f").c_str(), O_RDONLY, &pfh);
  const int open = localio_open(mount_->ctx(), ("/" + dir + "/f").c_str(), O_RDONLY, &fh);
  std::printf("NFSv%d open through a symlink out of the export: plain libnfs %d, localio %d\n",
              Version(), rpc_open, open);
  EXPECT_EQ(open, rpc_open);
  if (open == 0 && rpc_open == 0) {
    const ReadOutcome got = ReadBoth(Pair{fh, pfh});
    EXPECT_EQ(got.data.find("outside the export"), std::string::npos);
  }
  if (fh != nullptr) localio_close(mount_->ctx(), fh);
  if (pfh != nullptr) nfs_close(plain_->context(), pfh);
}

TEST_P(SafetyPaths, AFileRenamedOverAnOpenFileIsNeverServedInItsPlace) {
  // Four originals, each with a hard link keeping its inode reachable (so
  // RPC can still read it by handle) except the last; and four usurpers.
  struct Case {
    std::string name, usurper;
    bool keep;
  };
  const Case held{Name("held"), Name("held-new"), true};      // local fd before the rename
  const Case fresh{Name("fresh"), Name("fresh-new"), true};   // first I/O after it
  const Case by_nfs{Name("bynfs"), Name("bynfs-new"), true};  // renamed over NFS
  const Case gone{Name("gone"), Name("gone-new"), false};     // original unreachable
  for (const Case* k : {&held, &fresh, &by_nfs, &gone}) {
    ASSERT_TRUE(WriteLocalFile(InExport(k->name), Pattern("original " + k->name, 7000)).ok());
    ASSERT_TRUE(WriteLocalFile(InExport(k->usurper), Pattern("usurper " + k->name, 9000)).ok());
    fs::remove(InExport(k->name + ".keep"));
    if (k->keep) fs::create_hard_link(InExport(k->name), InExport(k->name + ".keep"));
  }
  Pair p_held, p_fresh, p_nfs, p_gone;
  ASSERT_NO_FATAL_FAILURE(OpenBoth(held.name, &p_held));
  ASSERT_NO_FATAL_FAILURE(OpenBoth(fresh.name, &p_fresh));
  ASSERT_NO_FATAL_FAILURE(OpenBoth(by_nfs.name, &p_nfs));
  ASSERT_NO_FATAL_FAILURE(OpenBoth(gone.name, &p_gone));

  // `held` is read (bypassed: the client now holds a local fd) first.
  const localio_counters c0 = mount_->Counters();
  EXPECT_TRUE(ReadBoth(p_held).data == Pattern("original " + held.name, 7000));
  EXPECT_GT(mount_->Counters().read_ops, c0.read_ops) << Describe(mount_->Counters());

  ASSERT_EQ(rename(InExport(held.usurper).c_str(), InExport(held.name).c_str()), 0);
  ASSERT_EQ(rename(InExport(fresh.usurper).c_str(), InExport(fresh.name).c_str()), 0);
  ASSERT_EQ(rename(InExport(gone.usurper).c_str(), InExport(gone.name).c_str()), 0);
  ASSERT_EQ(nfs_rename(plain_->context(), ("/" + by_nfs.usurper).c_str(),
                       ("/" + by_nfs.name).c_str()),
            0)
      << plain_->Error();

  const localio_counters c1 = mount_->Counters();
  for (auto [k, p] : {std::pair{&held, &p_held}, {&fresh, &p_fresh}, {&by_nfs, &p_nfs}}) {
    const ReadOutcome got = ReadBoth(*p);
    EXPECT_EQ(got.rc, 0) << k->name;
    EXPECT_TRUE(got.data == Pattern("original " + k->name, 7000))
        << k->name << ": not the original file";
  }
  const ReadOutcome gone_read = ReadBoth(p_gone);
  std::printf("NFSv%d read of a file renamed over with no other link: rc %d, %zu bytes\n",
              Version(), gone_read.rc, gone_read.data.size());
  EXPECT_EQ(gone_read.data.find("usurper"), std::string::npos) << "served the new file";
  const localio_counters c2 = mount_->Counters();
  // `fresh` and `gone`: the map's path now names another inode.
  EXPECT_GE(c2.fallbacks[LOCALIO_FALLBACK_IDENTITY], c1.fallbacks[LOCALIO_FALLBACK_IDENTITY] + 2)
      << Describe(c2);
  CloseBoth(&p_held);
  CloseBoth(&p_fresh);
  CloseBoth(&p_nfs);
  CloseBoth(&p_gone);
}

// An inode number reused after unlink and create: the map's entry for the
// old handle still names the path and the inode number, and both now match
// the new file; what tells them apart is the inode's generation, in the
// kernel handle the client checks (FSAL_VFS). The old handle must never be
// served the new file. NFSv3 only: an NFSv4 OPEN holds the old inode open
// in the server, so its number is not reused.
TEST_P(SafetyPaths, AReusedInodeNumberIsNeverServedForTheOldHandle) {
  if (Version() != 3) GTEST_SKIP() << "an NFSv4 open keeps the inode allocated";
  const std::string name = Name("reused");
  ASSERT_TRUE(WriteLocalFile(InExport(name), Pattern("the first " + name, 6000)).ok());
  struct stat first {};
  ASSERT_EQ(stat(InExport(name).c_str(), &first), 0);
  // Looked up (and published), not read yet: no local fd.
  nfsfh* fh = nullptr;
  ASSERT_EQ(localio_open(mount_->ctx(), ("/" + name).c_str(), O_RDONLY, &fh), 0)
      << mount_->Error();

  // Unlink it and create files until one gets its inode number back.
  ASSERT_EQ(unlink(InExport(name).c_str()), 0);
  bool reused = false;
  for (int i = 0; i < 2000 && !reused; ++i) {
    const std::string candidate = InExport(Name("candidate-" + std::to_string(i)));
    ASSERT_TRUE(WriteLocalFile(candidate, Pattern("the second " + name, 6000)).ok());
    struct stat st {};
    ASSERT_EQ(stat(candidate.c_str(), &st), 0);
    if (st.st_ino == first.st_ino && st.st_dev == first.st_dev) {
      ASSERT_EQ(rename(candidate.c_str(), InExport(name).c_str()), 0);
      reused = true;
    }
  }
  ASSERT_TRUE(reused) << "the filesystem did not reuse inode " << first.st_ino;

  const localio_counters before = mount_->Counters();
  const ReadOutcome got = ReadThroughLocalio(mount_->ctx(), fh);
  const localio_counters after = mount_->Counters();
  std::printf("NFSv%d read by the old handle of reused inode %llu: rc %d, %zu bytes; %s\n",
              Version(), static_cast<unsigned long long>(first.st_ino), got.rc, got.data.size(),
              Describe(after).c_str());
  EXPECT_EQ(after.read_ops, before.read_ops) << "read the new file by the old handle locally";
  EXPECT_EQ(got.data.find("the second"), std::string::npos) << "served the new file";
  EXPECT_GT(after.fallbacks[LOCALIO_FALLBACK_IDENTITY], before.fallbacks[LOCALIO_FALLBACK_IDENTITY])
      << Describe(after);
  localio_close(mount_->ctx(), fh);
}

INSTANTIATE_TEST_SUITE_P(Versions, SafetyPaths, ::testing::Values(3, 4),
                         [](const ::testing::TestParamInfo<int>& param) {
                           return "NFSv" + std::to_string(param.param);
                         });

}  // namespace
}  // namespace localio::harness
