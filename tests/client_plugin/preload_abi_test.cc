// SPDX-License-Identifier: LGPL-3.0-or-later
// The shim's ABI guard: only the libnfs soname it was built for activates
// the bypass, and the real functions are found behind the caller.
#include "libnfs_abi.h"

#include <dlfcn.h>
#include <gtest/gtest.h>
#include <sys/time.h>

#include <nfsc/libnfs.h>
// after libnfs.h, which defines its EXTERN
#include <nfsc/libnfs-raw.h>

namespace localio::preload {
namespace {

TEST(PreloadAbi, AcceptsTheSonameByAnyPathAndFullName) {
  EXPECT_TRUE(IsLibraryOf("/lib/x86_64-linux-gnu/libnfs.so.13", "libnfs.so.13"));
  EXPECT_TRUE(IsLibraryOf("/usr/lib/x86_64-linux-gnu/libnfs.so.13.0.0", "libnfs.so.13"));
  EXPECT_TRUE(IsLibraryOf("libnfs.so.13", "libnfs.so.13"));
  EXPECT_TRUE(IsLibraryOf("/usr/lib/x86_64-linux-gnu/libnfs.so.14.0.0", "libnfs.so.14"));
}

TEST(PreloadAbi, RefusesOtherVersionsAndLookalikes) {
  EXPECT_FALSE(IsLibraryOf("", "libnfs.so.13"));
  EXPECT_FALSE(IsLibraryOf("/usr/lib/libnfs.so.14", "libnfs.so.13"));
  EXPECT_FALSE(IsLibraryOf("/usr/lib/libnfs.so.13.0.0", "libnfs.so.14"));
  EXPECT_FALSE(IsLibraryOf("/usr/lib/libnfs.so.16", "libnfs.so.14"));
  EXPECT_FALSE(IsLibraryOf("/usr/lib/libnfs.so.130", "libnfs.so.13"));
  EXPECT_FALSE(IsLibraryOf("/usr/lib/libnfs.so.1", "libnfs.so.13"));
  EXPECT_FALSE(IsLibraryOf("/usr/lib/libnfs.so", "libnfs.so.13"));
  EXPECT_FALSE(IsLibraryOf("/opt/libnfs.so.13/libother.so", "libnfs.so.13"));
  EXPECT_FALSE(IsLibraryOf("/usr/lib/mylibnfs.so.13", "libnfs.so.13"));
  EXPECT_FALSE(IsLibraryOf("/usr/bin/nfs-cp", "libnfs.so.13"));
  EXPECT_FALSE(IsLibraryOf("/usr/lib/libnfs.so.13", ""));
}

// The shim is built for the libnfs this build found (cmake/Libnfs.cmake).
// This test links that libnfs: the file its nfs_init_context comes from is
// the installed one.
TEST(PreloadAbi, IsBuiltForTheInstalledSoname) {
  Dl_info info{};
  ASSERT_NE(dladdr(reinterpret_cast<void*>(&nfs_init_context), &info), 0);
  ASSERT_NE(info.dli_fname, nullptr);
  EXPECT_TRUE(IsLibraryOf(info.dli_fname, kBuiltForLibnfs))
      << "built for " << kBuiltForLibnfs << ", linked to " << info.dli_fname;
}

// This test links the installed libnfs, so the lookup behind it finds
// every function, in the library of the soname the shim is built for.
TEST(PreloadAbi, ResolvesTheRealFunctionsInTheInstalledLibnfs) {
  const LibnfsLibrary library = FindProgramLibnfs(kBuiltForLibnfs);
  EXPECT_EQ(library.handle, RTLD_NEXT) << "a linked libnfs is in the global scope";
  EXPECT_TRUE(IsLibraryOf(library.path, kBuiltForLibnfs)) << library.path;
  std::string missing;
  const RealLibnfs real = ResolveRealLibnfs(library, &missing);
  EXPECT_EQ(missing, "");
  EXPECT_NE(real.pread_async, nullptr);
  EXPECT_NE(real.service, nullptr);
  EXPECT_NE(real.lseek, nullptr);
  EXPECT_EQ(real.get_fh, &nfs_get_fh);  // the very functions this program links
  EXPECT_EQ(real.get_fd, &nfs_get_fd);
  EXPECT_NE(real.set_error, nullptr);
  // Its code holds its functions, and not this program's.
  EXPECT_TRUE(library.Contains(reinterpret_cast<const void*>(real.pread_async)));
  EXPECT_FALSE(library.Contains(reinterpret_cast<const void*>(&IsLibraryOf)));
}

TEST(PreloadAbi, NoLibraryHasNoFunctionAndNoCode) {
  const LibnfsLibrary none;
  EXPECT_EQ(none.Symbol("nfs_pread_async"), nullptr);
  EXPECT_FALSE(none.Contains(reinterpret_cast<const void*>(&IsLibraryOf)));
  std::string missing;
  const RealLibnfs real = ResolveRealLibnfs(none, &missing);
  EXPECT_EQ(missing, "nfs_mount_async");
  EXPECT_EQ(real.pread_async, nullptr);
}

}  // namespace
}  // namespace localio::preload
