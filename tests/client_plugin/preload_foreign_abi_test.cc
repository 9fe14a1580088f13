// SPDX-License-Identifier: LGPL-3.0-or-later
// The shim in programs it was not built for. A program of libnfs >= 6
// (API v2: seven-argument nfs_pread_async and nfs_pwrite_async; Debian has
// no such libnfs, so foreign_abi/ builds a stand-in with soname
// libnfs.so.16) runs under the shim as without it: every argument reaches
// its libnfs as passed, and the shim says in one line why it stays out of
// the way. A program without libnfs starts under the shim even with
// LD_BIND_NOW (the shim leaves nothing for a libnfs to provide).
#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "harness/process.h"

namespace localio::harness {
namespace {

CommandResult Exec(const std::vector<std::string>& argv) {
  CommandResult r;
  const Status s = RunCommand(argv, std::chrono::seconds(30), &r);
  EXPECT_TRUE(s.ok()) << s.message;
  return r;
}

TEST(PreloadForeignAbi, ALibnfsV2ProgramGetsItsArgumentsThroughTheShim) {
  const CommandResult plain = Exec({LOCALIO_FOREIGN_ABI_PROGRAM});
  ASSERT_TRUE(plain.Succeeded()) << "the program fails on its own: " << plain.Describe();

  const CommandResult shimmed =
      Exec({"env", std::string("LD_PRELOAD=") + LOCALIO_PRELOAD_LIBRARY, LOCALIO_FOREIGN_ABI_PROGRAM});
  EXPECT_TRUE(shimmed.Succeeded()) << shimmed.Describe();
  EXPECT_EQ(shimmed.out, plain.out);
  EXPECT_EQ(shimmed.err.rfind("localio: this shim is built for libnfs.so.", 0), 0u) << shimmed.err;
  EXPECT_NE(shimmed.err.find("/libnfs.so.16"), std::string::npos) << shimmed.err;
  EXPECT_EQ(shimmed.err.find('\n'), shimmed.err.size() - 1) << "one line: " << shimmed.err;
}

// The same program loaded after start, RTLD_LOCAL, with its libnfs.so.16:
// the shim finds that libnfs at the first call, says why it stays out of
// the way, and every call reaches it as passed.
TEST(PreloadForeignAbi, ALateLoadedLibnfsV2ModuleGetsItsArgumentsThroughTheShim) {
  const CommandResult plain = Exec({LOCALIO_FOREIGN_ABI_LATE_LOADER});
  ASSERT_TRUE(plain.Succeeded()) << "the program fails on its own: " << plain.Describe();

  const CommandResult shimmed = Exec(
      {"env", std::string("LD_PRELOAD=") + LOCALIO_PRELOAD_LIBRARY, LOCALIO_FOREIGN_ABI_LATE_LOADER});
  EXPECT_TRUE(shimmed.Succeeded()) << shimmed.Describe();
  EXPECT_EQ(shimmed.out, plain.out);
  EXPECT_EQ(shimmed.err.rfind("localio: this shim is built for libnfs.so.", 0), 0u) << shimmed.err;
  EXPECT_NE(shimmed.err.find("/libnfs.so.16"), std::string::npos) << shimmed.err;
  EXPECT_EQ(shimmed.err.find('\n'), shimmed.err.size() - 1) << "one line: " << shimmed.err;
}

TEST(PreloadForeignAbi, AProgramWithoutLibnfsStartsUnderBindNow) {
  const CommandResult r = Exec({"env", "LD_BIND_NOW=1",
                               std::string("LD_PRELOAD=") + LOCALIO_PRELOAD_LIBRARY, "/bin/echo",
                               "started"});
  EXPECT_TRUE(r.Succeeded()) << r.Describe();
  EXPECT_EQ(r.out, "started\n");
  EXPECT_EQ(r.err, "");
}

}  // namespace
}  // namespace localio::harness
