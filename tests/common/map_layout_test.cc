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
    for (uint64_t off : {g.export_keys_offset, g.export_rows_offset, g.tags_offset, g.slots_offset})
      EXPECT_EQ(off % kMapSectionAlign, 0u);
    EXPECT_GE(g.export_keys_offset, sizeof(MapHeader));
    EXPECT_GE(g.export_rows_offset, g.export_keys_offset + kMapExportRows * 4);
    EXPECT_GE(g.tags_offset, g.export_rows_offset + kMapExportRows * sizeof(MapExportRow));
    EXPECT_GE(g.slots_offset, g.tags_offset + uint64_t{g.capacity} * 4);
    EXPECT_EQ(g.total_size, g.slots_offset + uint64_t{g.capacity} * sizeof(MapSlot));
    EXPECT_EQ(g.capacity, buckets * kMapSlotsPerBucket);
  }
}

TEST(MapLayout, CapacityIsTheSmallestPowerOfTwoBucketCountHoldingMaxEntries) {
  EXPECT_EQ(MapGeometryForEntries(1).capacity, 8u);
  EXPECT_EQ(MapGeometryForEntries(8).capacity, 8u);
  EXPECT_EQ(MapGeometryForEntries(9).capacity, 16u);
  EXPECT_EQ(MapGeometryForEntries(262144).capacity, 262144u);
  EXPECT_EQ(MapGeometryForEntries(1000000).capacity, 1048576u);
  // 1M entries of 512 bytes plus tags and the export table.
  EXPECT_LT(MapGeometryForEntries(1u << 20).total_size, (1ull << 29) + (1ull << 23));
}

TEST(MapLayout, SlotKeepsAtLeast384PathBytesAnd64HandleBytes) {
  EXPECT_EQ(sizeof(MapSlot), 512u);
  EXPECT_GE(kMapPathField, 384u);
  EXPECT_EQ(kMapMaxHandleLen, 64u);
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
