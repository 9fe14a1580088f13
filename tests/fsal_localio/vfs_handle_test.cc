// SPDX-License-Identifier: LGPL-3.0-or-later
// ParseVfsOpaque against FSAL_VFS's opaque layout, and ResolveVfsHandle on
// real files: the kernel handle leads back to the object's path below the
// export root, or to an error naming why it cannot. Runs as root
// (open_by_handle_at needs CAP_DAC_READ_SEARCH).
#include "vfs_handle.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ostream>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "harness/temp_dir.h"

namespace localio {
namespace {

using harness::TempDir;

std::vector<uint8_t> Bytes(const std::string& s) { return {s.begin(), s.end()}; }

// An opaque as FSAL_VFS lays it out: flags, fsid, handle type, handle.
std::vector<uint8_t> Opaque(uint8_t flags, size_t fsid_len, const std::vector<uint8_t>& type,
                            const std::vector<uint8_t>& handle) {
  std::vector<uint8_t> out{flags};
  for (size_t i = 0; i < fsid_len; ++i) out.push_back(static_cast<uint8_t>(0xA0 + i));
  out.insert(out.end(), type.begin(), type.end());
  out.insert(out.end(), handle.begin(), handle.end());
  return out;
}

const std::vector<uint8_t> kHandle = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};

struct FsidCase {
  uint8_t fsid_type;
  size_t fsid_len;
};
// How a case is named in ctest (gtest_discover_tests appends the printed
// value: by default the struct's bytes, padding included, which vary).
void PrintTo(const FsidCase& c, std::ostream* os) {
  *os << "type" << int{c.fsid_type} << "_len" << c.fsid_len;
}

class ParseVfsOpaqueFsid : public ::testing::TestWithParam<FsidCase> {};

TEST_P(ParseVfsOpaqueFsid, FindsTheKernelHandleAfterEachTypeWidth) {
  const FsidCase c = GetParam();
  // One-byte type.
  auto kh = ParseVfsOpaque(Opaque(0x40 | c.fsid_type, c.fsid_len, {0x61}, kHandle));
  ASSERT_TRUE(kh.has_value());
  EXPECT_EQ(kh->type, 0x61);
  ASSERT_EQ(kh->size, kHandle.size());
  EXPECT_EQ(0, std::memcmp(kh->bytes.data(), kHandle.data(), kHandle.size()));

  // Two-byte type, host order as VFS stores it; negative values survive.
  int16_t t16 = -2;
  std::vector<uint8_t> type16(2);
  std::memcpy(type16.data(), &t16, 2);
  kh = ParseVfsOpaque(Opaque(0x80 | c.fsid_type, c.fsid_len, type16, kHandle));
  ASSERT_TRUE(kh.has_value());
  EXPECT_EQ(kh->type, -2);
  EXPECT_EQ(kh->size, kHandle.size());

  // Four-byte type.
  int32_t t32 = 0x12345678;
  std::vector<uint8_t> type32(4);
  std::memcpy(type32.data(), &t32, 4);
  kh = ParseVfsOpaque(Opaque(0xC0 | c.fsid_type, c.fsid_len, type32, kHandle));
  ASSERT_TRUE(kh.has_value());
  EXPECT_EQ(kh->type, 0x12345678);
  ASSERT_EQ(kh->size, kHandle.size());
  EXPECT_EQ(0, std::memcmp(kh->bytes.data(), kHandle.data(), kHandle.size()));
}

// FSAL_VFS's fsid types: none, one u64, major u64, two u64, two u32, device.
INSTANTIATE_TEST_SUITE_P(EveryFsidType, ParseVfsOpaqueFsid,
                         ::testing::Values(FsidCase{0, 0}, FsidCase{1, 8}, FsidCase{2, 8},
                                           FsidCase{3, 16}, FsidCase{4, 8}, FsidCase{5, 8}));

TEST(ParseVfsOpaque, DummyHandlesNameNoKernelObject) {
  EXPECT_FALSE(ParseVfsOpaque(Opaque(0x20 | 0x40, 0, {1}, kHandle)).has_value());
  EXPECT_FALSE(ParseVfsOpaque(Opaque(0x20 | 0xC0 | 3, 16, {1, 0, 0, 0}, kHandle)).has_value());
}

TEST(ParseVfsOpaque, RefusesUnknownFsidTypesAndMissingTypeWidth) {
  for (uint8_t fsid = 6; fsid < 0x20; ++fsid)
    EXPECT_FALSE(ParseVfsOpaque(Opaque(0x40 | fsid, 0, {1}, kHandle)).has_value()) << int{fsid};
  EXPECT_FALSE(ParseVfsOpaque(Opaque(0x00, 0, {1}, kHandle)).has_value());
}

TEST(ParseVfsOpaque, RefusesEveryTruncation) {
  const auto full = Opaque(0xC0 | 3, 16, {9, 0, 0, 0}, kHandle);
  ASSERT_TRUE(ParseVfsOpaque(full).has_value());
  const size_t header = 1 + 16 + 4;
  // Anything that ends within the header leaves no kernel handle.
  for (size_t len = 0; len <= header; ++len)
    EXPECT_FALSE(ParseVfsOpaque(std::span(full.data(), len)).has_value()) << len;
  // Shorter handles are still handles (their length is the rest).
  auto kh = ParseVfsOpaque(std::span(full.data(), header + 1));
  ASSERT_TRUE(kh.has_value());
  EXPECT_EQ(kh->size, 1u);
}

TEST(ParseVfsOpaque, RefusesAHandleLongerThanTheKernelAllows) {
  std::vector<uint8_t> max(kKernelHandleMax, 0x5A);
  auto kh = ParseVfsOpaque(Opaque(0x40, 0, {1}, max));
  ASSERT_TRUE(kh.has_value());
  EXPECT_EQ(kh->size, kKernelHandleMax);
  max.push_back(0x5A);
  EXPECT_FALSE(ParseVfsOpaque(Opaque(0x40, 0, {1}, max)).has_value());
  EXPECT_FALSE(ParseVfsOpaque(std::vector<uint8_t>(4096, 0x41)).has_value());
}

TEST(ParseVfsOpaque, GarbageNeverReadsPastTheInput) {
  EXPECT_FALSE(ParseVfsOpaque(std::vector<uint8_t>(32, 0xFF)).has_value());  // dummy bit
  EXPECT_FALSE(ParseVfsOpaque(std::vector<uint8_t>(32, 0x1F)).has_value());  // fsid 31
  std::mt19937 rng(12345);
  for (int i = 0; i < 20000; ++i) {
    std::vector<uint8_t> in(rng() % 160);
    for (auto& b : in) b = static_cast<uint8_t>(rng());
    // A heap copy of exactly the input size lets ASan see any overread.
    auto kh = ParseVfsOpaque(in);
    if (!kh) continue;
    ASSERT_FALSE(in[0] & 0x20);
    ASSERT_GT(kh->size, 0u);
    ASSERT_LE(kh->size, kKernelHandleMax);
    ASSERT_LT(kh->size, in.size());
    ASSERT_EQ(0, std::memcmp(kh->bytes.data(), in.data() + in.size() - kh->size, kh->size));
  }
}

// ResolveVfsHandle with the export root opened as the server opens it (not
// O_PATH: open_by_handle_at refuses such a mount fd with EBADF).
class ResolveVfsHandleTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_fd_ = open(tree_.path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    ASSERT_GE(root_fd_, 0) << std::strerror(errno);
    dir_fd_ = open(tree_.path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    ASSERT_GE(dir_fd_, 0) << std::strerror(errno);
  }
  void TearDown() override {
    if (root_fd_ >= 0) close(root_fd_);
    if (dir_fd_ >= 0) close(dir_fd_);
  }
  std::vector<uint8_t> OpaqueOf(const std::string& rel) {
    const std::string o = VfsOpaqueOf(dir_fd_, rel.c_str());
    EXPECT_FALSE(o.empty()) << rel << ": " << std::strerror(errno);
    return Bytes(o);
  }
  int Resolve(const std::vector<uint8_t>& opaque, ResolvedObject* out) {
    return ResolveVfsHandle(root_fd_, tree_.path(), opaque, out);
  }
  static struct stat Lstat(const std::string& path) {
    struct stat st {};
    EXPECT_EQ(0, lstat(path.c_str(), &st)) << path;
    return st;
  }

  TempDir tree_{"vfs-handle-test"};
  int root_fd_ = -1;
  int dir_fd_ = -1;
};

TEST_F(ResolveVfsHandleTest, NestedFileResolvesToItsPathAndIdentity) {
  ASSERT_TRUE(tree_.MakeFile("a/b/c/file.txt"));
  ResolvedObject obj;
  ASSERT_EQ(0, Resolve(OpaqueOf("a/b/c/file.txt"), &obj));
  EXPECT_EQ(obj.relpath, "a/b/c/file.txt");
  const struct stat st = Lstat(tree_.Path("a/b/c/file.txt"));
  EXPECT_EQ(obj.ino, st.st_ino);
  EXPECT_EQ(obj.dev, st.st_dev);
  EXPECT_EQ(obj.type, MapObjectType::kRegular);
}

TEST_F(ResolveVfsHandleTest, TheRootItselfIsTheEmptyPath) {
  ResolvedObject obj;
  ASSERT_EQ(0, Resolve(OpaqueOf(""), &obj));
  EXPECT_EQ(obj.relpath, "");
  EXPECT_EQ(obj.type, MapObjectType::kDirectory);
  EXPECT_EQ(obj.ino, Lstat(tree_.path()).st_ino);
}

TEST_F(ResolveVfsHandleTest, ADirectoryResolvesAsADirectory) {
  ASSERT_TRUE(tree_.MakeDir("x/y"));
  ResolvedObject obj;
  ASSERT_EQ(0, Resolve(OpaqueOf("x/y"), &obj));
  EXPECT_EQ(obj.relpath, "x/y");
  EXPECT_EQ(obj.type, MapObjectType::kDirectory);
  EXPECT_EQ(obj.ino, Lstat(tree_.Path("x/y")).st_ino);
  // The same with the root given as "<root>/".
  ASSERT_EQ(0, ResolveVfsHandle(root_fd_, tree_.path() + "/", OpaqueOf("x/y"), &obj));
  EXPECT_EQ(obj.relpath, "x/y");
}

TEST_F(ResolveVfsHandleTest, ASymlinkIsTheLinkNotItsTarget) {
  ASSERT_TRUE(tree_.MakeFile("target"));
  ASSERT_TRUE(tree_.MakeSymlink("link", "target"));
  ResolvedObject obj;
  ASSERT_EQ(0, Resolve(OpaqueOf("link"), &obj));
  EXPECT_EQ(obj.relpath, "link");
  EXPECT_EQ(obj.type, MapObjectType::kSymlink);
  EXPECT_EQ(obj.ino, Lstat(tree_.Path("link")).st_ino);
  EXPECT_NE(obj.ino, Lstat(tree_.Path("target")).st_ino);
}

// A removed object's handle is stale, also while an open fd keeps its inode
// alive (open_by_handle_at still opens it then).
struct RemovedCase {
  const char* name;
  bool directory;
  bool held_open;
};
void PrintTo(const RemovedCase& c, std::ostream* os) { *os << c.name; }

class ResolveRemovedVfsHandle : public ResolveVfsHandleTest,
                                public ::testing::WithParamInterface<RemovedCase> {};

TEST_P(ResolveRemovedVfsHandle, IsStale) {
  const RemovedCase& c = GetParam();
  const std::string path = tree_.Path(c.name);
  ASSERT_TRUE(c.directory ? tree_.MakeDir(c.name) : tree_.MakeFile(c.name));
  const auto opaque = OpaqueOf(c.name);
  const int fd = c.held_open ? open(path.c_str(), O_RDONLY | O_CLOEXEC) : -1;
  ASSERT_TRUE(fd >= 0 || !c.held_open);
  ASSERT_EQ(0, c.directory ? rmdir(path.c_str()) : unlink(path.c_str()));
  ResolvedObject obj;
  EXPECT_EQ(-ESTALE, Resolve(opaque, &obj));
  EXPECT_TRUE(obj.relpath.empty());
  if (fd >= 0) close(fd);
}

INSTANTIATE_TEST_SUITE_P(FileOrDirectory, ResolveRemovedVfsHandle,
                         ::testing::Values(RemovedCase{"AnUnlinkedFile", false, false},
                                           RemovedCase{"AnUnlinkedButOpenFile", false, true},
                                           RemovedCase{"ARemovedOpenDirectory", true, true}));

TEST_F(ResolveVfsHandleTest, AFileOutsideTheRootIsRefused) {
  // The export is <tree>/export; its sibling (and the tree itself) are out.
  ASSERT_TRUE(tree_.MakeDir("export/in"));
  ASSERT_TRUE(tree_.MakeFile("outside/file"));
  ASSERT_TRUE(tree_.MakeFile("exportx/file"));  // shares the root's prefix
  const int export_fd = open(tree_.Path("export").c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  ASSERT_GE(export_fd, 0);
  const std::string export_path = tree_.Path("export");
  ResolvedObject obj;
  EXPECT_EQ(-EXDEV, ResolveVfsHandle(export_fd, export_path, OpaqueOf("outside/file"), &obj));
  EXPECT_EQ(-EXDEV, ResolveVfsHandle(export_fd, export_path, OpaqueOf("exportx/file"), &obj));
  EXPECT_EQ(-EXDEV, ResolveVfsHandle(export_fd, export_path, OpaqueOf(""), &obj));
  ASSERT_EQ(0, ResolveVfsHandle(export_fd, export_path, OpaqueOf("export/in"), &obj));
  EXPECT_EQ(obj.relpath, "in");
  close(export_fd);
}

TEST_F(ResolveVfsHandleTest, ARenamedFileResolvesToItsNewPath) {
  ASSERT_TRUE(tree_.MakeFile("old/name"));
  ASSERT_TRUE(tree_.MakeDir("new"));
  const auto opaque = OpaqueOf("old/name");
  ASSERT_EQ(0, rename(tree_.Path("old/name").c_str(), tree_.Path("new/other").c_str()));
  ResolvedObject obj;
  ASSERT_EQ(0, Resolve(opaque, &obj));
  EXPECT_EQ(obj.relpath, "new/other");
  // Its parent directory renamed too: the path follows.
  ASSERT_EQ(0, rename(tree_.Path("new").c_str(), tree_.Path("newer").c_str()));
  ASSERT_EQ(0, Resolve(opaque, &obj));
  EXPECT_EQ(obj.relpath, "newer/other");
}

TEST_F(ResolveVfsHandleTest, WholeFilesystemRootGivesPathsBelowSlash) {
  ASSERT_TRUE(tree_.MakeFile("f"));
  const int slash = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  ASSERT_GE(slash, 0);
  struct stat root_st, tree_st;
  ASSERT_EQ(0, fstat(slash, &root_st));
  ASSERT_EQ(0, stat(tree_.Path("f").c_str(), &tree_st));
  // A kernel handle names an object of one filesystem: this test needs "/"
  // and the tree on the same one (they are on CI's host and in its roots).
  ASSERT_EQ(root_st.st_dev, tree_st.st_dev) << "/ and " << tree_.Path("f")
                                            << " are on different filesystems";
  ResolvedObject obj;
  ASSERT_EQ(0, ResolveVfsHandle(slash, "/", OpaqueOf("f"), &obj));
  close(slash);
  EXPECT_EQ("/" + obj.relpath, tree_.Path("f"));
}

TEST_F(ResolveVfsHandleTest, NotAVfsOpaqueIsInvalid) {
  ResolvedObject obj;
  EXPECT_EQ(-EINVAL, Resolve({}, &obj));
  EXPECT_EQ(-EINVAL, Resolve(std::vector<uint8_t>(8, 0xFF), &obj));
  EXPECT_EQ(-EINVAL, Resolve({0x40, 0x01}, &obj));
}

TEST_F(ResolveVfsHandleTest, AForgedHandleIsStaleNotACrash) {
  ASSERT_TRUE(tree_.MakeFile("f"));
  auto opaque = OpaqueOf("f");
  for (size_t i = 2; i < opaque.size(); ++i) opaque[i] ^= 0xFF;
  ResolvedObject obj;
  const int rc = Resolve(opaque, &obj);
  EXPECT_NE(rc, 0);
  EXPECT_LT(rc, 0);
}

TEST(VfsOpaqueOf, FailsWithErrnoForAMissingFile) {
  TempDir tree("vfs-opaque-test");
  const int fd = open(tree.path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  errno = 0;
  EXPECT_TRUE(VfsOpaqueOf(fd, "missing").empty());
  EXPECT_EQ(errno, ENOENT);
  close(fd);
}

TEST(MapObjectTypeOfMode, MapsEachKind) {
  EXPECT_EQ(MapObjectTypeOfMode(S_IFREG | 0644), MapObjectType::kRegular);
  EXPECT_EQ(MapObjectTypeOfMode(S_IFDIR | 0755), MapObjectType::kDirectory);
  EXPECT_EQ(MapObjectTypeOfMode(S_IFLNK | 0777), MapObjectType::kSymlink);
  EXPECT_EQ(MapObjectTypeOfMode(S_IFIFO | 0600), MapObjectType::kOther);
  EXPECT_EQ(MapObjectTypeOfMode(S_IFSOCK | 0600), MapObjectType::kOther);
}

}  // namespace
}  // namespace localio
