// SPDX-License-Identifier: LGPL-3.0-or-later
#include "local_file.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <signal.h>
#include <sys/wait.h>

#include <chrono>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "harness/temp_dir.h"
#include "localio/vfs_opaque.h"

namespace localio::client {
namespace {

class LocalFile : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(tmp_.MakeFile("export/dir/file", "data"));
    ASSERT_TRUE(tmp_.MakeFile("outside", "secret"));
    ASSERT_TRUE(tmp_.MakeSymlink("export/link", top_ + "/outside"));
    ASSERT_TRUE(tmp_.MakeSymlink("export/dirlink", top_ + "/export/dir"));
    root_ = OpenExportRoot(top_ + "/export");
    ASSERT_GE(root_, 0);
  }
  void TearDown() override {
    if (root_ >= 0) close(root_);
  }
  // On /tmp, whatever $TMPDIR says: the stamp tests need its birth times
  // and inode generations.
  harness::TempDir tmp_{"localio-local-file", "/tmp"};
  const std::string top_ = tmp_.path();
  int root_ = -1;
};

TEST_F(LocalFile, OpensAPathBelowTheRoot) {
  const int fd = OpenBeneath(root_, "dir/file", O_RDONLY);
  ASSERT_GE(fd, 0) << strerror(-fd);
  char buf[8] = {};
  EXPECT_EQ(read(fd, buf, sizeof buf), 4);
  EXPECT_STREQ(buf, "data");
  EXPECT_TRUE(fcntl(fd, F_GETFD) & FD_CLOEXEC);
  close(fd);
}

TEST_F(LocalFile, RefusesEscapesAndSymlinks) {
  EXPECT_EQ(OpenBeneath(root_, "../outside", O_RDONLY), -EXDEV);
  EXPECT_LT(OpenBeneath(root_, top_ + "/outside", O_RDONLY), 0) << "absolute path";
  EXPECT_EQ(OpenBeneath(root_, "link", O_RDONLY), -ELOOP);
  EXPECT_EQ(OpenBeneath(root_, "dirlink/file", O_RDONLY), -ELOOP);
  EXPECT_EQ(OpenBeneath(root_, "missing", O_RDONLY), -ENOENT);
}

struct statx StatxOf(int fd) {
  struct statx sx {};
  EXPECT_EQ(statx(fd, "", AT_EMPTY_PATH, kMapIdentityStatxMask, &sx), 0) << strerror(errno);
  return sx;
}

// An open file descriptor with its statx, as Client checks one.
struct Opened {
  explicit Opened(const std::string& path) : fd(open(path.c_str(), O_RDONLY | O_CLOEXEC)) {
    EXPECT_GE(fd, 0) << path << ": " << strerror(errno);
    sx = StatxOf(fd);
  }
  ~Opened() {
    if (fd >= 0) close(fd);
  }
  int fd;
  struct statx sx;
};

// The entry a server publishes for `f`: with its inode stamp, or without.
MapEntry EntryFor(const Opened& f, bool with_stamp) {
  MapEntry e;
  e.type = MapObjectType::kRegular;
  e.ino = f.sx.stx_ino;
  e.dev = makedev(f.sx.stx_dev_major, f.sx.stx_dev_minor);
  if (with_stamp) e.stamp = MapInodeStampOf(f.fd, f.sx);
  return e;
}

TEST_F(LocalFile, IdentityNeedsInodeDeviceStampAndRegularType) {
  const Opened f(top_ + "/export/dir/file");
  const MapEntry e = EntryFor(f, /*with_stamp=*/true);
  ASSERT_NE(e.stamp.birth_ns, 0u) << "the filesystem of /tmp reports no birth time";
  ASSERT_TRUE(e.stamp.has_generation) << "the filesystem of /tmp has no inode generation";
  EXPECT_TRUE(IsSameObject(e, f.fd, f.sx));
  MapEntry other = e;
  other.ino += 1;
  EXPECT_FALSE(IsSameObject(other, f.fd, f.sx));
  other = e;
  other.dev += 1;
  EXPECT_FALSE(IsSameObject(other, f.fd, f.sx));
  other = e;
  other.stamp.birth_ns += 1;
  EXPECT_FALSE(IsSameObject(other, f.fd, f.sx));
  other = e;
  other.stamp.generation += 1;
  EXPECT_FALSE(IsSameObject(other, f.fd, f.sx));
  other = e;
  other.stamp = {};
  EXPECT_TRUE(IsSameObject(other, f.fd, f.sx)) << "an entry without a stamp checks the rest";
  struct statx no_birth = f.sx;
  no_birth.stx_mask &= ~STATX_BTIME;
  EXPECT_FALSE(IsSameObject(e, f.fd, no_birth)) << "a birth time that cannot be read is no proof";
  other = e;
  other.type = MapObjectType::kDirectory;
  EXPECT_FALSE(IsSameObject(other, f.fd, f.sx));
  const Opened dir(top_ + "/export/dir");
  EXPECT_FALSE(IsSameObject(EntryFor(dir, true), dir.fd, dir.sx)) << "a directory is never bypassed";
}

TEST_F(LocalFile, AGenerationOnAFilesystemWithoutOneIsNoProof) {
  const std::string path = "/dev/shm/localio-local-file-" + std::to_string(getpid());
  std::ofstream(path) << "x";
  {
    const Opened f(path);
    MapEntry e = EntryFor(f, /*with_stamp=*/true);
    EXPECT_FALSE(e.stamp.has_generation) << "tmpfs has grown FS_IOC_GETVERSION";
    EXPECT_TRUE(IsSameObject(e, f.fd, f.sx));
    e.stamp.has_generation = true;
    EXPECT_FALSE(IsSameObject(e, f.fd, f.sx));
  }
  unlink(path.c_str());
}

std::vector<uint8_t> OpaqueOf(const std::string& path) {
  const std::string o = VfsOpaqueOf(AT_FDCWD, path.c_str());
  return {o.begin(), o.end()};
}

TEST_F(LocalFile, TheKernelHandleTiesAFileToItsHandle) {
  const std::string a = top_ + "/export/dir/file", b = top_ + "/outside";
  const std::vector<uint8_t> opaque = OpaqueOf(a);
  ASSERT_FALSE(opaque.empty()) << strerror(errno);
  const int fa = open(a.c_str(), O_RDONLY), fb = open(b.c_str(), O_RDONLY);
  ASSERT_GE(fa, 0);
  ASSERT_GE(fb, 0);
  EXPECT_TRUE(IsHandlesObject(opaque, fa));
  EXPECT_FALSE(IsHandlesObject(opaque, fb));
  EXPECT_FALSE(IsHandlesObject({}, fa)) << "no opaque proves nothing";
  std::vector<uint8_t> dummy = opaque;
  dummy[0] |= 0x20;  // FSAL_VFS's dummy handle: no kernel handle inside
  EXPECT_FALSE(IsHandlesObject(dummy, fa));
  close(fa);
  close(fb);
}

// An inode number reused after unlink and create passes the inode check;
// the birth time and the kernel handle (it carries the generation) each
// tell the two apart.
TEST_F(LocalFile, AReusedInodeNumberIsAnotherObject) {
  const std::string path = top_ + "/export/reused";
  std::ofstream(path) << "first";
  MapEntry without, with;
  std::vector<uint8_t> opaque;
  // Each round compares with the file just unlinked: another process that
  // takes a freed inode number (tests run in parallel) only costs a round.
  bool reused = false;
  for (int tries = 0; tries < 1000 && !reused; ++tries) {
    {
      const Opened before(path);
      without = EntryFor(before, /*with_stamp=*/false);
      with = EntryFor(before, /*with_stamp=*/true);
    }
    opaque = OpaqueOf(path);
    ASSERT_FALSE(opaque.empty());
    ASSERT_EQ(unlink(path.c_str()), 0);
    std::ofstream(path) << "next";
    reused = Opened(path).sx.stx_ino == without.ino;
  }
  ASSERT_TRUE(reused) << "the filesystem of " << top_ << " reused no inode number in 1000 rounds";
  const Opened now(path);
  EXPECT_TRUE(IsSameObject(without, now.fd, now.sx)) << "the inode check alone cannot tell";
  EXPECT_FALSE(IsSameObject(with, now.fd, now.sx));
  EXPECT_FALSE(IsHandlesObject(opaque, now.fd));
}

MapEntry EntryOf(const std::string& path, bool with_stamp) {
  const Opened f(path);
  return EntryFor(f, with_stamp);
}

TEST_F(LocalFile, OpensTheEntrysRegularFileForBlockingIo) {
  const std::string path = top_ + "/export/dir/file";
  const MapEntry e = EntryOf(path, /*with_stamp=*/true);
  const LocalOpen o = OpenObjectBeneath(root_, "dir/file", O_RDWR, e, OpaqueOf(path));
  ASSERT_GE(o.fd, 0) << strerror(-o.error);
  const int flags = fcntl(o.fd, F_GETFL);
  EXPECT_EQ(flags & O_ACCMODE, O_RDWR);
  EXPECT_EQ(flags & O_NONBLOCK, 0) << "O_NONBLOCK is for the open only";
  EXPECT_TRUE(fcntl(o.fd, F_GETFD) & FD_CLOEXEC);
  EXPECT_EQ(o.sx.stx_ino, e.ino);
  EXPECT_NE(CtimeNs(o.sx), 0u) << "the re-check needs the ctime";
  char buf[8] = {};
  EXPECT_EQ(pread(o.fd, buf, sizeof buf, 0), 4);
  EXPECT_STREQ(buf, "data");
  close(o.fd);
}

TEST_F(LocalFile, OpenFailuresAreErrorsNotAnotherObject) {
  const MapEntry e = EntryOf(top_ + "/export/dir/file", /*with_stamp=*/false);
  EXPECT_EQ(OpenObjectBeneath(root_, "link", O_RDONLY, e, {}).error, -ELOOP);
  EXPECT_EQ(OpenObjectBeneath(root_, "dirlink/file", O_RDONLY, e, {}).error, -ELOOP);
  EXPECT_EQ(OpenObjectBeneath(root_, "../outside", O_RDONLY, e, {}).error, -EXDEV);
  EXPECT_EQ(OpenObjectBeneath(root_, "missing", O_RDONLY, e, {}).error, -ENOENT);
}

TEST_F(LocalFile, APathNamingAnotherFileOpensNothing) {
  const std::string path = top_ + "/export/dir/file";
  const MapEntry e = EntryOf(path, /*with_stamp=*/false);
  const std::vector<uint8_t> opaque = OpaqueOf(path);
  LocalOpen o = OpenObjectBeneath(root_, "dir/file", O_RDONLY, e, OpaqueOf(top_ + "/outside"));
  EXPECT_EQ(o.fd, -1) << "another file's kernel handle";
  EXPECT_EQ(o.error, 0);
  std::ofstream(top_ + "/export/dir/other") << "other";
  ASSERT_EQ(rename((top_ + "/export/dir/other").c_str(), path.c_str()), 0);
  o = OpenObjectBeneath(root_, "dir/file", O_RDONLY, e, {});
  EXPECT_EQ(o.fd, -1) << "another inode at the entry's path";
  EXPECT_EQ(o.error, 0);
  o = OpenObjectBeneath(root_, "dir/file", O_RDONLY, e, opaque);
  EXPECT_EQ(o.fd, -1);
  EXPECT_EQ(o.error, 0);
}

// Whatever stands at the path by now (a FIFO a user put there), the open
// never blocks and opens nothing: run in a child, so that an open that
// blocks fails the test instead of hanging it.
TEST_F(LocalFile, AFifoAtTheEntrysPathIsNeverOpened) {
  const std::string path = top_ + "/export/dir/file";
  const MapEntry e = EntryOf(path, /*with_stamp=*/false);
  ASSERT_EQ(rename(path.c_str(), (path + ".away").c_str()), 0);
  ASSERT_EQ(mkfifo(path.c_str(), 0666), 0);
  struct stat fifo;
  ASSERT_EQ(stat(path.c_str(), &fifo), 0);
  MapEntry names_the_fifo = e;  // an entry that names the FIFO's own inode
  names_the_fifo.ino = fifo.st_ino;
  for (const MapEntry& entry : {e, names_the_fifo}) {
    for (const int flags : {O_RDONLY, O_WRONLY, O_RDWR}) {
      const pid_t pid = fork();
      ASSERT_GE(pid, 0);
      if (pid == 0) {
        const LocalOpen o = OpenObjectBeneath(root_, "dir/file", flags, entry, {});
        _exit(o.fd == -1 && o.error == 0 ? 0 : 1);
      }
      int status = 0;
      const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
      pid_t done = 0;
      while ((done = waitpid(pid, &status, WNOHANG)) == 0 &&
             std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
      if (done == 0) {
        kill(pid, SIGKILL);
        waitpid(pid, &status, 0);
        ADD_FAILURE() << "the open blocked on the FIFO (flags " << flags << ")";
        continue;
      }
      EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
          << "the FIFO was opened or an error reported (flags " << flags << ")";
    }
  }
}

// A ctime is trusted to move at the next change only once it is older
// than kCtimeSettleNs by the realtime clock (a change within its timestamp
// granule would leave it as it is).
TEST(LocalFileCtime, OnlyAnOldEnoughCtimeIsSettled) {
  struct timespec now;
  ASSERT_EQ(clock_gettime(CLOCK_REALTIME, &now), 0);
  struct statx sx {};
  sx.stx_mask = STATX_CTIME;
  sx.stx_ctime.tv_sec = now.tv_sec - 3;
  sx.stx_ctime.tv_nsec = 5;
  const uint64_t old = CtimeNs(sx);
  EXPECT_EQ(old, static_cast<uint64_t>(now.tv_sec - 3) * 1'000'000'000 + 5);
  const uint64_t now_ns = static_cast<uint64_t>(now.tv_sec) * 1'000'000'000 + now.tv_nsec;
  EXPECT_EQ(SettledCtimeNs(sx, now_ns), old);
  EXPECT_EQ(SettledCtimeNs(sx, old + kCtimeSettleNs), old);
  EXPECT_EQ(SettledCtimeNs(sx, old + kCtimeSettleNs - 1), 0u);
  sx.stx_ctime.tv_sec = now.tv_sec - 1;
  EXPECT_NE(CtimeNs(sx), 0u);
  EXPECT_EQ(SettledCtimeNs(sx, now_ns), 0u) << "a second-old ctime may not have moved yet";
  sx.stx_ctime.tv_sec = now.tv_sec + 60;
  EXPECT_EQ(SettledCtimeNs(sx, now_ns), 0u) << "a ctime ahead of the clock";
  sx.stx_ctime.tv_sec = now.tv_sec - 3;
  sx.stx_mask = 0;
  EXPECT_EQ(CtimeNs(sx), 0u) << "statx gave no ctime";
  EXPECT_EQ(SettledCtimeNs(sx, now_ns), 0u);
}

}  // namespace
}  // namespace localio::client
