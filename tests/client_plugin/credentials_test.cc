// SPDX-License-Identifier: LGPL-3.0-or-later
#include "credentials.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/fsuid.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

namespace localio::client {
namespace {

MapExport Export(MapSquash squash) {
  MapExport e;
  e.squash = squash;
  e.anon_uid = 65534;
  e.anon_gid = 65533;
  return e;
}

TEST(SquashedIdentity, NoSquashKeepsTheCaller) {
  EXPECT_EQ(SquashedIdentity(Export(MapSquash::kNone), {0, 0}), (Identity{0, 0}));
  EXPECT_EQ(SquashedIdentity(Export(MapSquash::kNone), {1000, 100}), (Identity{1000, 100}));
}

TEST(SquashedIdentity, RootSquashMapsRootToAnonAndGidZeroToAnonGid) {
  const MapExport e = Export(MapSquash::kRootSquash);
  EXPECT_EQ(SquashedIdentity(e, {0, 0}), (Identity{65534, 65533}));
  EXPECT_EQ(SquashedIdentity(e, {0, 100}), (Identity{65534, 65533}));
  EXPECT_EQ(SquashedIdentity(e, {1000, 100}), (Identity{1000, 100}));
  EXPECT_EQ(SquashedIdentity(e, {1000, 0}), (Identity{1000, 65533}));
}

TEST(SquashedIdentity, RootIdSquashMapsRootUidAndKeepsANonZeroGid) {
  const MapExport e = Export(MapSquash::kRootIdSquash);
  EXPECT_EQ(SquashedIdentity(e, {0, 100}), (Identity{65534, 100}));
  EXPECT_EQ(SquashedIdentity(e, {0, 0}), (Identity{65534, 65533}));
  EXPECT_EQ(SquashedIdentity(e, {1000, 100}), (Identity{1000, 100}));
}

TEST(SquashedIdentity, AllSquashMapsEveryone) {
  const MapExport e = Export(MapSquash::kAllSquash);
  EXPECT_EQ(SquashedIdentity(e, {0, 0}), (Identity{65534, 65533}));
  EXPECT_EQ(SquashedIdentity(e, {1000, 100}), (Identity{65534, 65533}));
}

TEST(ScopedFsIdentity, AlreadyActingAsTargetSwitchesNothing) {
  const Identity self{static_cast<uint32_t>(setfsuid(-1)), static_cast<uint32_t>(setfsgid(-1))};
  ScopedFsIdentity as(self);
  EXPECT_EQ(as.status(), 0);
}

// Needs root (CAP_SETUID/CAP_SETGID): the tests of this project run as root.
TEST(ScopedFsIdentity, OpensAsTheTargetUserAndRestoresAfter) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root";
  char dir[] = "/tmp/localio-cred-XXXXXX";
  ASSERT_NE(mkdtemp(dir), nullptr);
  const std::string secret = std::string(dir) + "/secret";
  const int made = open(secret.c_str(), O_CREAT | O_WRONLY, 0600);
  ASSERT_GE(made, 0);
  close(made);
  chmod(dir, 0755);
  {
    ScopedFsIdentity as({65534, 65534});
    ASSERT_EQ(as.status(), 0);
    EXPECT_EQ(setfsuid(-1), 65534);
    errno = 0;
    EXPECT_LT(open(secret.c_str(), O_RDONLY), 0) << "nobody opened root's 0600 file";
    EXPECT_EQ(errno, EACCES);
  }
  EXPECT_EQ(setfsuid(-1), 0);
  EXPECT_EQ(setfsgid(-1), 0);
  const int fd = open(secret.c_str(), O_RDONLY);
  EXPECT_GE(fd, 0) << "root's identity was not restored";
  if (fd >= 0) close(fd);
  unlink(secret.c_str());
  rmdir(dir);
}

}  // namespace
}  // namespace localio::client
