// SPDX-License-Identifier: LGPL-3.0-or-later
#include "localio/wire_handle.h"

#include <gtest/gtest.h>

#include <array>
#include <vector>

namespace localio {
namespace {

const localio_fh_format kGanesha = localio_fh_format_ganesha();

std::vector<uint8_t> Bytes(std::initializer_list<int> v) {
  return std::vector<uint8_t>(v.begin(), v.end());
}

TEST(WireHandle, ParsesGaneshaV4HandleWithBigEndianExportId) {
  // 0x43, flags, export 0x0102, opaque length 3, opaque.
  auto h = Bytes({0x43, 0x00, 0x01, 0x02, 3, 0xaa, 0xbb, 0xcc});
  auto parsed = ParseWireHandle(h, kGanesha);
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->export_id, 0x0102u);
  ASSERT_EQ(parsed->opaque.size(), 3u);
  EXPECT_EQ(parsed->opaque[0], 0xaa);
  EXPECT_EQ(parsed->opaque[2], 0xcc);
}

TEST(WireHandle, AcceptsV3ZeroPaddingButNotGarbagePadding) {
  auto padded = Bytes({0x43, 0, 0, 10, 2, 0x11, 0x22, 0});
  ASSERT_TRUE(ParseWireHandle(padded, kGanesha));
  EXPECT_EQ(ParseWireHandle(padded, kGanesha)->export_id, 10u);

  auto garbage = Bytes({0x43, 0, 0, 10, 2, 0x11, 0x22, 7});
  EXPECT_FALSE(ParseWireHandle(garbage, kGanesha));

  // Padding as long as the multiple is not padding any more.
  auto too_long = Bytes({0x43, 0, 0, 10, 2, 0x11, 0x22, 0, 0, 0, 0, 0});
  EXPECT_FALSE(ParseWireHandle(too_long, kGanesha));
}

TEST(WireHandle, RejectsWrongVersionShortAndOverlongOpaque) {
  EXPECT_FALSE(ParseWireHandle(Bytes({0x41, 0, 0, 1, 1, 9}), kGanesha));
  EXPECT_FALSE(ParseWireHandle(Bytes({0x43, 0, 0, 1}), kGanesha));
  EXPECT_FALSE(ParseWireHandle(Bytes({0x43, 0, 0, 1, 5, 1, 2}), kGanesha));
  EXPECT_FALSE(ParseWireHandle(Bytes({0x43, 0, 0, 1, 0}), kGanesha));
  EXPECT_FALSE(ParseWireHandle({}, kGanesha));

  std::vector<uint8_t> big(5 + 124, 1);
  big[0] = 0x43;
  big[4] = 124;  // beyond the format's 123-byte maximum
  EXPECT_FALSE(ParseWireHandle(big, kGanesha));
}

TEST(WireHandle, BuildThenParseRoundTripsForV3AndV4) {
  std::array<uint8_t, 20> opaque{};
  for (size_t i = 0; i < opaque.size(); ++i) opaque[i] = static_cast<uint8_t>(i + 1);
  std::array<uint8_t, 128> out{};
  for (bool pad : {false, true}) {
    size_t n = BuildWireHandle(0xbeef, opaque, kGanesha, pad, out);
    ASSERT_EQ(n, pad ? 28u : 25u);
    auto parsed = ParseWireHandle(std::span<const uint8_t>(out.data(), n), kGanesha);
    ASSERT_TRUE(parsed);
    EXPECT_EQ(parsed->export_id, 0xbeefu);
    EXPECT_TRUE(std::equal(opaque.begin(), opaque.end(), parsed->opaque.begin()));
  }
  EXPECT_EQ(BuildWireHandle(0x10000, opaque, kGanesha, false, out), 0u)
      << "export id wider than the format's two bytes";
  EXPECT_EQ(BuildWireHandle(1, opaque, kGanesha, false, std::span<uint8_t>(out.data(), 10)), 0u);
}

TEST(WireHandle, FollowsAnotherServersPublishedLayout) {
  // A little-endian 4-byte export id at offset 1 and the length at offset 5.
  localio_fh_format other{0x07, 6, 1, 4, 0, 5, 4, 64};
  ASSERT_TRUE(FhFormatIsSane(other));
  auto h = Bytes({0x07, 0x78, 0x56, 0x34, 0x12, 1, 0xee});
  auto parsed = ParseWireHandle(h, other);
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->export_id, 0x12345678u);
  EXPECT_EQ(parsed->opaque[0], 0xee);
}

TEST(WireHandle, InsaneFormatsAreRefusedNotFollowed) {
  localio_fh_format f = kGanesha;
  f.export_id_size = 3;
  EXPECT_FALSE(FhFormatIsSane(f));
  f = kGanesha;
  f.opaque_len_offset = 2;  // overlaps the export id
  EXPECT_FALSE(FhFormatIsSane(f));
  f = kGanesha;
  f.export_id_offset = 4;  // runs past the header
  EXPECT_FALSE(FhFormatIsSane(f));
  f = kGanesha;
  f.header_len = 0;
  EXPECT_FALSE(FhFormatIsSane(f));
  EXPECT_FALSE(ParseWireHandle(Bytes({0x43, 0, 0, 1, 1, 9}), f));
}

}  // namespace
}  // namespace localio
