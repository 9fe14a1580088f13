// SPDX-License-Identifier: LGPL-3.0-or-later
#include "localio/map_writer.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>

#include "harness/clock.h"
#include "harness/files.h"
#include "localio/clock.h"
#include "localio/map_reader.h"
#include "localio/trusted_dir.h"
#include "map_test_util.h"

namespace localio {
namespace {

using harness::TempDir;
using test::ConfigIn;
using test::HandleFor;
using test::MapTempDir;

std::unique_ptr<MapWriter> MustCreate(const MapConfig& config) {
  std::unique_ptr<MapWriter> w;
  Status st = MapWriter::Create(config, &w);
  EXPECT_TRUE(st.ok()) << st.message;
  return w;
}

std::unique_ptr<MapReader> MustOpen(const std::string& path) {
  std::unique_ptr<MapReader> r;
  Status st = MapReader::Open(path, geteuid(), &r);
  EXPECT_TRUE(st.ok()) << st.message;
  return r;
}

// A fresh map, opened by Open(): its writer `w` and a reader `r` of it.
class MapFixture : public ::testing::Test {
 protected:
  void Open(uint64_t max_entries = test::kTestMaxEntries) {
    w = MustCreate(ConfigIn(dir, max_entries));
    r = MustOpen(w->path());
  }
  // Publishes `handle` and returns the entry the reader then finds.
  MapEntry Published(uint16_t export_id, std::span<const uint8_t> handle, std::string_view path,
                     uint64_t ino, uint64_t dev, MapObjectType type = MapObjectType::kRegular) {
    EXPECT_EQ(w->Publish(export_id, handle, path, ino, dev, type), 0);
    MapEntry e;
    EXPECT_EQ(r->Lookup(export_id, handle, &e), 0);
    return e;
  }

  TempDir dir = MapTempDir();
  std::unique_ptr<MapWriter> w;
  std::unique_ptr<MapReader> r;
};
using MapWriterExports = MapFixture;
using MapWriterEntries = MapFixture;

// Rewrites fields of the header of the map at `path` (as another server
// would have left them).
void PokeHeader(const std::string& path, uint32_t pid, uint32_t flags, uint64_t heartbeat_ms) {
  SharedFile f;
  ASSERT_TRUE(OpenSharedFile(path, true, nullptr, &f).ok());
  auto* h = reinterpret_cast<MapHeader*>(f.base());
  h->server_pid = pid;
  h->flags = flags;
  h->heartbeat_ms = heartbeat_ms;
}

TEST(MapWriterCreate, CreatesMapAndHelloWithTheConfiguredModes) {
  TempDir dir = MapTempDir();
  MapConfig c = ConfigIn(dir);
  c.mode = 0604;
  c.hello_mode = 0664;
  auto w = MustCreate(c);
  struct stat st;
  ASSERT_EQ(stat(c.path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0604u);
  ASSERT_EQ(stat((c.path + ".hello").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0664u);
  EXPECT_EQ(access((c.path + ".tmp." + std::to_string(getpid())).c_str(), F_OK), -1);
}

TEST(MapWriterCreate, TheHelloFileGetsGroupWriteIffTheMapGivesGroupReadAndNeverOtherWrite) {
  EXPECT_EQ(MapHelloMode(0640), 0660u);
  EXPECT_EQ(MapHelloMode(0600), 0600u);
  EXPECT_EQ(MapHelloMode(0644), 0664u);
  EXPECT_EQ(MapHelloMode(0604), 0604u);
  EXPECT_EQ(MapHelloMode(0404), 0404u);
  for (mode_t m = 0; m <= 0777; ++m) {
    EXPECT_EQ(MapHelloMode(m) & 0002, 0u) << std::oct << m;
    EXPECT_EQ((MapHelloMode(m) & 0020) != 0, (m & 0040) != 0) << std::oct << m;
  }
}

TEST(MapWriterCreate, RefusesModesThatLetAnotherUidWriteWhatClientsTrust) {
  TempDir dir = MapTempDir();
  std::unique_ptr<MapWriter> w;
  MapConfig c = ConfigIn(dir);
  for (mode_t bad : {0660, 0642, 0666}) {
    c.mode = bad;
    c.hello_mode = MapHelloMode(bad);
    Status st = MapWriter::Create(c, &w);
    EXPECT_EQ(st.code, -EINVAL) << std::oct << bad;
    EXPECT_NE(st.message.find("Map_Mode"), std::string::npos) << st.message;
  }
  c = ConfigIn(dir);
  c.hello_mode = 0662;
  Status st = MapWriter::Create(c, &w);
  EXPECT_EQ(st.code, -EINVAL);
  EXPECT_NE(st.message.find("hello file"), std::string::npos) << st.message;
  EXPECT_EQ(access(c.path.c_str(), F_OK), -1) << "nothing is created";
}

// The map's directory (trusted_dir.h): the server refuses one that another
// uid could have written or could replace, so clients never get a map it
// did not make, and creates a missing one.
class MapWriterDirectory : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(geteuid(), 0u) << "needs root: it chowns directories to another uid";
    ASSERT_EQ(mkdir(above_.c_str(), 0755), 0);
  }
  Status Create(const std::string& dir) {
    MapConfig c = ConfigIn(tmp_);
    c.path = dir + "/map";
    return MapWriter::Create(c, &w_);
  }
  static void Chmod(const std::string& path, mode_t mode) {
    ASSERT_EQ(chmod(path.c_str(), mode), 0) << path;
  }

  TempDir tmp_ = MapTempDir();
  std::string above_ = tmp_.Path("above");
  std::string dir_ = above_ + "/dir";
  std::unique_ptr<MapWriter> w_;
};

TEST_F(MapWriterDirectory, ADirectoryOthersMayWriteIsRefusedWithWhatToDo) {
  ASSERT_EQ(mkdir(dir_.c_str(), 0755), 0);
  Chmod(dir_, 01777);  // as /dev/shm
  const Status st = Create(dir_);
  EXPECT_EQ(st.code, kNotTrusted);
  EXPECT_EQ(st.message, "its directory " + dir_ +
                            " is writable by group and others (mode 1777), expected a "
                            "directory only this server's uid 0 or root may write: another "
                            "uid could have placed files there; use a directory only the "
                            "server's uid may write, in directories no other uid may change, "
                            "e.g. /run/localio");
  EXPECT_EQ(access((dir_ + "/map").c_str(), F_OK), -1) << "nothing is created there";
  EXPECT_EQ(access((dir_ + "/map.hello").c_str(), F_OK), -1);
  Chmod(dir_, 0770);
  EXPECT_EQ(Create(dir_).code, kNotTrusted);
}

TEST_F(MapWriterDirectory, ADirectoryOfAnotherUidIsRefused) {
  ASSERT_EQ(mkdir(dir_.c_str(), 0755), 0);
  ASSERT_EQ(chown(dir_.c_str(), 1001, 1001), 0);
  const Status st = Create(dir_);
  EXPECT_EQ(st.code, kNotTrusted);
  EXPECT_NE(st.message.find("its directory " + dir_ + " is owned by uid 1001"),
            std::string::npos)
      << st.message;
}

TEST_F(MapWriterDirectory, ADirectoryAnotherUidCouldReplaceIsRefused) {
  ASSERT_EQ(mkdir(dir_.c_str(), 0755), 0);
  Chmod(above_, 0777);
  const Status st = Create(dir_);
  EXPECT_EQ(st.code, kNotTrusted);
  EXPECT_NE(st.message.find("directory " + above_ + " above its directory " + dir_ +
                            " is writable by group and others (mode 0777) and not sticky"),
            std::string::npos)
      << st.message;
  Chmod(above_, 01777);  // sticky: nobody else may rename dir_
  EXPECT_TRUE(Create(dir_).ok());
}

TEST_F(MapWriterDirectory, AMissingDirectoryIsCreatedMode0755) {
  const mode_t old_umask = umask(077);  // what the server's umask says does not matter
  const Status st = Create(dir_);
  umask(old_umask);
  ASSERT_TRUE(st.ok()) << st.message;
  struct stat sb;
  ASSERT_EQ(lstat(dir_.c_str(), &sb), 0);
  EXPECT_TRUE(S_ISDIR(sb.st_mode));
  EXPECT_EQ(sb.st_mode & 07777, 0755u);
  EXPECT_EQ(sb.st_uid, geteuid());
  EXPECT_TRUE(MustOpen(dir_ + "/map"));
}

TEST_F(MapWriterDirectory, AMissingDirectoryIsNotCreatedWhereAnotherUidCouldReplaceIt) {
  Chmod(above_, 0777);
  const Status st = Create(dir_);
  EXPECT_EQ(st.code, kNotTrusted);
  EXPECT_NE(st.message.find("its directory " + dir_ + " is missing, and directory " + above_ +
                            " is writable by group and others (mode 0777) and not sticky"),
            std::string::npos)
      << st.message;
  EXPECT_EQ(access(dir_.c_str(), F_OK), -1);
  Chmod(above_, 01777);  // sticky, as /dev/shm: created, and root's
  EXPECT_TRUE(Create(dir_).ok());
}

TEST_F(MapWriterDirectory, ADirectoryAnotherUidMadeFirstIsNotAdopted) {
  Chmod(above_, 01777);
  ASSERT_EQ(mkdir(dir_.c_str(), 0755), 0);  // the neighbour was first
  ASSERT_EQ(chown(dir_.c_str(), 1001, 1001), 0);
  EXPECT_EQ(Create(dir_).code, kNotTrusted);
}

TEST_F(MapWriterDirectory, ASymlinkedDirectoryIsTheDirectoryItLeadsTo) {
  ASSERT_EQ(mkdir(dir_.c_str(), 0755), 0);
  const std::string link = tmp_.Path("link");
  ASSERT_EQ(symlink(dir_.c_str(), link.c_str()), 0);
  const Status st = Create(link);
  ASSERT_TRUE(st.ok()) << st.message;
  EXPECT_TRUE(MustOpen(dir_ + "/map"));
}

TEST(MapWriterCreate, HeaderRoundTripsThroughTheReader) {
  TempDir dir = MapTempDir();
  harness::ManualClock clock;
  MapConfig config = ConfigIn(dir, 1000);
  config.clock = &clock;
  auto w = MustCreate(config);
  w->SetPort(40123);
  clock.Advance(LOCALIO_HEARTBEAT_PERIOD_MS);
  EXPECT_EQ(w->Heartbeat(), clock.NowMs());
  auto r = MustOpen(w->path());
  MapHeaderSnapshot snap;
  ASSERT_TRUE(r->ReadHeader(&snap));
  EXPECT_EQ(snap.instance_id, w->instance_id());
  EXPECT_NE(snap.instance_id, InstanceId{});
  EXPECT_EQ(snap.server_pid, static_cast<uint32_t>(getpid()));
  EXPECT_EQ(snap.port, 40123);
  EXPECT_TRUE(snap.alive);
  EXPECT_EQ(snap.epoch, 1u);
  EXPECT_EQ(snap.capacity, 1024u);
  EXPECT_EQ(snap.heartbeat_ms, clock.NowMs());
  const localio_fh_format g = localio_fh_format_ganesha();
  EXPECT_EQ(std::memcmp(&snap.fh_format, &g, sizeof g), 0);
  w->MarkDead();
  EXPECT_FALSE(r->Alive());
}

TEST(MapWriterCreate, EachStartGetsANewInstanceId) {
  TempDir dir = MapTempDir();
  InstanceId first;
  {
    auto w = MustCreate(ConfigIn(dir));
    first = w->instance_id();
  }
  auto w = MustCreate(ConfigIn(dir));  // the first marked itself dead
  EXPECT_NE(w->instance_id(), first);
}

TEST(MapWriterCreate, RefusesASymlinkedMapPath) {
  TempDir dir = MapTempDir();
  MapConfig c = ConfigIn(dir);
  const std::string target = dir.Path("elsewhere");
  ASSERT_TRUE(harness::WriteFile(target, "\1\2\3"));
  ASSERT_EQ(symlink(target.c_str(), c.path.c_str()), 0);
  std::unique_ptr<MapWriter> w;
  Status st = MapWriter::Create(c, &w);
  EXPECT_EQ(st.code, -ELOOP);
  EXPECT_NE(st.message.find("symbolic link"), std::string::npos) << st.message;
  EXPECT_EQ(harness::ReadFile(target), "\1\2\3");
}

TEST(MapWriterCreate, RefusesASymlinkedHelloPath) {
  TempDir dir = MapTempDir();
  MapConfig c = ConfigIn(dir);
  ASSERT_EQ(symlink(dir.Path("x").c_str(), (c.path + ".hello").c_str()), 0);
  std::unique_ptr<MapWriter> w;
  EXPECT_EQ(MapWriter::Create(c, &w).code, -ELOOP);
}

TEST(MapWriterCreate, RefusesADirectoryAndAFileThatIsNotAMap) {
  TempDir dir = MapTempDir();
  MapConfig c = ConfigIn(dir);
  ASSERT_EQ(mkdir(c.path.c_str(), 0700), 0);
  std::unique_ptr<MapWriter> w;
  EXPECT_EQ(MapWriter::Create(c, &w).code, -EINVAL);
  rmdir(c.path.c_str());
  ASSERT_TRUE(harness::WriteFile(c.path, std::string(4096, 'x')));
  Status st = MapWriter::Create(c, &w);
  EXPECT_EQ(st.code, -EEXIST);
  EXPECT_NE(st.message.find("not a LOCALIO map"), std::string::npos) << st.message;
  EXPECT_EQ(harness::ReadFile(c.path).size(), 4096u) << "someone's file must stay untouched";
}

TEST(MapWriterCreate, RefusesAMapOwnedByALiveServer) {
  TempDir dir = MapTempDir();
  auto live = MustCreate(ConfigIn(dir));
  std::unique_ptr<MapWriter> second;
  Status st = MapWriter::Create(ConfigIn(dir), &second);
  EXPECT_EQ(st.code, -EBUSY);
  EXPECT_NE(st.message.find("running server"), std::string::npos) << st.message;
  EXPECT_TRUE(MustOpen(live->path())->Alive());
}

TEST(MapWriterCreate, ReplacesAMapWhoseServerIsDead) {
  TempDir dir = MapTempDir();
  const MapConfig c = ConfigIn(dir);
  auto old = MustCreate(c);
  const InstanceId old_id = old->instance_id();
  const uint64_t now = SystemClock().NowMs();

  // Pid gone (a kill -9): ALIVE still set, heartbeat fresh.
  PokeHeader(c.path, 0x7ffffff0, kMapAlive, now);
  auto w1 = MustCreate(c);
  ASSERT_TRUE(w1);
  EXPECT_NE(MustOpen(c.path)->instance_id(), old_id);

  // ALIVE cleared (clean shutdown), pid still ours.
  PokeHeader(c.path, static_cast<uint32_t>(getpid()), 0, now);
  EXPECT_TRUE(MustCreate(c));

  // Heartbeat stale (hung or pid reused).
  PokeHeader(c.path, static_cast<uint32_t>(getpid()), kMapAlive, now - c.stale_after_ms - 1000);
  EXPECT_TRUE(MustCreate(c));
}

TEST(MapWriterCreate, ReplacesADeadMapOfTheLayoutBeforeAndRefusesOthers) {
  TempDir dir = MapTempDir();
  const MapConfig c = ConfigIn(dir);
  auto set_version = [&](uint32_t version) {
    SharedFile f;
    ASSERT_TRUE(OpenSharedFile(c.path, true, nullptr, &f).ok());
    reinterpret_cast<MapHeader*>(f.base())->layout_version = version;
  };
  {
    auto old = MustCreate(c);
    // A live server of layout 2 (an upgrade while the old server runs).
    set_version(kMapPreviousLayoutVersion);
    std::unique_ptr<MapWriter> w;
    EXPECT_EQ(MapWriter::Create(c, &w).code, -EBUSY);
    // An unknown layout is never replaced.
    set_version(kMapLayoutVersion + 1);
    Status st = MapWriter::Create(c, &w);
    EXPECT_EQ(st.code, -EEXIST);
    EXPECT_NE(st.message.find("layout version"), std::string::npos) << st.message;
  }
  // Its server stopped (ALIVE cleared, lock free): replaced.
  set_version(kMapPreviousLayoutVersion);
  auto w = MustCreate(c);
  ASSERT_TRUE(w);
  EXPECT_EQ(MustOpen(c.path)->capacity(), w->Stats().capacity);
}

TEST(MapWriterCreate, ReplacingAMapMarksTheOldOneDeadForItsReaders) {
  TempDir dir = MapTempDir();
  const MapConfig c = ConfigIn(dir);
  auto old = MustCreate(c);
  auto reader = MustOpen(c.path);  // a client that still has the old file mapped
  ASSERT_TRUE(reader->Alive());
  PokeHeader(c.path, 0x7ffffff0, kMapAlive, SystemClock().NowMs());  // its server was killed
  auto fresh = MustCreate(c);
  EXPECT_FALSE(reader->Alive()) << "the replaced map must say its server is gone";
  EXPECT_TRUE(MustOpen(c.path)->Alive());
}

TEST(MapWriterCreate, HoldsTellsWhetherAHandleHasAnEntry) {
  TempDir dir = MapTempDir();
  auto w = MustCreate(ConfigIn(dir));
  const std::vector<uint8_t> h = {1, 2, 3, 4};
  EXPECT_FALSE(w->Holds(7, h));
  ASSERT_EQ(w->Publish(7, h, "a/b", 11, 12, MapObjectType::kRegular), 0);
  EXPECT_TRUE(w->Holds(7, h));
  EXPECT_FALSE(w->Holds(8, h)) << "the export id is part of the key";
  EXPECT_FALSE(w->Holds(7, {})) << "an empty handle is never held";
  ASSERT_EQ(w->Unpublish(7, h), 0);
  EXPECT_FALSE(w->Holds(7, h));
}

TEST(MapWriterCreate, RejectsBadConfiguration) {
  TempDir dir = MapTempDir();
  std::unique_ptr<MapWriter> w;
  MapConfig c = ConfigIn(dir);
  c.max_entries = 0;
  EXPECT_EQ(MapWriter::Create(c, &w).code, -EINVAL);
  c = ConfigIn(dir);
  c.fh_format.export_id_size = 3;
  EXPECT_EQ(MapWriter::Create(c, &w).code, -EINVAL);
  c = ConfigIn(dir);
  c.path = dir.path() + "/";
  EXPECT_EQ(MapWriter::Create(c, &w).code, -EINVAL);
  c.path = dir.Path("no/such/dir/map");
  EXPECT_EQ(MapWriter::Create(c, &w).code, -ENOENT);
}

MapExport Export(uint16_t id) {
  MapExport e;
  e.export_id = id;
  e.squash = MapSquash::kRootSquash;
  e.anon_uid = 65534;
  e.anon_gid = 65533;
  e.server_root = "/srv/export" + std::to_string(id);
  e.client_root = "/mnt/data" + std::to_string(id);
  return e;
}

TEST_F(MapWriterExports, AddChangeRemoveBumpTheEpoch) {
  Open();
  EXPECT_EQ(r->Epoch(), 1u);
  ASSERT_TRUE(w->SetExport(Export(10)).ok());
  EXPECT_EQ(r->Epoch(), 2u);
  auto got = r->FindExport(10);
  ASSERT_TRUE(got);
  EXPECT_EQ(*got, Export(10));

  ASSERT_TRUE(w->SetExport(Export(10)).ok());
  EXPECT_EQ(r->Epoch(), 2u) << "an unchanged export is not a change";

  MapExport ro = Export(10);
  ro.read_only = true;
  ro.squash = MapSquash::kAllSquash;
  ASSERT_TRUE(w->SetExport(ro).ok());
  EXPECT_EQ(r->Epoch(), 3u);
  EXPECT_EQ(*r->FindExport(10), ro);

  EXPECT_EQ(w->RemoveExport(10), 0);
  EXPECT_EQ(r->Epoch(), 4u);
  EXPECT_FALSE(r->FindExport(10));
  EXPECT_EQ(w->RemoveExport(10), -ENOENT);
  EXPECT_EQ(r->Epoch(), 4u);
}

// The access epoch (the server changed a file's mode, owner, group or ACL)
// moves on its own: only BumpAccessEpoch moves it, and it moves nothing
// else; a reader sees each bump at once.
TEST_F(MapWriterExports, TheAccessEpochMovesOnlyWhenBumped) {
  Open();
  EXPECT_EQ(r->AccessEpoch(), 0u);
  ASSERT_TRUE(w->SetExport(Export(10)).ok());
  EXPECT_EQ(w->RemoveExport(10), 0);
  EXPECT_EQ(r->AccessEpoch(), 0u) << "an export change is not an access change";
  const uint64_t epoch = r->Epoch();
  w->BumpAccessEpoch();
  EXPECT_EQ(r->AccessEpoch(), 1u);
  w->BumpAccessEpoch();
  EXPECT_EQ(r->AccessEpoch(), 2u);
  EXPECT_EQ(r->Epoch(), epoch);
  MapHeaderSnapshot h;
  ASSERT_TRUE(r->ReadHeader(&h));
  EXPECT_TRUE(h.alive);
}

// A reload withdraws a row until the export's new access is known: the
// entries stay for the row that comes back; removing the export then
// drops them too.
TEST_F(MapWriterExports, ASuspendedExportKeepsItsEntriesUntilRemoved) {
  Open();
  ASSERT_TRUE(w->SetExport(Export(10)).ok());
  const std::vector<uint8_t> h = {1, 2, 3, 4};
  ASSERT_EQ(w->Publish(10, h, "a/b", 7, 8, MapObjectType::kRegular), 0);
  const uint64_t epoch = r->Epoch();

  EXPECT_EQ(w->SuspendExport(10), 0);
  EXPECT_GT(r->Epoch(), epoch);
  EXPECT_FALSE(r->FindExport(10));
  MapEntry entry;
  EXPECT_EQ(r->Lookup(10, h, &entry), 0) << "the entry went with the row";
  EXPECT_EQ(w->SuspendExport(10), -ENOENT);

  ASSERT_TRUE(w->SetExport(Export(10)).ok());
  EXPECT_TRUE(r->FindExport(10));
  EXPECT_EQ(r->Lookup(10, h, &entry), 0);

  ASSERT_EQ(w->SuspendExport(10), 0);
  EXPECT_EQ(w->RemoveExport(10), -ENOENT) << "no row, but its entries";
  EXPECT_EQ(r->Lookup(10, h, &entry), -ENOENT);
}

TEST_F(MapWriterExports, EmptyClientRootMeansTheServerRoot) {
  Open();
  MapExport e = Export(3);
  e.client_root.clear();
  ASSERT_TRUE(w->SetExport(e).ok());
  EXPECT_EQ(r->FindExport(3)->client_root, e.server_root);
}

TEST_F(MapWriterExports, RefusesBadRootsAndAFullTable) {
  Open();
  MapExport e = Export(1);
  e.server_root = "relative";
  EXPECT_EQ(w->SetExport(e).code, -EINVAL);
  e = Export(1);
  e.client_root = "/" + std::string(kMapRootPathField, 'x');
  EXPECT_EQ(w->SetExport(e).code, -EINVAL);
  for (uint32_t id = 0; id < kMapExportRows; ++id)
    ASSERT_TRUE(w->SetExport(Export(static_cast<uint16_t>(id))).ok());
  EXPECT_EQ(w->SetExport(Export(999)).code, -ENOSPC);
  EXPECT_TRUE(w->SetExport(Export(5)).ok()) << "replacing an existing row needs no room";
  for (uint32_t id = 0; id < kMapExportRows; ++id)
    EXPECT_TRUE(r->FindExport(static_cast<uint16_t>(id))) << id;
}

TEST_F(MapWriterEntries, PublishLookupUnpublish) {
  Open();
  const auto h = HandleFor(1);
  MapEntry e = Published(7, h, "a/b/file", 1234, 56);
  EXPECT_EQ(e.path(), "a/b/file");
  EXPECT_EQ(e.ino, 1234u);
  EXPECT_EQ(e.dev, 56u);
  EXPECT_EQ(e.type, MapObjectType::kRegular);
  EXPECT_EQ(e.export_id, 7);
  ASSERT_EQ(e.handle_len, h.size());
  EXPECT_TRUE(std::equal(h.begin(), h.end(), e.handle().begin()));
  EXPECT_EQ(r->Lookup(8, h, &e), -ENOENT) << "same handle, other export";
  EXPECT_EQ(r->Lookup(7, HandleFor(2), &e), -ENOENT);
  std::string path;
  EXPECT_EQ(w->PathOf(7, h, &path), 0);
  EXPECT_EQ(path, "a/b/file");

  ASSERT_EQ(w->Unpublish(7, h), 0);
  EXPECT_EQ(r->Lookup(7, h, &e), -ENOENT);
  EXPECT_EQ(w->PathOf(7, h, &path), -ENOENT);
  EXPECT_EQ(w->Unpublish(7, h), -ENOENT);
  EXPECT_EQ(w->Stats().entries_used, 0u);
}

TEST_F(MapWriterEntries, ExportRootHasTheEmptyPath) {
  Open();
  EXPECT_EQ(Published(1, HandleFor(1), "", 2, 3, MapObjectType::kDirectory).path(), "");
}

TEST_F(MapWriterEntries, UnchangedRepublishKeepsTheGenerationAChangeBumpsIt) {
  Open();
  const auto h = HandleFor(5);
  const uint64_t gen = Published(1, h, "x", 10, 1).generation;
  EXPECT_EQ(Published(1, h, "x", 10, 1).generation, gen);
  const MapEntry moved = Published(1, h, "y", 10, 1);
  EXPECT_EQ(moved.generation, gen + 1);
  EXPECT_EQ(moved.path(), "y");
  EXPECT_EQ(Published(1, h, "y", 11, 1).generation, gen + 2);
  EXPECT_EQ(w->Stats().entries_used, 1u);
}

TEST_F(MapWriterEntries, RefusesWhatDoesNotFit) {
  Open();
  EXPECT_EQ(w->Publish(1, HandleFor(1, kMapMaxHandleLen + 1), "a", 1, 1, MapObjectType::kRegular),
            -EMSGSIZE);
  EXPECT_EQ(w->Publish(1, {}, "a", 1, 1, MapObjectType::kRegular), -EMSGSIZE);
  EXPECT_EQ(w->Publish(1, HandleFor(1), std::string(kMapMaxPathLen + 1, 'a'), 1, 1,
                       MapObjectType::kRegular),
            -ENAMETOOLONG);
  EXPECT_EQ(w->Publish(1, HandleFor(1), "../etc/passwd", 1, 1, MapObjectType::kRegular), -EINVAL);
  EXPECT_EQ(w->Publish(1, HandleFor(1), "/etc/passwd", 1, 1, MapObjectType::kRegular), -EINVAL);
  EXPECT_EQ(w->Stats().entries_used, 0u);
  // The largest of both fits.
  const std::string longest(kMapMaxPathLen, 'p');
  EXPECT_EQ(Published(1, HandleFor(2, kMapMaxHandleLen), longest, 1, 1).path(), longest);
}

TEST_F(MapWriterEntries, PublishChildBuildsThePathFromTheParentsEntry) {
  Open();
  MapEntry e;
  EXPECT_EQ(w->PublishChild(1, HandleFor(1), "f", HandleFor(2), 2, 1, MapObjectType::kRegular),
            -ENOENT)
      << "no parent entry";
  ASSERT_EQ(w->Publish(1, HandleFor(1), "", 1, 1, MapObjectType::kDirectory), 0);
  ASSERT_EQ(w->PublishChild(1, HandleFor(1), "d", HandleFor(2), 2, 1, MapObjectType::kDirectory),
            0);
  ASSERT_EQ(w->PublishChild(1, HandleFor(2), "f", HandleFor(3), 3, 1, MapObjectType::kRegular), 0);
  ASSERT_EQ(r->Lookup(1, HandleFor(2), &e), 0);
  EXPECT_EQ(e.path(), "d");
  ASSERT_EQ(r->Lookup(1, HandleFor(3), &e), 0);
  EXPECT_EQ(e.path(), "d/f");
  EXPECT_EQ(e.ino, 3u);
  EXPECT_EQ(w->PublishChild(2, HandleFor(2), "f", HandleFor(3), 3, 1, MapObjectType::kRegular),
            -ENOENT)
      << "the parent of another export";
  EXPECT_EQ(w->PublishChild(1, HandleFor(3), "x", HandleFor(4), 4, 1, MapObjectType::kRegular),
            -ENOTDIR);
  for (const char* bad : {"", "..", ".", "a/b"})
    EXPECT_EQ(w->PublishChild(1, HandleFor(2), bad, HandleFor(4), 4, 1, MapObjectType::kRegular),
              -EINVAL)
        << "'" << bad << "'";
  ASSERT_EQ(w->Publish(1, HandleFor(5), std::string(kMapMaxPathLen - 2, 'p'), 5, 1,
                       MapObjectType::kDirectory),
            0);
  EXPECT_EQ(w->PublishChild(1, HandleFor(5), "x", HandleFor(6), 6, 1, MapObjectType::kRegular),
            0)
      << "exactly the longest path";
  EXPECT_EQ(w->PublishChild(1, HandleFor(5), "xy", HandleFor(7), 7, 1, MapObjectType::kRegular),
            -ENAMETOOLONG);
  EXPECT_EQ(r->Lookup(1, HandleFor(7), &e), -ENOENT);
}

// The stamp a publish reports holds while no entry leaves the map: an
// unpublish, an eviction or a removed export moves it; republishing,
// renaming or suspending an export does not.
TEST_F(MapWriterEntries, RemovalsMoveOnlyWhenAnEntryLeavesTheMap) {
  Open(8);  // one bucket of 8
  uint64_t seen = 0;
  ASSERT_EQ(w->Publish(1, HandleFor(1), "a", 1, 1, MapObjectType::kDirectory, {}, &seen), 0);
  EXPECT_EQ(seen, w->Removals());
  uint64_t held = 0;
  EXPECT_TRUE(w->Holds(1, HandleFor(1), &held));
  EXPECT_EQ(held, seen);
  ASSERT_EQ(w->Publish(1, HandleFor(1), "a", 1, 1, MapObjectType::kDirectory), 0);
  ASSERT_EQ(w->PublishChild(1, HandleFor(1), "f", HandleFor(2), 2, 1, MapObjectType::kRegular,
                            {}, &seen),
            0);
  ASSERT_GE(w->RenamePrefix(1, "a", "b"), 1);
  ASSERT_EQ(w->SuspendExport(1), -ENOENT);  // no row: entries stay either way
  EXPECT_EQ(w->Removals(), seen);
  ASSERT_EQ(w->Unpublish(1, HandleFor(2)), 0);
  EXPECT_GT(w->Removals(), seen);
  seen = w->Removals();
  for (uint64_t n = 10; n < 18; ++n)
    ASSERT_EQ(w->Publish(1, HandleFor(n), "e" + std::to_string(n), n, 1, MapObjectType::kRegular),
              0);
  EXPECT_GT(w->Removals(), seen) << "a full bucket evicted an entry";
  seen = w->Removals();
  w->RemoveExport(1);
  EXPECT_GT(w->Removals(), seen);
}

// Records live in an arena of 10 units per slot (plus one bucket of the
// longest): long paths fill it before the slots are full, and the writer
// then evicts in slot order and compacts. Whatever it holds afterwards
// reads back whole, and what it evicted is gone.
TEST_F(MapWriterEntries, AFullArenaEvictsAndCompactsAndKeepsEveryHeldEntryWhole) {
  Open(64);
  auto path_of = [](uint64_t n, int version) {
    return "d" + std::to_string(version) + "/" + std::string(60 + (n * 37) % 300, 'a' + n % 26) +
           "/f" + std::to_string(n);
  };
  uint64_t held_total = 0;
  for (int version = 0; version < 6; ++version) {
    for (uint64_t n = 0; n < 48; ++n)
      ASSERT_EQ(w->Publish(1, HandleFor(n, 8 + n % 57), path_of(n, version), n, 1,
                           MapObjectType::kRegular),
                0);
    const MapStats s = w->Stats();
    EXPECT_LE(s.arena_used_bytes, s.arena_bytes);
    uint64_t held = 0;
    MapEntry e;
    for (uint64_t n = 0; n < 48; ++n) {
      const auto h = HandleFor(n, 8 + n % 57);
      const int rc = r->Lookup(1, h, &e);
      ASSERT_EQ(rc == 0, w->Holds(1, h)) << n;
      if (rc != 0) continue;
      ++held;
      EXPECT_EQ(e.path(), path_of(n, version)) << n;
      EXPECT_EQ(e.ino, n);
      EXPECT_TRUE(std::equal(h.begin(), h.end(), e.handle().begin()));
    }
    EXPECT_EQ(held, s.entries_used);
    held_total += held;
  }
  const MapStats s = w->Stats();
  EXPECT_GT(s.compactions, 0u) << "the arena never filled";
  EXPECT_GT(s.evictions, 0u);
  EXPECT_GT(held_total, 6u * 8) << "most entries stay";
  // Short entries fit again once the long ones go.
  for (uint64_t n = 0; n < 48; ++n) (void)w->Unpublish(1, HandleFor(n, 8 + n % 57));
  ASSERT_EQ(w->Stats().entries_used, 0u);
  ASSERT_EQ(w->Stats().arena_used_bytes, 0u);
  for (uint64_t n = 100; n < 148; ++n)
    ASSERT_EQ(w->Publish(1, HandleFor(n), "s/" + std::to_string(n), n, 1, MapObjectType::kRegular),
              0);
  EXPECT_EQ(w->Stats().entries_used + w->Stats().evictions - s.evictions, 48u);
  uint64_t found = 0;
  MapEntry e;
  for (uint64_t n = 100; n < 148; ++n)
    if (r->Lookup(1, HandleFor(n), &e) == 0 && e.path() == "s/" + std::to_string(n)) ++found;
  EXPECT_EQ(found, w->Stats().entries_used);
}

TEST_F(MapWriterEntries, AnotherMapNeverReportsTheSameStamp) {
  TempDir a = MapTempDir(), b = MapTempDir();
  auto first = MustCreate(ConfigIn(a));
  auto second = MustCreate(ConfigIn(b));
  EXPECT_NE(first->Removals(), second->Removals());
}

TEST_F(MapWriterEntries, RenamePrefixMovesTheDirectoryAndEverythingBelow) {
  Open();
  ASSERT_EQ(w->Publish(1, HandleFor(1), "a", 1, 1, MapObjectType::kDirectory), 0);
  ASSERT_EQ(w->Publish(1, HandleFor(2), "a/f", 2, 1, MapObjectType::kRegular), 0);
  ASSERT_EQ(w->Publish(1, HandleFor(3), "a/sub/g", 3, 1, MapObjectType::kRegular), 0);
  ASSERT_EQ(w->Publish(1, HandleFor(4), "ab/h", 4, 1, MapObjectType::kRegular), 0);
  ASSERT_EQ(w->Publish(2, HandleFor(5), "a/f", 5, 1, MapObjectType::kRegular), 0);
  EXPECT_EQ(w->RenamePrefix(1, "a", "z/y"), 3);
  MapEntry e;
  ASSERT_EQ(r->Lookup(1, HandleFor(1), &e), 0);
  EXPECT_EQ(e.path(), "z/y");
  ASSERT_EQ(r->Lookup(1, HandleFor(2), &e), 0);
  EXPECT_EQ(e.path(), "z/y/f");
  ASSERT_EQ(r->Lookup(1, HandleFor(3), &e), 0);
  EXPECT_EQ(e.path(), "z/y/sub/g");
  ASSERT_EQ(r->Lookup(1, HandleFor(4), &e), 0);
  EXPECT_EQ(e.path(), "ab/h") << "a sibling sharing the prefix is not below it";
  ASSERT_EQ(r->Lookup(2, HandleFor(5), &e), 0);
  EXPECT_EQ(e.path(), "a/f") << "other exports are untouched";
  EXPECT_EQ(w->RenamePrefix(1, "", "x"), -EINVAL);
  EXPECT_EQ(w->RenamePrefix(1, "z", "../x"), -EINVAL);
}

TEST_F(MapWriterEntries, RenamePrefixDropsEntriesWhosePathWouldNotFit) {
  Open();
  const std::string tail(kMapMaxPathLen - 4, 't');
  ASSERT_EQ(w->Publish(1, HandleFor(1), "a/" + tail, 1, 1, MapObjectType::kRegular), 0);
  EXPECT_EQ(w->RenamePrefix(1, "a", "longer"), 1);
  MapEntry e;
  EXPECT_EQ(r->Lookup(1, HandleFor(1), &e), -ENOENT);
  EXPECT_EQ(w->Stats().entries_used, 0u);
}

TEST_F(MapWriterEntries, RemoveExportDropsItsEntriesOnly) {
  Open();
  ASSERT_TRUE(w->SetExport(Export(1)).ok());
  ASSERT_TRUE(w->SetExport(Export(2)).ok());
  for (uint64_t n = 0; n < 50; ++n)
    ASSERT_EQ(w->Publish(static_cast<uint16_t>(1 + n % 2), HandleFor(n), "f" + std::to_string(n),
                         n, 1, MapObjectType::kRegular),
              0);
  ASSERT_EQ(w->RemoveExport(1), 0);
  MapEntry e;
  for (uint64_t n = 0; n < 50; ++n)
    EXPECT_EQ(r->Lookup(static_cast<uint16_t>(1 + n % 2), HandleFor(n), &e), n % 2 ? 0 : -ENOENT);
  EXPECT_EQ(w->Stats().entries_used, 25u);
}

TEST_F(MapWriterEntries, AFullBucketEvictsItsLeastRecentlyPublishedEntry) {
  Open(8);  // one bucket of 8 slots
  ASSERT_EQ(r->capacity(), 8u);
  for (uint64_t n = 0; n < 8; ++n)
    ASSERT_EQ(w->Publish(1, HandleFor(n), "f" + std::to_string(n), n, 1, MapObjectType::kRegular), 0);
  // Re-publishing 0 unchanged makes 1 the least recently published.
  ASSERT_EQ(w->Publish(1, HandleFor(0), "f0", 0, 1, MapObjectType::kRegular), 0);
  ASSERT_EQ(w->Publish(1, HandleFor(8), "f8", 8, 1, MapObjectType::kRegular), 0);
  MapEntry e;
  EXPECT_EQ(r->Lookup(1, HandleFor(1), &e), -ENOENT);
  for (uint64_t n : {0, 2, 3, 4, 5, 6, 7, 8}) EXPECT_EQ(r->Lookup(1, HandleFor(n), &e), 0) << n;
  const MapStats s = w->Stats();
  EXPECT_EQ(s.entries_used, 8u);
  EXPECT_EQ(s.capacity, 8u);
  EXPECT_EQ(s.evictions, 1u);
  MapHeaderSnapshot snap;
  ASSERT_TRUE(r->ReadHeader(&snap));
  EXPECT_EQ(snap.evictions, 1u);
  EXPECT_EQ(snap.entries_used, 8u);
}

TEST_F(MapWriterEntries, CapacityFiguresMatchTheConfiguration) {
  Open(100000);
  EXPECT_EQ(w->Stats().capacity, 131072u);
  for (uint64_t n = 0; n < 20000; ++n)
    ASSERT_EQ(w->Publish(1, HandleFor(n), "f" + std::to_string(n), n, 1, MapObjectType::kRegular), 0);
  const MapStats s = w->Stats();
  EXPECT_EQ(s.entries_used + s.evictions, 20000u);
  EXPECT_LT(s.evictions, 20u) << "a table 15% full should hardly ever evict";
  size_t seen = 0;
  r->ForEachEntry([&](const MapEntry& e) {
    EXPECT_EQ(e.path(), "f" + std::to_string(e.ino));
    ++seen;
  });
  EXPECT_EQ(seen, s.entries_used);
}

}  // namespace
}  // namespace localio
