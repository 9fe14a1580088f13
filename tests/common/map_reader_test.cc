// SPDX-License-Identifier: LGPL-3.0-or-later
#include "localio/map_reader.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstddef>
#include <cstring>
#include <random>
#include <string>
#include <string_view>

#include "harness/files.h"
#include "localio/map_writer.h"
#include "map_test_util.h"

namespace localio {
namespace {

using harness::TempDir;
using test::HandleFor;
using test::MapTempDir;

// A small valid map with one export and a few entries, copied to a second
// file that each test may damage.
class MapReaderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(MapWriter::Create(test::ConfigIn(dir_, 64), &writer_).ok());
    MapExport e;
    e.export_id = 4;
    e.server_root = "/srv/x";
    ASSERT_TRUE(writer_->SetExport(e).ok());
    for (uint64_t n = 0; n < 10; ++n)
      ASSERT_EQ(writer_->Publish(4, HandleFor(n), "d/f" + std::to_string(n), n, 9,
                                 MapObjectType::kRegular),
                0);
    good_ = harness::ReadFile(writer_->path());
    ASSERT_EQ(good_.size(), MapGeometryForEntries(64).total_size);
    // A copy has no server holding its lock: make it a map of a server
    // that does not lock (what the fixture's tests damage is the rest).
    auto* h = reinterpret_cast<MapHeader*>(good_.data());
    h->flags &= ~kMapLocked;
  }

  // Opens `bytes` written as a file; returns the status.
  Status OpenBytes(std::string_view bytes, std::unique_ptr<MapReader>* r = nullptr) {
    EXPECT_TRUE(harness::WriteFile(copy_, bytes)) << copy_;
    std::unique_ptr<MapReader> local;
    return MapReader::Open(copy_, geteuid(), r ? r : &local);
  }

  template <class T>
  std::string WithField(size_t offset, T value) {
    std::string b = good_;
    std::memcpy(b.data() + offset, &value, sizeof value);
    return b;
  }

  // The shared slot holding handle n in the copy mapped read-write.
  MapSlot* SlotOf(SharedFile* f, uint64_t n) {
    const MapGeometry g = MapGeometryForEntries(64);
    auto* slots = reinterpret_cast<MapSlot*>(f->base() + g.slots_offset);
    const auto h = HandleFor(n);
    for (uint32_t i = 0; i < g.capacity; ++i) {
      MapSlot* s = &slots[i];
      if ((s->flags & kMapSlotInUse) && s->handle_len == h.size() &&
          std::memcmp(RecordOf(f, s), h.data(), h.size()) == 0)
        return s;
    }
    return nullptr;
  }
  uint8_t* RecordOf(SharedFile* f, const MapSlot* s) {
    const MapGeometry g = MapGeometryForEntries(64);
    return f->base() + g.arena_offset + uint64_t{s->record} * kMapUnit;
  }
  // Gives slot s (of handle n) a new record, at the unused top of the
  // arena, holding the handle and `path` bytes (no NUL added), and
  // path_len = path.size().
  void SetPath(SharedFile* f, MapSlot* s, uint64_t n, const std::string& path) {
    const MapGeometry g = MapGeometryForEntries(64);
    const auto h = HandleFor(n);
    s->record = static_cast<uint32_t>(g.arena_units - kMapMaxRecordUnits * (++relocated_));
    uint8_t* r = RecordOf(f, s);
    std::memset(r, 0, kMapMaxRecordUnits * kMapUnit);
    std::memcpy(r, h.data(), h.size());
    std::memcpy(r + h.size(), path.data(), std::min<size_t>(path.size(), kMapPathField));
    s->path_len = static_cast<uint16_t>(path.size());
  }

  TempDir dir_ = MapTempDir();
  std::unique_ptr<MapWriter> writer_;
  std::string good_;  // the map's bytes
  std::string copy_ = dir_.Path("copy");
  uint32_t relocated_ = 0;
};

TEST_F(MapReaderTest, AnIntactCopyIsUsable) {
  std::unique_ptr<MapReader> r;
  ASSERT_TRUE(OpenBytes(good_, &r).ok());
  MapEntry e;
  EXPECT_EQ(r->Lookup(4, HandleFor(3), &e), 0);
  EXPECT_EQ(e.path(), "d/f3");
  EXPECT_TRUE(r->FindExport(4));
}

TEST_F(MapReaderTest, EachCorruptedHeaderFieldMakesTheMapUnusable) {
  struct Case {
    const char* field;
    std::string bytes;
  };
  const uint64_t size = good_.size();
  std::vector<Case> cases = {
      {"magic", WithField<uint8_t>(0, 'X')},
      {"layout_version", WithField<uint32_t>(offsetof(MapHeader, layout_version), kMapLayoutVersion + 1)},
      {"header_size", WithField<uint32_t>(offsetof(MapHeader, header_size), 128)},
      {"total_size beyond file", WithField<uint64_t>(offsetof(MapHeader, total_size), size + 64)},
      {"total_size smaller", WithField<uint64_t>(offsetof(MapHeader, total_size), 4096)},
      {"export_keys_offset", WithField<uint64_t>(offsetof(MapHeader, export_keys_offset), 0)},
      {"export_rows_offset",
       WithField<uint64_t>(offsetof(MapHeader, export_rows_offset), size - 64)},
      {"export_row_count", WithField<uint32_t>(offsetof(MapHeader, export_row_count), 100000)},
      {"export_row_size", WithField<uint32_t>(offsetof(MapHeader, export_row_size), 8)},
      {"tags_offset", WithField<uint64_t>(offsetof(MapHeader, tags_offset), ~0ull)},
      {"slots_offset", WithField<uint64_t>(offsetof(MapHeader, slots_offset), size)},
      {"arena_offset", WithField<uint64_t>(offsetof(MapHeader, arena_offset), size)},
      {"arena_units larger", WithField<uint64_t>(offsetof(MapHeader, arena_units), size)},
      {"arena_units smaller", WithField<uint64_t>(offsetof(MapHeader, arena_units), 1)},
      {"bucket_count zero", WithField<uint32_t>(offsetof(MapHeader, bucket_count), 0)},
      {"bucket_count not 2^n", WithField<uint32_t>(offsetof(MapHeader, bucket_count), 7)},
      {"bucket_count huge", WithField<uint32_t>(offsetof(MapHeader, bucket_count), 1u << 31)},
      {"bucket_count larger", WithField<uint32_t>(offsetof(MapHeader, bucket_count), 16)},
      {"slots_per_bucket", WithField<uint32_t>(offsetof(MapHeader, slots_per_bucket), 9)},
      {"slot_size", WithField<uint32_t>(offsetof(MapHeader, slot_size), 1 << 20)},
      {"tag_size", WithField<uint32_t>(offsetof(MapHeader, tag_size), 4)},
      {"fh_format", WithField<uint8_t>(offsetof(MapHeader, fh_format) +
                                           offsetof(localio_fh_format, export_id_size),
                                       3)},
  };
  for (const Case& c : cases) {
    Status st = OpenBytes(c.bytes);
    EXPECT_EQ(st.code, -EPROTO) << c.field;
    EXPECT_NE(st.message.find("not usable"), std::string::npos) << c.field << ": " << st.message;
  }
}

TEST_F(MapReaderTest, EmptyShortAndTruncatedFilesAreUnusable) {
  EXPECT_EQ(OpenBytes({}).code, -EPROTO);
  EXPECT_EQ(OpenBytes(good_.substr(0, 100)).code, -EPROTO);
  Status st = OpenBytes(good_.substr(0, good_.size() - 1));
  EXPECT_EQ(st.code, -EPROTO);
  EXPECT_NE(st.message.find("header claims"), std::string::npos) << st.message;
  std::unique_ptr<MapReader> r;
  EXPECT_EQ(MapReader::Open(dir_.Path("missing"), geteuid(), &r).code, -ENOENT);
}

TEST_F(MapReaderTest, RandomBytesAreUnusable) {
  std::mt19937_64 rng(42);
  for (size_t size : {1ul, 255ul, 256ul, 4096ul, good_.size()}) {
    std::string b(size, '\0');
    for (char& x : b) x = static_cast<char>(rng());
    EXPECT_FALSE(OpenBytes(b).ok()) << size;
    // Random bytes behind a valid magic and version still fail on geometry.
    if (size >= sizeof(MapHeader)) {
      std::memcpy(b.data(), good_.data(), 12);
      EXPECT_FALSE(OpenBytes(b).ok()) << size;
    }
  }
}

TEST_F(MapReaderTest, HostileEntriesAreRefusedNotFollowed) {
  ASSERT_TRUE(harness::WriteFile(copy_, good_));
  std::unique_ptr<MapReader> r;
  ASSERT_TRUE(MapReader::Open(copy_, geteuid(), &r).ok());
  SharedFile f;
  ASSERT_TRUE(OpenSharedFile(copy_, true, nullptr, &f).ok());
  MapEntry e;
  SetPath(&f, SlotOf(&f, 0), 0, "../../etc/shadow");
  EXPECT_EQ(r->Lookup(4, HandleFor(0), &e), -EBADMSG);
  SetPath(&f, SlotOf(&f, 1), 1, "/etc/shadow");
  EXPECT_EQ(r->Lookup(4, HandleFor(1), &e), -EBADMSG);
  SetPath(&f, SlotOf(&f, 2), 2, "d/ok");
  SlotOf(&f, 2)->path_len = 2;  // "d/" with no NUL at [len]: "d/o..."
  EXPECT_EQ(r->Lookup(4, HandleFor(2), &e), -EBADMSG);
  SlotOf(&f, 3)->path_len = 5000;
  EXPECT_EQ(r->Lookup(4, HandleFor(3), &e), -EBADMSG);
  SlotOf(&f, 4)->type = 200;
  EXPECT_EQ(r->Lookup(4, HandleFor(4), &e), -EBADMSG);
  SetPath(&f, SlotOf(&f, 5), 5, std::string(kMapPathField, 'a'));  // no NUL anywhere
  SlotOf(&f, 5)->path_len = kMapMaxPathLen;
  EXPECT_EQ(r->Lookup(4, HandleFor(5), &e), -EBADMSG);
  MapSlot* s6 = SlotOf(&f, 6);
  s6->seq = 7;  // a writer that never finishes
  EXPECT_EQ(r->Lookup(4, HandleFor(6), &e), -EAGAIN);
  // A record that would run past the arena's end is not followed.
  MapSlot* s7 = SlotOf(&f, 7);
  s7->record = static_cast<uint32_t>(MapGeometryForEntries(64).arena_units - 1);
  EXPECT_EQ(r->Lookup(4, HandleFor(7), &e), -EBADMSG);
  s7->record = UINT32_MAX;
  EXPECT_EQ(r->Lookup(4, HandleFor(7), &e), -EBADMSG);
  // Untouched entries still work, and a tool walk skips the bad ones.
  EXPECT_EQ(r->Lookup(4, HandleFor(9), &e), 0);
  size_t seen = 0;
  r->ForEachEntry([&](const MapEntry&) { ++seen; });
  EXPECT_EQ(seen, 2u);  // 8, 9
}

TEST_F(MapReaderTest, HostileExportRowsAndHeaderSeqlockAreRefused) {
  ASSERT_TRUE(harness::WriteFile(copy_, good_));
  std::unique_ptr<MapReader> r;
  ASSERT_TRUE(MapReader::Open(copy_, geteuid(), &r).ok());
  ASSERT_TRUE(r->FindExport(4));
  SharedFile f;
  ASSERT_TRUE(OpenSharedFile(copy_, true, nullptr, &f).ok());
  const MapGeometry g = MapGeometryForEntries(64);
  auto* row = reinterpret_cast<MapExportRow*>(f.base() + g.export_rows_offset);
  row->server_root[0] = 'x';
  EXPECT_FALSE(r->FindExport(4)) << "relative root";
  row->server_root[0] = '/';
  row->server_root_len = kMapRootPathField;
  EXPECT_FALSE(r->FindExport(4)) << "length beyond the field";
  row->server_root_len = 6;
  row->squash = 77;
  EXPECT_FALSE(r->FindExport(4)) << "unknown squash";
  row->squash = 0;
  EXPECT_TRUE(r->FindExport(4));
  auto* h = reinterpret_cast<MapHeader*>(f.base());
  h->header_seq = 1;
  MapHeaderSnapshot snap;
  EXPECT_FALSE(r->ReadHeader(&snap));
  // Geometry was copied at open: a rewritten header cannot move reads.
  h->header_seq = 0;
  h->arena_offset = ~0ull;
  h->arena_units = ~0ull;
  h->bucket_count = 1u << 30;
  MapEntry e;
  EXPECT_EQ(r->Lookup(4, HandleFor(8), &e), 0);
}

TEST_F(MapReaderTest, RefreshNoticesAReplacedOrShrunkMap) {
  std::unique_ptr<MapReader> r;
  ASSERT_TRUE(MapReader::Open(writer_->path(), geteuid(), &r).ok());
  EXPECT_TRUE(r->Refresh().ok());
  writer_.reset();  // marks dead
  EXPECT_FALSE(r->Alive());
  std::unique_ptr<MapWriter> next;
  ASSERT_TRUE(MapWriter::Create(test::ConfigIn(dir_, 64), &next).ok());
  EXPECT_EQ(r->Refresh().code, -ESTALE);

  std::unique_ptr<MapReader> c;
  ASSERT_TRUE(OpenBytes(good_, &c).ok());
  ASSERT_EQ(truncate(copy_.c_str(), 4096), 0);
  EXPECT_EQ(c->Refresh().code, -EPROTO);  // and the caller must stop using it
}

// A server killed with SIGKILL neither clears kMapAlive nor stops its
// heartbeat at once; the kernel drops its lock on the map at once, and in a
// pod the client cannot see its pid. The reader goes by the lock.
TEST(MapReaderServerGone, AKilledServersMapIsRefusedAtOnce) {
  TempDir dir = MapTempDir();
  const MapConfig config = test::ConfigIn(dir, 64);
  int to_child[2], to_parent[2];
  ASSERT_EQ(pipe(to_child), 0);
  ASSERT_EQ(pipe(to_parent), 0);
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {  // the server
    std::unique_ptr<MapWriter> w;
    const char ok = MapWriter::Create(config, &w).ok() ? 'y' : 'n';
    (void)!write(to_parent[1], &ok, 1);
    char go;
    (void)!read(to_child[0], &go, 1);
    raise(SIGKILL);
  }
  char ok = 0;
  ASSERT_EQ(read(to_parent[0], &ok, 1), 1);
  ASSERT_EQ(ok, 'y');
  std::unique_ptr<MapReader> r;
  ASSERT_TRUE(MapReader::Open(config.path, geteuid(), &r).ok());
  EXPECT_TRUE(r->Refresh().ok()) << "a live server's lock is held";
  ASSERT_EQ(write(to_child[1], "k", 1), 1);
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFSIGNALED(status));
  EXPECT_TRUE(r->Alive()) << "nothing cleared the flag";
  EXPECT_EQ(r->Refresh().code, -ESRCH);
  MapHeaderSnapshot snap;
  ASSERT_TRUE(r->ReadHeader(&snap));
  EXPECT_FALSE(snap.alive) << "localio-stat shows it dead";
  // A new server at once (a container restarted in its own pid namespace,
  // where the dead one's pid may be alive): the map is its to replace.
  std::unique_ptr<MapWriter> next;
  EXPECT_TRUE(MapWriter::Create(config, &next).ok());
  EXPECT_FALSE(r->Alive()) << "the replaced map is marked dead";
  for (int fd : {to_child[0], to_child[1], to_parent[0], to_parent[1]}) close(fd);
}


// An export row carries its root's handle once the server looked the root
// up (the directory a LOCALIO name goes to); a later SetExport of the same
// export keeps it.
TEST(MapExportRoot, IsPublishedInTheRowAndKeptAcrossUpdates) {
  TempDir dir = MapTempDir();
  std::unique_ptr<MapWriter> w;
  ASSERT_TRUE(MapWriter::Create(test::ConfigIn(dir, 64), &w).ok());
  MapExport e;
  e.export_id = 7;
  e.server_root = "/srv/a";
  ASSERT_TRUE(w->SetExport(e).ok());
  std::unique_ptr<MapReader> r;
  ASSERT_TRUE(MapReader::Open(w->path(), geteuid(), &r).ok());
  EXPECT_TRUE(r->FindExport(7)->root_handle.empty()) << "no root before it is looked up";
  const std::vector<uint8_t> root = HandleFor(3, 40);
  EXPECT_EQ(w->SetExportRoot(7, root), 0);
  EXPECT_EQ(w->SetExportRoot(8, root), -ENOENT) << "no row of export 8";
  EXPECT_EQ(w->SetExportRoot(7, HandleFor(3, kMapMaxHandleLen + 1)), -EINVAL);
  EXPECT_EQ(r->FindExport(7)->root_handle, root);
  e.read_only = true;
  ASSERT_TRUE(w->SetExport(e).ok());
  EXPECT_EQ(r->FindExport(7)->root_handle, root) << "an update keeps the root";
  EXPECT_TRUE(r->FindExport(7)->read_only);
  MapExport other;
  other.export_id = 9;
  other.server_root = "/srv/b";
  ASSERT_TRUE(w->SetExport(other).ok());
  const std::vector<MapExport> all = r->Exports();
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].export_id + all[1].export_id, 16);
}

// A Map_Directory's maps: files with their hello file beside them; not the
// hello files, dot files (a map being made), directories or lone files.
TEST(ListMapFiles, FindsEveryMapWithItsHelloFileAndNothingElse) {
  TempDir dir = MapTempDir();
  for (const char* name : {"a-2049.map", "a-2049.map.hello", "b-2050.map", "b-2050.map.hello",
                           "lone.map", ".tmp.map", ".tmp.map.hello", "old", "old.hello"})
    ASSERT_TRUE(harness::WriteFile(dir.Path(name), "x"));
  ASSERT_EQ(mkdir(dir.Path("sub.map").c_str(), 0755), 0);
  ASSERT_TRUE(harness::WriteFile(dir.Path("sub.map.hello"), "x"));
  std::vector<std::string> maps;
  ASSERT_TRUE(ListMapFiles(dir.path(), &maps).ok());
  EXPECT_EQ(maps, (std::vector<std::string>{dir.Path("a-2049.map"), dir.Path("b-2050.map"),
                                            dir.Path("old")}));
  const Status missing = ListMapFiles(dir.Path("none"), &maps);
  EXPECT_EQ(missing.code, -ENOENT);
  EXPECT_NE(missing.message.find("map directory"), std::string::npos) << missing.message;
}

}  // namespace
}  // namespace localio
