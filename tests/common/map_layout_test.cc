// SPDX-License-Identifier: LGPL-3.0-or-later
#include "localio/map_layout.h"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "localio/map_types.h"

namespace localio {
namespace {

TEST(MapLayout, SectionsAreAlignedOrderedAndInsideTheFile) {
  for (uint32_t buckets : {1u, 2u, 1024u, 131072u, kMapMaxBuckets}) {
    const MapGeometry g = MapGeometryFor(buckets);
    for (uint64_t off : {g.export_keys_offset, g.export_rows_offset, g.tags_offset,
                         g.slots_offset, g.arena_offset, g.total_size})
      EXPECT_EQ(off % kMapSectionAlign, 0u);
    EXPECT_GE(g.export_keys_offset, sizeof(MapHeader));
    EXPECT_GE(g.export_rows_offset, g.export_keys_offset + kMapExportRows * 4);
    EXPECT_GE(g.tags_offset, g.export_rows_offset + kMapExportRows * sizeof(MapExportRow));
    EXPECT_GE(g.slots_offset, g.tags_offset + uint64_t{g.capacity} * 8);
    EXPECT_GE(g.arena_offset, g.slots_offset + uint64_t{g.capacity} * sizeof(MapSlot));
    EXPECT_GE(g.total_size, g.arena_offset + g.arena_units * kMapUnit);
    EXPECT_EQ(g.capacity, buckets * kMapSlotsPerBucket);
    // Every arena unit has a 32-bit index (MapSlot::record).
    EXPECT_LE(g.arena_units, uint64_t{UINT32_MAX});
    // However small the map, a full bucket of the longest records fits.
    EXPECT_GE(g.arena_units, uint64_t{kMapSlotsPerBucket} * kMapMaxRecordUnits);
  }
}

// access_epoch came after layout 3 shipped: it takes reserved bytes (zero
// in every map written before, ignored by every reader before) and moves
// nothing. (Layout 4 grew the export rows, not the header.)
TEST(MapLayout, TheAccessEpochTakesReservedBytesOfTheHeader) {
  EXPECT_EQ(kMapLayoutVersion, 4u);
  EXPECT_EQ(sizeof(MapHeader), 256u);
  EXPECT_EQ(offsetof(MapHeader, access_epoch), offsetof(MapHeader, arena_used) + 8);
  EXPECT_EQ(offsetof(MapHeader, access_epoch) % 8, 0u);
  EXPECT_EQ(offsetof(MapHeader, reserved), offsetof(MapHeader, access_epoch) + 8);
  EXPECT_EQ(offsetof(MapHeader, reserved) + sizeof(MapHeader::reserved), sizeof(MapHeader));
}

TEST(MapLayout, CapacityIsTheSmallestPowerOfTwoBucketCountHoldingMaxEntries) {
  EXPECT_EQ(MapGeometryForEntries(1).capacity, 8u);
  EXPECT_EQ(MapGeometryForEntries(8).capacity, 8u);
  EXPECT_EQ(MapGeometryForEntries(9).capacity, 16u);
  EXPECT_EQ(MapGeometryForEntries(262144).capacity, 262144u);
  EXPECT_EQ(MapGeometryForEntries(1000000).capacity, 1048576u);
}

TEST(MapLayout, AnEntryTakesAtMost160BytesOfSharedMemory) {
  // Issue 13: <= 160 bytes per entry (slot, tag word, arena share, and the
  // header and export table spread over a 1M-entry map).
  const MapGeometry g = MapGeometryForEntries(1u << 20);
  EXPECT_LE(g.total_size, uint64_t{160} << 20);
  EXPECT_EQ(sizeof(MapSlot), 64u);
  // A 32-byte handle with a 40-byte path fits the per-slot arena share.
  EXPECT_LE(MapRecordUnits(32, 40), kMapArenaUnitsPerSlot);
}

TEST(MapLayout, RecordsHoldTheLongestHandleAndPath) {
  EXPECT_EQ(kMapMaxHandleLen, 64u);
  EXPECT_GE(kMapPathField, 384u);
  EXPECT_EQ(MapRecordUnits(kMapMaxHandleLen, kMapMaxPathLen), kMapMaxRecordUnits);
  EXPECT_EQ(MapRecordUnits(1, 0), 1u);
  EXPECT_EQ(MapRecordUnits(7, 0), 1u);
  EXPECT_EQ(MapRecordUnits(8, 0), 2u);  // the NUL takes the ninth byte
}

TEST(MapLayout, TagWordsCarryTagAndRecord) {
  const uint64_t w = MapTagWord(0x12345678u, 0x9abcdef0u);
  EXPECT_EQ(MapTagWordTag(w), 0x12345678u);
  EXPECT_EQ(MapTagWordRecord(w), 0x9abcdef0u);
  EXPECT_NE(MapTagWord(1, 0), 0u) << "a held entry's word is never the empty word";
}

TEST(MapLayout, HashSpreadsHandlesAndTagIsNeverZero) {
  std::set<uint64_t> buckets;
  for (uint32_t n = 0; n < 4096; ++n) {
    uint8_t h[16] = {};
    std::memcpy(h, &n, sizeof n);
    const uint64_t hash = MapHash(1, h, sizeof h);
    EXPECT_NE(MapTagOf(hash), 0u);
    buckets.insert(hash & 1023);
  }
  EXPECT_GT(buckets.size(), 950u);  // 4096 keys over 1024 buckets
  uint8_t h[8] = {1, 2, 3};
  EXPECT_NE(MapHash(1, h, 8), MapHash(2, h, 8));
  EXPECT_NE(MapHash(1, h, 8), MapHash(1, h, 7));
  EXPECT_EQ(MapTagOf(0), 1u);
}

TEST(MapRelPath, AcceptsPlainRelativePathsAndTheRoot) {
  EXPECT_TRUE(MapRelPathIsSafe(""));
  EXPECT_TRUE(MapRelPathIsSafe("a"));
  EXPECT_TRUE(MapRelPathIsSafe("a/b/c.txt"));
  EXPECT_TRUE(MapRelPathIsSafe("..a/b..c/...")) << "dots inside names are names";
  EXPECT_TRUE(MapRelPathIsSafe(std::string(kMapMaxPathLen, 'x')));
}

TEST(MapRelPath, RefusesEscapesAndNonCanonicalPaths) {
  for (const std::string& bad : std::vector<std::string>{"/a", "..", "a/..", "../a", "a/../b", ".", "a/./b", "a//b", "a/",
                          std::string("a\0b", 3), std::string(kMapMaxPathLen + 1, 'x')})
    EXPECT_FALSE(MapRelPathIsSafe(bad)) << bad;
}

}  // namespace
}  // namespace localio
