// SPDX-License-Identifier: LGPL-3.0-or-later
// An export removed by a SIGHUP reload (Ganesha 4.3 re-reads the config and
// unexports what is gone, reread_exports -> prune_defunct_exports): its map
// row and entries disappear and the epoch bumps; the bypass for it stops at
// the next I/O (which never reads the local file again), while the other
// export keeps bypassing with correct data. NFSv3 and NFSv4.
#include <gtest/gtest.h>
#include <fcntl.h>

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "harness/files.h"
#include "harness/gtest_support.h"
#include "localio/map_reader.h"
#include "safety_support.h"

namespace localio::harness {
namespace {

using std::chrono::milliseconds;

constexpr uint16_t kRemoved = 1, kKept = 2;

size_t EntriesOf(const MapReader& map, uint16_t export_id) {
  size_t n = 0;
  map.ForEachEntry([&](const MapEntry& e) { n += e.export_id == export_id; });
  return n;
}

class FaultExportReload : public ServerTest<> {
 protected:
  void SetUp() override {
    ServerOptions options;
    options.exports = {MakeExport(kRemoved), MakeExport(kKept)};
    StartServer(options);
  }
};

struct Open {
  std::unique_ptr<LocalioMount> m;
  nfsfh* fh = nullptr;
  std::string data;
};

TEST_F(FaultExportReload, RemovedExportStopsBypassingOthersGoOn) {
  std::vector<Open> removed, kept;
  for (int v : {3, 4}) {
    for (uint16_t id : {kRemoved, kKept}) {
      Open o;
      const std::string name = "file-v" + std::to_string(v);
      o.data = Pattern("export " + std::to_string(id) + " " + name, 20000);
      ASSERT_TRUE(WriteLocalFile(server_->ExportDir(id) + "/" + name, o.data).ok());
      Status s = LocalioMount::Attach(server_->Url(id, v, ""),
                                      ConfigWithMap(server_->map_path()), &o.m);
      ASSERT_TRUE(s.ok()) << s.message;
      ASSERT_EQ(localio_open(o.m->ctx(), ("/" + name).c_str(), O_RDWR, &o.fh), 0)
          << o.m->Error();
      ASSERT_TRUE(ReadThroughLocalio(o.m->ctx(), o.fh) == (ReadOutcome{0, o.data}));
      ASSERT_GE(o.m->Counters().read_ops, 1u) << Describe(o.m->Counters());
      (id == kRemoved ? removed : kept).push_back(std::move(o));
    }
  }
  const std::string removed_dir = server_->ExportDir(kRemoved);
  std::unique_ptr<MapReader> map;
  ASSERT_TRUE(MapReader::Open(server_->map_path(), LOCALIO_DEFAULT_SERVER_UID, &map).ok());
  const uint64_t epoch = map->Epoch();
  ASSERT_TRUE(map->FindExport(kRemoved));
  ASSERT_GT(EntriesOf(*map, kRemoved), 0u);

  ASSERT_TRUE(server_->SetExports({*server_->FindExport(kKept)}).ok());
  ASSERT_TRUE(server_->Reload().ok());
  const auto t0 = std::chrono::steady_clock::now();
  while (map->FindExport(kRemoved) && std::chrono::steady_clock::now() - t0 < std::chrono::seconds(20))
    std::this_thread::sleep_for(milliseconds(5));
  const auto took = std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now() - t0);
  ASSERT_FALSE(map->FindExport(kRemoved)) << "export " << kRemoved << " still in the map";
  std::printf("export %u left the map %lld ms after SIGHUP\n", kRemoved,
              static_cast<long long>(took.count()));
  // The row may be withdrawn at the reload's start (suspended) before the
  // export is released with its entries; readers never use entries without
  // their row, and the entries must follow it out.
  while (EntriesOf(*map, kRemoved) != 0 &&
         std::chrono::steady_clock::now() - t0 < std::chrono::seconds(20))
    std::this_thread::sleep_for(milliseconds(5));
  EXPECT_EQ(EntriesOf(*map, kRemoved), 0u);
  EXPECT_GT(map->Epoch(), epoch);
  // The kept export was updated too: its row is withdrawn during the
  // reload and comes back with its (unchanged) access after it.
  while (!map->FindExport(kKept) && std::chrono::steady_clock::now() - t0 < std::chrono::seconds(20))
    std::this_thread::sleep_for(milliseconds(1));
  EXPECT_TRUE(map->FindExport(kKept));
  ASSERT_TRUE(server_->Running());

  // The very next I/O of each file of the removed export does not bypass.
  for (Open& o : removed) {
    const localio_counters before = o.m->Counters();
    char buf[512];
    const int n = localio_pread(o.m->ctx(), o.fh, 0, sizeof buf, buf);
    const localio_counters after = o.m->Counters();
    EXPECT_EQ(after.read_ops, before.read_ops) << "a removed export's file was read locally";
    EXPECT_EQ(after.write_ops, before.write_ops);
    uint64_t fallbacks = 0;
    for (int r = 0; r < LOCALIO_FALLBACK_REASONS; ++r)
      fallbacks += after.fallbacks[r] - before.fallbacks[r];
    EXPECT_EQ(fallbacks, 1u) << Describe(after);
    std::printf("read on the removed export after the reload: %d (%s); %s\n", n,
                n < 0 ? strerror(-n) : "data", Describe(after).c_str());
    // Whatever the wire says now, never the local file's bytes by bypass;
    // and a write is refused or goes by RPC, never into the file locally.
    const int w = localio_pwrite(o.m->ctx(), o.fh, 0, 5, "XXXXX");
    EXPECT_EQ(o.m->Counters().write_ops, before.write_ops) << "wrote locally, rc " << w;
    localio_close(o.m->ctx(), o.fh);
  }
  for (int v : {3, 4})
    EXPECT_TRUE(ReadFile(removed_dir + "/file-v" + std::to_string(v)) == removed[v - 3].data)
        << "the removed export's file changed (v" << v << ")";

  // The kept export still bypasses, for reads and writes, with its data.
  for (Open& o : kept) {
    const localio_counters before = o.m->Counters();
    EXPECT_TRUE(ReadThroughLocalio(o.m->ctx(), o.fh) == (ReadOutcome{0, o.data})) << o.m->Error();
    const std::string update = Pattern("after reload", 4000);
    EXPECT_EQ(WriteThroughLocalio(o.m->ctx(), o.fh, 100, update), 0) << o.m->Error();
    o.data.replace(100, update.size(), update);
    const localio_counters after = o.m->Counters();
    EXPECT_GT(after.read_ops, before.read_ops) << Describe(after);
    EXPECT_GT(after.write_ops, before.write_ops) << Describe(after);
    EXPECT_EQ(localio_close(o.m->ctx(), o.fh), 0) << o.m->Error();
  }
  for (int v : {3, 4})
    EXPECT_TRUE(ReadFile(server_->ExportDir(kKept) + "/file-v" + std::to_string(v)) ==
                kept[v - 3].data)
        << "the kept export's file lacks the bypassed writes (v" << v << ")";
}

}  // namespace
}  // namespace localio::harness
