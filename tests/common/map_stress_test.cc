// SPDX-License-Identifier: LGPL-3.0-or-later
// One writer publishing, re-publishing, unpublishing, renaming and changing
// exports while readers check that everything they copy out is internally
// consistent. Built as its own binary so CI can run it under ThreadSanitizer.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <random>
#include <thread>

#include "localio/map_reader.h"
#include "localio/map_writer.h"
#include "map_test_util.h"

namespace localio {
namespace {

using test::HandleFor;
using test::PathFor;

constexpr uint64_t kKeys = 6000;      // more keys than slots: evictions too
constexpr uint64_t kCapacity = 4096;
constexpr uint16_t kExport = 3;
constexpr auto kRunFor = std::chrono::milliseconds(2500);

size_t HandleLen(uint64_t n) { return 8 + n % 57; }

// True when the entry is one the writer could have published for its ino:
// the handle, the path's first component and its file name all encode it.
bool Consistent(const MapEntry& e) {
  const uint64_t n = e.ino;
  if (n >= kKeys || e.export_id != kExport || e.type != MapObjectType::kRegular) return false;
  const auto h = HandleFor(n, HandleLen(n));
  if (e.handle_len != h.size() || !std::equal(h.begin(), h.end(), e.handle().begin())) return false;
  const std::string_view p = e.path();
  const std::string head = "dir" + std::to_string(n % 7) + "/";
  const std::string tail = "/file-" + std::to_string(n);
  return p.starts_with(head) && p.ends_with(tail) && MapRelPathIsSafe(p);
}

MapExport ExportVersion(uint64_t v) {
  MapExport e;
  e.export_id = kExport;
  e.anon_uid = static_cast<uint32_t>(v);
  e.anon_gid = static_cast<uint32_t>(v);
  e.server_root = "/srv/" + std::to_string(v);
  e.client_root = "/mnt/" + std::to_string(v);
  return e;
}

// Paths of 120..320 bytes: records of 18..48 units against 10 per slot,
// so the arena fills and the writer evicts and compacts while readers read.
std::string LongPathFor(uint64_t n, uint64_t version) {
  return "dir" + std::to_string(n % 7) + "/v" + std::to_string(version) + "/" +
         std::string(100 + n % 200, 'p') + "/file-" + std::to_string(n);
}

// The churn, with paths from path_for(n, version) (version 0..2, the
// directory that RenamePrefix moves).
void Churn(std::string (*path_for)(uint64_t, uint64_t), MapStats* stats) {
  harness::TempDir dir = test::MapTempDir();
  std::unique_ptr<MapWriter> w;
  ASSERT_TRUE(MapWriter::Create(test::ConfigIn(dir, kCapacity), &w).ok());
  ASSERT_TRUE(w->SetExport(ExportVersion(0)).ok());

  std::atomic<bool> stop{false};
  std::atomic<uint64_t> hits{0}, misses{0}, busy{0}, torn{0}, walks{0};

  auto reader = [&](unsigned seed) {
    std::unique_ptr<MapReader> r;
    if (!MapReader::Open(w->path(), geteuid(), &r).ok()) {
      torn++;
      return;
    }
    std::mt19937_64 rng(seed);
    MapEntry e;
    uint64_t last_epoch = 0;
    while (!stop.load(std::memory_order_relaxed)) {
      const uint64_t n = rng() % kKeys;
      const auto h = HandleFor(n, HandleLen(n));
      const int rc = r->Lookup(kExport, h, &e);
      if (rc == 0) {
        hits++;
        if (!Consistent(e) || e.ino != n) torn++;
      } else if (rc == -ENOENT) {
        misses++;
      } else if (rc == -EAGAIN) {
        busy++;  // the writer was preempted inside a seqlock
      } else {
        torn++;
      }
      if (rng() % 64 == 0) {
        auto ex = r->FindExport(kExport);
        if (ex && (ex->server_root.substr(5) != std::to_string(ex->anon_uid) ||
                   ex->client_root.substr(5) != std::to_string(ex->anon_gid)))
          torn++;
        MapHeaderSnapshot snap;
        if (r->ReadHeader(&snap)) {
          if (snap.epoch < last_epoch || !snap.alive) torn++;
          last_epoch = snap.epoch;
        }
      }
    }
  };
  auto walker = [&] {
    std::unique_ptr<MapReader> r;
    if (!MapReader::Open(w->path(), geteuid(), &r).ok()) {
      torn++;
      return;
    }
    while (!stop.load(std::memory_order_relaxed)) {
      r->ForEachEntry([&](const MapEntry& e) {
        if (!Consistent(e)) torn++;
      });
      walks++;
    }
  };

  std::vector<std::thread> threads;
  for (unsigned i = 0; i < 3; ++i) threads.emplace_back(reader, i + 1);
  threads.emplace_back(walker);

  std::mt19937_64 rng(99);
  uint64_t ops = 0, export_version = 0;
  const auto end = std::chrono::steady_clock::now() + kRunFor;
  while (std::chrono::steady_clock::now() < end) {
    for (int i = 0; i < 256; ++i, ++ops) {
      const uint64_t n = rng() % kKeys;
      const auto h = HandleFor(n, HandleLen(n));
      const unsigned what = static_cast<unsigned>(rng() % 100);
      if (what < 80) {
        ASSERT_EQ(w->Publish(kExport, h, path_for(n, rng() % 3), n, 1, MapObjectType::kRegular), 0);
      } else if (what < 95) {
        const int rc = w->Unpublish(kExport, h);
        ASSERT_TRUE(rc == 0 || rc == -ENOENT);
      } else if (what < 99) {
        const uint64_t k = rng() % 7;
        const std::string from = "dir" + std::to_string(k) + "/v" + std::to_string(rng() % 3);
        const std::string to = "dir" + std::to_string(k) + "/v" + std::to_string(rng() % 3);
        if (from != to) {
          ASSERT_GE(w->RenamePrefix(kExport, from, to), 0);
        }
      } else {
        ASSERT_TRUE(w->SetExport(ExportVersion(++export_version)).ok());
      }
    }
    w->Heartbeat();
  }
  stop = true;
  for (auto& t : threads) t.join();

  EXPECT_EQ(torn.load(), 0u);
  EXPECT_GT(hits.load(), 0u);
  EXPECT_GT(walks.load(), 0u);
  const MapStats s = w->Stats();
  EXPECT_LE(s.entries_used, s.capacity);
  std::printf("writer ops %llu, lookups: %llu hits %llu misses %llu busy, %llu walks, "
              "%llu evictions, %llu compactions\n",
              static_cast<unsigned long long>(ops), static_cast<unsigned long long>(hits),
              static_cast<unsigned long long>(misses), static_cast<unsigned long long>(busy),
              static_cast<unsigned long long>(walks), static_cast<unsigned long long>(s.evictions),
              static_cast<unsigned long long>(s.compactions));
  *stats = s;
}

TEST(MapStress, ReadersNeverSeeATornEntryWhileOneWriterChurns) {
  MapStats s;
  Churn(PathFor, &s);
}

TEST(MapStress, ReadersNeverSeeATornEntryWhileTheWriterCompactsItsArena) {
  MapStats s;
  Churn(LongPathFor, &s);
  EXPECT_GT(s.compactions, 0u);
}

}  // namespace
}  // namespace localio
