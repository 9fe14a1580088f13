// The shim's ABI guard: only libnfs 4.0's soname (libnfs.so.13) activates
// the bypass, and the real functions are found behind the caller.
#include "libnfs_abi.h"

#include <gtest/gtest.h>

namespace localio::preload {
namespace {

TEST(PreloadAbi, AcceptsLibnfs13ByAnyPathAndFullName) {
  EXPECT_TRUE(IsSupportedLibnfsPath("/lib/x86_64-linux-gnu/libnfs.so.13"));
  EXPECT_TRUE(IsSupportedLibnfsPath("/usr/lib/x86_64-linux-gnu/libnfs.so.13.0.0"));
  EXPECT_TRUE(IsSupportedLibnfsPath("libnfs.so.13"));
}

TEST(PreloadAbi, RefusesOtherVersionsAndLookalikes) {
  EXPECT_FALSE(IsSupportedLibnfsPath(""));
  EXPECT_FALSE(IsSupportedLibnfsPath("/usr/lib/libnfs.so.14"));
  EXPECT_FALSE(IsSupportedLibnfsPath("/usr/lib/libnfs.so.130"));
  EXPECT_FALSE(IsSupportedLibnfsPath("/usr/lib/libnfs.so.1"));
  EXPECT_FALSE(IsSupportedLibnfsPath("/usr/lib/libnfs.so"));
  EXPECT_FALSE(IsSupportedLibnfsPath("/opt/libnfs.so.13/libother.so"));
  EXPECT_FALSE(IsSupportedLibnfsPath("/usr/lib/mylibnfs.so.13"));
  EXPECT_FALSE(IsSupportedLibnfsPath("/usr/bin/nfs-cp"));
}

// This test links libnfs.so.13 (through the client core), so the lookup
// behind it finds every function, in that library.
TEST(PreloadAbi, ResolvesTheRealFunctionsInLibnfs13) {
  std::string missing;
  const RealLibnfs real = ResolveRealLibnfs(&missing);
  EXPECT_EQ(missing, "");
  EXPECT_NE(real.pread_async, nullptr);
  EXPECT_NE(real.service, nullptr);
  EXPECT_NE(real.set_error, nullptr);
  EXPECT_TRUE(IsSupportedLibnfsPath(LibraryPathOf(real))) << LibraryPathOf(real);
}

TEST(PreloadAbi, UnknownLibraryWithoutFunction) {
  EXPECT_EQ(LibraryPathOf(RealLibnfs{}), "");
}

}  // namespace
}  // namespace localio::preload
