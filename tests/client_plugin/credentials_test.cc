// SPDX-License-Identifier: LGPL-3.0-or-later
#include "credentials.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/fsuid.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sys/syscall.h>

#include <cerrno>
#include <string>
#include <thread>
#include <vector>

#include "harness/temp_dir.h"

namespace localio::client {
namespace {

MapExport Export(MapSquash squash) {
  MapExport e;
  e.squash = squash;
  e.anon_uid = 65534;
  e.anon_gid = 65533;
  return e;
}

TEST(SquashedIdentity, NoSquashKeepsTheCallerAsSent) {
  const MapExport e = Export(MapSquash::kNone);
  EXPECT_EQ(SquashedIdentity(e, {0, 0, {}}), (Identity{0, 0, {}}));
  EXPECT_EQ(SquashedIdentity(e, {1000, 100, {0, 27}}), (Identity{1000, 100, {0, 27}}));
  EXPECT_EQ(SquashedIdentity(e, {0, 0, {0}}), (Identity{0, 0, {0}}));
}

TEST(SquashedIdentity, RootSquashMakesRootAnonymousWithoutGroups) {
  const MapExport e = Export(MapSquash::kRootSquash);
  EXPECT_EQ(SquashedIdentity(e, {0, 0, {}}), (Identity{65534, 65533, {}}));
  EXPECT_EQ(SquashedIdentity(e, {0, 100, {27, 0}}), (Identity{65534, 65533, {}}));
  EXPECT_EQ(SquashedIdentity(e, {1000, 100, {27}}), (Identity{1000, 100, {27}}));
}

// Under any squash type Ganesha replaces a gid 0 and each 0 in the group
// list by the anonymous gid (nfs_creds.c), for callers it does not squash
// whole.
TEST(SquashedIdentity, SquashingMapsGidZeroAndGroupZeroToTheAnonGid) {
  for (MapSquash squash : {MapSquash::kRootSquash, MapSquash::kRootIdSquash}) {
    const MapExport e = Export(squash);
    EXPECT_EQ(SquashedIdentity(e, {1000, 0, {}}), (Identity{1000, 65533, {}}));
    EXPECT_EQ(SquashedIdentity(e, {1000, 100, {27, 0, 5, 0}}),
              (Identity{1000, 100, {27, 65533, 5, 65533}}));
  }
}

TEST(SquashedIdentity, RootIdSquashMapsRootsUidAndKeepsGidAndGroups) {
  const MapExport e = Export(MapSquash::kRootIdSquash);
  EXPECT_EQ(SquashedIdentity(e, {0, 100, {27, 28}}), (Identity{65534, 100, {27, 28}}));
  EXPECT_EQ(SquashedIdentity(e, {0, 0, {0, 27}}), (Identity{65534, 65533, {65533, 27}}));
  EXPECT_EQ(SquashedIdentity(e, {1000, 100, {27}}), (Identity{1000, 100, {27}}));
}

TEST(SquashedIdentity, AllSquashMapsEveryoneToAnonymousWithoutGroups) {
  const MapExport e = Export(MapSquash::kAllSquash);
  EXPECT_EQ(SquashedIdentity(e, {0, 0, {0}}), (Identity{65534, 65533, {}}));
  EXPECT_EQ(SquashedIdentity(e, {1000, 100, {27}}), (Identity{65534, 65533, {}}));
}

// The thread's supplementary groups (getgroups reads the calling thread's).
std::vector<uint32_t> ThreadGroups() {
  std::vector<gid_t> groups(static_cast<size_t>(getgroups(0, nullptr)));
  if (!groups.empty())
    groups.resize(static_cast<size_t>(getgroups(static_cast<int>(groups.size()), groups.data())));
  return {groups.begin(), groups.end()};
}

TEST(ScopedFsIdentity, AlreadyActingAsTargetSwitchesNothing) {
  const Identity self{static_cast<uint32_t>(setfsuid(-1)), static_cast<uint32_t>(setfsgid(-1)),
                      ThreadGroups()};
  ScopedFsIdentity as(self);
  EXPECT_EQ(as.status(), 0);
}

// Runs `body` on a thread of its own that acts as fsuid `uid`, fsgid `gid`
// and these supplementary groups (a root test process may), so that the
// test's own thread keeps root's identity.
template <class Body>
void OnThreadActingAs(uid_t uid, gid_t gid, const std::vector<gid_t>& groups, Body body) {
  std::thread t([&] {
    ASSERT_EQ(syscall(SYS_setgroups, groups.size(), groups.data()), 0);
    setfsgid(gid);
    setfsuid(uid);
    ASSERT_EQ(setfsuid(-1), static_cast<int>(uid));
    body();
  });
  t.join();
}

// A directory every test user may enter, with a file of `owner`:`group`
// and `mode` holding "data".
class FileOfGroup : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "needs root";
    ASSERT_TRUE(dir_.Create("localio-cred").ok());
    ASSERT_EQ(chmod(dir_.path().c_str(), 0755), 0);
  }
  void Make(uid_t owner, gid_t group, mode_t mode) {
    file_ = dir_.Path("file");
    const int fd = open(file_.c_str(), O_CREAT | O_WRONLY | O_TRUNC, 0600);
    ASSERT_GE(fd, 0);
    ASSERT_EQ(write(fd, "data", 4), 4);
    ASSERT_EQ(fchown(fd, owner, group), 0);
    ASSERT_EQ(fchmod(fd, mode), 0);
    close(fd);
  }
  // 0 when `as` may open the file for reading, else -errno.
  int OpenAs(const Identity& as) {
    ScopedFsIdentity identity(as);
    if (identity.status() != 0) return identity.status();
    const int fd = open(file_.c_str(), O_RDONLY);
    if (fd < 0) return -errno;
    close(fd);
    return 0;
  }

  harness::TempDir dir_;
  std::string file_;
};

// A file of group 2000, mode 0604: a member of 2000 gets the group class
// (no read), anyone else "other" (read). A thread that is uid 1000 without
// group 2000 must not take that as acting as (1000, 1000, {2000}): fewer
// groups would read what the wire refuses.
TEST_F(FileOfGroup, FewerGroupsThanTheTargetIsAnotherIdentity) {
  ASSERT_NO_FATAL_FAILURE(Make(0, 2000, 0604));
  OnThreadActingAs(1000, 1000, {}, [&] {
    EXPECT_EQ(OpenAs({1000, 1000, {2000}}), -EACCES) << "a member of 2000 read a 0604 file";
    EXPECT_EQ(OpenAs({1000, 1000, {}}), 0);
    EXPECT_EQ(setfsuid(-1), 1000) << "the thread's identity was not restored";
  });
}

// ... and more groups than the target is another identity as well.
TEST_F(FileOfGroup, MoreGroupsThanTheTargetIsAnotherIdentity) {
  ASSERT_NO_FATAL_FAILURE(Make(0, 2000, 0640));
  OnThreadActingAs(1000, 1000, {2000}, [&] {
    EXPECT_EQ(OpenAs({1000, 1000, {}}), -EACCES) << "a non-member read a 0640 file of 2000";
    EXPECT_EQ(OpenAs({1000, 1000, {2000}}), 0);
    EXPECT_EQ(ThreadGroups(), std::vector<uint32_t>{2000}) << "groups not restored";
  });
}

// The same membership in another order, or with the gid or a group listed
// twice, is the same identity: nothing is switched (a switch would have
// set the target's list, 1000 and the duplicate included).
TEST_F(FileOfGroup, TheSameMembershipInAnyOrderIsNoSwitch) {
  OnThreadActingAs(1000, 1000, {2001, 2000}, [&] {
    ScopedFsIdentity same({1000, 1000, {2000, 1000, 2001, 2000}});
    EXPECT_EQ(same.status(), 0);
    EXPECT_EQ(ThreadGroups(), (std::vector<uint32_t>{2000, 2001})) << "the thread was switched";
  });
}

// Root's reads and writes are not checked by the server (access_check.c):
// an fsuid-0 thread with the target's gid acts as uid 0 whatever its groups.
TEST_F(FileOfGroup, RootNeedsNoGroupSwitch) {
  OnThreadActingAs(0, 0, {2000, 2001}, [&] {
    ScopedFsIdentity root({0, 0, {}});
    EXPECT_EQ(root.status(), 0);
    EXPECT_EQ(ThreadGroups(), (std::vector<uint32_t>{2000, 2001}));
  });
}

// Needs root (CAP_SETUID/CAP_SETGID): the tests of this project run as root.
TEST(ScopedFsIdentity, OpensAsTheTargetUserAndRestoresAfter) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root";
  harness::TempDir dir("localio-cred");
  const std::string secret = dir.Path("secret");
  const int made = open(secret.c_str(), O_CREAT | O_WRONLY, 0600);
  ASSERT_GE(made, 0);
  close(made);
  chmod(dir.path().c_str(), 0755);
  {
    ScopedFsIdentity as({65534, 65534, {}});
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
}

}  // namespace
}  // namespace localio::client
