// SPDX-License-Identifier: LGPL-3.0-or-later
// The trust clients put in a map and its hello file (trusted_dir.h): used
// only when they and their directory are the server's uid's and no other
// uid could have put them there or swapped the directory; every refusal is
// kNotTrusted with one sentence naming the file, what was found and what is
// expected. Another uid is made real with chown (the tests run as root).
#include "localio/trusted_dir.h"

#include <gtest/gtest.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <memory>
#include <string>

#include "localio/defaults.h"
#include "localio/hello_area.h"
#include "localio/map_reader.h"
#include "localio/map_writer.h"
#include "map_test_util.h"

namespace localio {
namespace {

using harness::TempDir;
using test::MapTempDir;

constexpr uid_t kOther = 1001;  // a neighbour

// A live map and hello file in `dir` (a sub-directory of a fresh TempDir,
// so that the tests can change what is above it), written by this process.
class TrustedMapTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(geteuid(), 0u) << "needs root: it chowns files to another uid";
    MakeDir(above_, 0755);
    MakeDir(dir_, 0755);
    Create(dir_);
  }

  void Create(const std::string& dir) {
    MapConfig c;
    c.path = dir + "/map";
    c.max_entries = test::kTestMaxEntries;
    const Status st = MapWriter::Create(c, &writer_);
    ASSERT_TRUE(st.ok()) << st.message;
    map_ = c.path;
    hello_ = map_ + LOCALIO_HELLO_SUFFIX;
  }

  static void MakeDir(const std::string& path, mode_t mode) {
    ASSERT_EQ(mkdir(path.c_str(), mode), 0) << path;
    ASSERT_EQ(chmod(path.c_str(), mode), 0) << path;
  }
  static void Chown(const std::string& path, uid_t uid) {
    ASSERT_EQ(lchown(path.c_str(), uid, static_cast<gid_t>(-1)), 0) << path;
  }
  static void Chmod(const std::string& path, mode_t mode) {
    ASSERT_EQ(chmod(path.c_str(), mode), 0) << path;
  }

  Status OpenMap(uid_t server_uid = 0) {
    std::unique_ptr<MapReader> r;
    return MapReader::Open(map_, server_uid, &r);
  }
  Status OpenHello(uid_t server_uid = 0) {
    std::unique_ptr<HelloClient> h;
    return HelloClient::Open(hello_, server_uid, &h);
  }

  TempDir tmp_ = MapTempDir();
  std::string above_ = tmp_.Path("above");
  std::string dir_ = above_ + "/dir";
  std::unique_ptr<MapWriter> writer_;
  std::string map_, hello_;
};

#define EXPECT_REFUSED(status, sentence)                                   \
  do {                                                                     \
    const Status s_ = (status);                                            \
    EXPECT_EQ(s_.code, kNotTrusted) << s_.message;                         \
    EXPECT_EQ(s_.message, sentence);                                       \
  } while (0)

TEST_F(TrustedMapTest, TheServersFilesInItsOwnDirectoryAreTrusted) {
  EXPECT_TRUE(OpenMap().ok()) << OpenMap().message;
  EXPECT_TRUE(OpenHello().ok()) << OpenHello().message;
  std::vector<HelloSlotView> slots;
  EXPECT_TRUE(ReadHelloSlots(hello_, 0, &slots).ok());
}

TEST_F(TrustedMapTest, AMapOfAnotherUidIsRefused) {
  Chown(map_, kOther);
  EXPECT_REFUSED(OpenMap(), "map " + map_ +
                                " is owned by uid 1001, not by the server's uid 0 "
                                "(LOCALIO_SERVER_UID): not trusted");
}

TEST_F(TrustedMapTest, TheServerUidIsTheOneTrusted) {
  // The map of a server running as uid 1001, in a directory of root's.
  Chown(map_, kOther);
  Chown(hello_, kOther);
  EXPECT_TRUE(OpenMap(kOther).ok()) << OpenMap(kOther).message;
  EXPECT_TRUE(OpenHello(kOther).ok()) << OpenHello(kOther).message;
  // And root's files are not that server's.
  Chown(map_, 0);
  EXPECT_REFUSED(OpenMap(kOther), "map " + map_ +
                                      " is owned by uid 0, not by the server's uid 1001 "
                                      "(LOCALIO_SERVER_UID): not trusted");
}

TEST_F(TrustedMapTest, AMapTheGroupOrOthersMayWriteIsRefused) {
  Chmod(map_, 0660);
  EXPECT_REFUSED(OpenMap(), "map " + map_ +
                                " is writable by group (mode 0660), expected no write permission "
                                "for group or others: not trusted");
  Chmod(map_, 0642);
  EXPECT_REFUSED(OpenMap(), "map " + map_ +
                                " is writable by others (mode 0642), expected no write "
                                "permission for group or others: not trusted");
}

TEST_F(TrustedMapTest, AHelloFileOfAnotherUidOrThatOthersMayWriteIsRefused) {
  Chmod(hello_, 0660);  // the group writes nonces: fine
  EXPECT_TRUE(OpenHello().ok()) << OpenHello().message;
  Chmod(hello_, 0662);
  EXPECT_REFUSED(OpenHello(), "hello file " + hello_ +
                                  " is writable by others (mode 0662), expected no write "
                                  "permission for others: not trusted");
  std::vector<HelloSlotView> slots;
  EXPECT_EQ(ReadHelloSlots(hello_, 0, &slots).code, kNotTrusted);
  Chmod(hello_, 0660);
  Chown(hello_, kOther);
  EXPECT_REFUSED(OpenHello(), "hello file " + hello_ +
                                  " is owned by uid 1001, not by the server's uid 0 "
                                  "(LOCALIO_SERVER_UID): not trusted");
}

TEST_F(TrustedMapTest, ASymlinkAsTheFileIsRefusedAndNeverFollowed) {
  // A link to the server's own map, in the server's own directory: what is
  // opened must be the file itself.
  ASSERT_EQ(rename(map_.c_str(), (dir_ + "/real").c_str()), 0);
  ASSERT_EQ(symlink("real", map_.c_str()), 0);
  EXPECT_REFUSED(OpenMap(), "map " + map_ +
                                " is a symbolic link, expected a regular file: not trusted");
  ASSERT_EQ(rename(hello_.c_str(), (dir_ + "/real.hello").c_str()), 0);
  ASSERT_EQ(symlink("real.hello", hello_.c_str()), 0);
  EXPECT_REFUSED(OpenHello(), "hello file " + hello_ +
                                  " is a symbolic link, expected a regular file: not trusted");
}

TEST_F(TrustedMapTest, AFifoAsTheFileIsRefusedWithoutWaiting) {
  ASSERT_EQ(unlink(map_.c_str()), 0);
  ASSERT_EQ(mkfifo(map_.c_str(), 0600), 0);
  ASSERT_EQ(unlink(hello_.c_str()), 0);
  ASSERT_EQ(mkfifo(hello_.c_str(), 0600), 0);
  // Opening a FIFO without O_NONBLOCK would wait for a writer forever.
  EXPECT_REFUSED(OpenMap(), "map " + map_ + " is a FIFO, expected a regular file: not trusted");
  EXPECT_REFUSED(OpenHello(),
                 "hello file " + hello_ + " is a FIFO, expected a regular file: not trusted");
}

TEST_F(TrustedMapTest, ADirectoryOfAnotherUidIsRefused) {
  Chown(dir_, kOther);
  const std::string why =
      " is owned by uid 1001, not by the server's uid 0 (LOCALIO_SERVER_UID) or root: not "
      "trusted";
  EXPECT_REFUSED(OpenMap(), "directory " + dir_ + " of map " + map_ + why);
  EXPECT_REFUSED(OpenHello(), "directory " + dir_ + " of hello file " + hello_ + why);
}

TEST_F(TrustedMapTest, ADirectoryTheGroupOrOthersMayWriteIsRefusedEvenSticky) {
  for (mode_t mode : {0775, 0757, 01777}) {
    Chmod(dir_, mode);
    char text[8];
    std::snprintf(text, sizeof text, "%04o", static_cast<unsigned>(mode));
    const std::string who = mode == 0775 ? "group" : mode == 0757 ? "others" : "group and others";
    EXPECT_REFUSED(OpenMap(), "directory " + dir_ + " of map " + map_ + " is writable by " + who +
                                  " (mode " + text +
                                  "), expected a directory only the server's uid 0 "
                                  "(LOCALIO_SERVER_UID) or root may write: not trusted");
    EXPECT_EQ(OpenHello().code, kNotTrusted) << OpenHello().message;
  }
}

TEST_F(TrustedMapTest, AnAncestorThatLetsAnotherUidReplaceTheDirectoryIsRefused) {
  Chmod(above_, 0777);  // anyone may rename dir_ away and put their own there
  EXPECT_REFUSED(OpenMap(), "directory " + above_ + " above map " + map_ +
                                " is writable by group and others (mode 0777) and not sticky, so "
                                "another uid could rename what it holds or put another directory "
                                "in its place: not trusted");
  EXPECT_EQ(OpenHello().code, kNotTrusted);
  Chmod(above_, 0755);
  Chown(above_, kOther);  // its owner may do the same
  EXPECT_REFUSED(OpenMap(), "directory " + above_ + " above map " + map_ +
                                " is owned by uid 1001, not by root or the server's uid 0 "
                                "(LOCALIO_SERVER_UID): not trusted");
}

TEST_F(TrustedMapTest, AStickyAncestorIsFine) {
  // As /dev/shm and /tmp: others may add entries but not rename root's.
  Chmod(above_, 01777);
  EXPECT_TRUE(OpenMap().ok()) << OpenMap().message;
  EXPECT_TRUE(OpenHello().ok()) << OpenHello().message;
}

TEST_F(TrustedMapTest, ASymlinkedDirectoryCountsAsTheDirectoryItLeadsTo) {
  // An administrator's path may go through symlinks: what was opened counts.
  const std::string link = tmp_.Path("link");
  ASSERT_EQ(symlink(dir_.c_str(), link.c_str()), 0);
  std::unique_ptr<MapReader> r;
  Status st = MapReader::Open(link + "/map", 0, &r);
  EXPECT_TRUE(st.ok()) << st.message;
  // ... so a link into a directory others may change is refused, by what
  // it leads to.
  Chmod(above_, 0777);
  st = MapReader::Open(link + "/map", 0, &r);
  EXPECT_EQ(st.code, kNotTrusted) << st.message;
  EXPECT_NE(st.message.find("directory " + above_ + " above map " + link + "/map"),
            std::string::npos)
      << st.message;
}

TEST_F(TrustedMapTest, AMissingMapIsItsErrnoNotATrustRefusal) {
  std::unique_ptr<MapReader> r;
  EXPECT_EQ(MapReader::Open(dir_ + "/none", 0, &r).code, -ENOENT);
  EXPECT_EQ(MapReader::Open(tmp_.Path("nodir") + "/map", 0, &r).code, -ENOENT);
}

TEST(TrustedDir, SplitsAPathIntoItsDirectoryAndName) {
  std::string dir, name;
  ASSERT_TRUE(SplitSharedFilePath("/run/localio/map", &dir, &name));
  EXPECT_EQ(dir, "/run/localio");
  EXPECT_EQ(name, "map");
  ASSERT_TRUE(SplitSharedFilePath("/map", &dir, &name));
  EXPECT_EQ(dir, "/");
  ASSERT_TRUE(SplitSharedFilePath("map", &dir, &name));
  EXPECT_EQ(dir, ".");
  for (const char* bad : {"", "/run/localio/", "/run/..", "/run/.", "/"})
    EXPECT_FALSE(SplitSharedFilePath(bad, &dir, &name)) << bad;
}

TEST(TrustedDir, TheWalkStopsAtTheRoot) {
  UniqueFd root(open("/", O_PATH | O_DIRECTORY | O_CLOEXEC));
  ASSERT_TRUE(root.valid());
  struct stat st;
  ASSERT_EQ(fstat(root.get(), &st), 0);
  ASSERT_EQ(st.st_uid, 0u);
  ASSERT_EQ(st.st_mode & 022, 0u) << "this machine's / is writable by others";
  EXPECT_FALSE(DoubtAboutDir(root.get(), "/", ServerUidOwner(0)).has_value());
}

}  // namespace
}  // namespace localio
