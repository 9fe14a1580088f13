#include "local_file.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "localio/vfs_opaque.h"

namespace localio::client {
namespace {

class LocalFile : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/localio-local-file-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    top_ = tmpl;
    std::filesystem::create_directories(top_ + "/export/dir");
    std::ofstream(top_ + "/export/dir/file") << "data";
    std::ofstream(top_ + "/outside") << "secret";
    std::filesystem::create_symlink(top_ + "/outside", top_ + "/export/link");
    std::filesystem::create_directory_symlink(top_ + "/export/dir", top_ + "/export/dirlink");
    root_ = OpenExportRoot(top_ + "/export");
    ASSERT_GE(root_, 0);
  }
  void TearDown() override {
    if (root_ >= 0) close(root_);
    std::filesystem::remove_all(top_);
  }
  std::string top_;
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

TEST_F(LocalFile, IdentityNeedsInodeDeviceAndRegularType) {
  struct stat st;
  ASSERT_EQ(stat((top_ + "/export/dir/file").c_str(), &st), 0);
  MapEntry e;
  e.type = MapObjectType::kRegular;
  e.ino = st.st_ino;
  e.dev = st.st_dev;
  EXPECT_TRUE(IsSameObject(e, st));
  MapEntry other = e;
  other.ino += 1;
  EXPECT_FALSE(IsSameObject(other, st));
  other = e;
  other.dev += 1;
  EXPECT_FALSE(IsSameObject(other, st));
  other = e;
  other.type = MapObjectType::kDirectory;
  EXPECT_FALSE(IsSameObject(other, st));
  struct stat dir;
  ASSERT_EQ(stat((top_ + "/export/dir").c_str(), &dir), 0);
  e.ino = dir.st_ino;
  EXPECT_FALSE(IsSameObject(e, dir)) << "a directory is never bypassed";
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
// the kernel handle (it carries the generation) tells the two apart.
TEST_F(LocalFile, AReusedInodeNumberIsAnotherObject) {
  const std::string path = top_ + "/export/reused";
  std::ofstream(path) << "first";
  struct stat first;
  ASSERT_EQ(stat(path.c_str(), &first), 0);
  const std::vector<uint8_t> opaque = OpaqueOf(path);
  ASSERT_FALSE(opaque.empty());
  MapEntry e;
  e.type = MapObjectType::kRegular;
  e.ino = first.st_ino;
  e.dev = first.st_dev;
  struct stat now {};
  for (int tries = 0; tries < 1000; ++tries) {
    ASSERT_EQ(unlink(path.c_str()), 0);
    std::ofstream(path) << "second";
    ASSERT_EQ(stat(path.c_str(), &now), 0);
    if (now.st_ino == first.st_ino) break;
  }
  ASSERT_EQ(now.st_ino, first.st_ino) << "the filesystem of /tmp reused no inode number";
  const int fd = open(path.c_str(), O_RDONLY);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(fstat(fd, &now), 0);
  EXPECT_TRUE(IsSameObject(e, now)) << "the inode check alone cannot tell";
  EXPECT_FALSE(IsHandlesObject(opaque, fd));
  close(fd);
}

}  // namespace
}  // namespace localio::client
