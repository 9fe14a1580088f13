// SPDX-License-Identifier: LGPL-3.0-or-later
// Discovery through the C API (issue 24): two ganesha.nfsd publish their
// maps into one Map_Directory, each under the name it gives itself. One
// process holds a LOCALIO mount of each, told only the directory: each
// mount is local, confirms its own server's map (each map's hello file has
// exactly one confirmed slot, with that map's instance id), and its writes
// go through the bypass. A mount told another server's map file is never
// local.
#include <sys/time.h>

#include <nfsc/libnfs.h>

#include <gtest/gtest.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "harness/files.h"
#include "harness/ganesha_server.h"
#include "harness/temp_dir.h"
#include "localio/hello_area.h"
#include "localio/localio_client.h"
#include "localio/map_reader.h"
#include "safety_support.h"

namespace localio::harness {
namespace {

constexpr uint16_t kExport = kDefaultExportId;

class MapDirectory : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    ASSERT_TRUE(dir_->Create("localio-map-dir", "/dev/shm").ok());
    ASSERT_EQ(chmod(dir_->path().c_str(), 0755), 0);
    for (auto** server : {&a_, &b_}) {
      ServerOptions options = OneExport();
      options.map_directory = dir_->path();
      *server = new GaneshaServer(options);
      // One after the other: two servers starting at once race for
      // rpcbind's NFS entries.
      const Status s = (*server)->Start();
      ASSERT_TRUE(s.ok()) << s.message;
    }
  }
  static void TearDownTestSuite() {
    delete a_;
    delete b_;
    delete dir_;
  }

  // The slots of `server`'s hello file that a client holds confirmed.
  static std::vector<HelloSlotView> Confirmed(const GaneshaServer& server) {
    std::vector<HelloSlotView> slots, confirmed;
    const Status s = ReadHelloSlots(server.map_path() + LOCALIO_HELLO_SUFFIX, geteuid(), &slots);
    EXPECT_TRUE(s.ok()) << s.message;
    for (const HelloSlotView& v : slots)
      if (v.state == kHelloConfirmed) confirmed.push_back(v);
    return confirmed;
  }
  static InstanceId InstanceOf(const GaneshaServer& server) {
    std::unique_ptr<MapReader> map;
    EXPECT_TRUE(MapReader::Open(server.map_path(), geteuid(), &map).ok());
    return map ? map->instance_id() : InstanceId{};
  }

  static TempDir* dir_;
  static GaneshaServer* a_;
  static GaneshaServer* b_;
};
TempDir* MapDirectory::dir_ = nullptr;
GaneshaServer* MapDirectory::a_ = nullptr;
GaneshaServer* MapDirectory::b_ = nullptr;

TEST_F(MapDirectory, EachServerNamesItsOwnMapInTheDirectory) {
  std::vector<std::string> maps;
  ASSERT_TRUE(ListMapFiles(dir_->path(), &maps).ok());
  EXPECT_EQ(maps.size(), 2u);
  EXPECT_NE(a_->map_path(), b_->map_path());
  for (const GaneshaServer* s : {a_, b_})
    EXPECT_NE(s->map_path().find("-" + std::to_string(s->nfs_port()) + ".map"), std::string::npos)
        << s->map_path();
}

TEST_F(MapDirectory, TwoMountsInOneProcessEachBypassToTheirOwnServer) {
  std::unique_ptr<LocalioMount> on_a, on_b;
  const localio_config cfg = ConfigWithMap(dir_->path());
  ASSERT_TRUE(LocalioMount::Attach(a_->Url(kExport, 3, ""), cfg, &on_a).ok());
  ASSERT_TRUE(LocalioMount::Attach(b_->Url(kExport, 4, ""), cfg, &on_b).ok());
  ASSERT_EQ(localio_is_local(on_a->ctx()), 1) << on_a->Error();
  ASSERT_EQ(localio_is_local(on_b->ctx()), 1) << on_b->Error();
  for (const GaneshaServer* s : {a_, b_}) {
    const std::vector<HelloSlotView> confirmed = Confirmed(*s);
    ASSERT_EQ(confirmed.size(), 1u) << "one mount confirmed " << s->map_path();
    EXPECT_EQ(confirmed[0].confirmed_instance, InstanceOf(*s));
  }
  const std::string data(64 << 10, 'd');
  for (const auto& [mount, server] : {std::pair{on_a.get(), a_}, std::pair{on_b.get(), b_}}) {
    nfsfh* fh = nullptr;
    ASSERT_EQ(localio_open(mount->ctx(), "/found.bin", O_CREAT | O_RDWR, &fh), 0) << mount->Error();
    ASSERT_EQ(localio_pwrite(mount->ctx(), fh, 0, data.size(), data.data()),
              static_cast<int>(data.size()))
        << mount->Error();
    ASSERT_EQ(localio_close(mount->ctx(), fh), 0) << mount->Error();
    EXPECT_EQ(mount->Counters().write_ops, 1u) << Describe(mount->Counters());
    EXPECT_EQ(ReadFile(server->ExportDir(kExport) + "/found.bin"), data);
  }
}

// A map in the directory that is not the server uid's (made by root here,
// as another uid would if it could write there) is passed over: the mount
// still finds its own server's map, and the squatter's hello file never
// sees a nonce.
TEST_F(MapDirectory, AMapOfAnotherUidInTheDirectoryIsPassedOver) {
  const std::string squat = dir_->path() + "/aaa-squatter.map";
  ASSERT_EQ(std::system(("cp " + a_->map_path() + " " + squat + " && cp " + a_->map_path() +
                         LOCALIO_HELLO_SUFFIX + " " + squat + LOCALIO_HELLO_SUFFIX +
                         " && chown 1001 " + squat + " " + squat + LOCALIO_HELLO_SUFFIX)
                            .c_str()),
            0);
  std::unique_ptr<LocalioMount> mount;
  ASSERT_TRUE(LocalioMount::Attach(a_->Url(kExport, 3, ""), ConfigWithMap(dir_->path()), &mount)
                  .ok());
  EXPECT_EQ(localio_is_local(mount->ctx()), 1) << mount->Error();
  std::vector<HelloSlotView> slots;
  EXPECT_EQ(ReadHelloSlots(squat + LOCALIO_HELLO_SUFFIX, 1001, &slots).code, 0);
  for (const HelloSlotView& v : slots) EXPECT_EQ(v.state, kHelloFree) << "slot " << v.index;
  mount.reset();
  unlink(squat.c_str());
  unlink((squat + LOCALIO_HELLO_SUFFIX).c_str());
}

// Told B's map for a mount of A: the NFS ports differ, so the handshake
// goes through A's NFS port with B's export root, and A never confirms
// B's nonce (A's FSAL answers it in A's own hello file).
TEST_F(MapDirectory, AMountToldAnotherServersMapIsNotLocal) {
  std::unique_ptr<LocalioMount> mount;
  ASSERT_TRUE(LocalioMount::Attach(a_->Url(kExport, 3, ""), ConfigWithMap(b_->map_path()), &mount)
                  .ok());
  EXPECT_EQ(localio_is_local(mount->ctx()), 0);
  EXPECT_NE(mount->Error().find("did not confirm"), std::string::npos) << mount->Error();
  EXPECT_TRUE(Confirmed(*b_).empty());
}

}  // namespace
}  // namespace localio::harness
