// SPDX-License-Identifier: LGPL-3.0-or-later
#include "localio/xdr.h"

#include <gtest/gtest.h>

#include <array>
#include <cstdint>

namespace localio::rpc {
namespace {

TEST(Xdr, EveryPrimitiveRoundTrips) {
  XdrEncoder out;
  out.U32(0xdeadbeef);
  out.U64(0x0123456789abcdefULL);
  out.Bool(true);
  const std::array<uint8_t, 5> fixed = {1, 2, 3, 4, 5};
  out.FixedOpaque(fixed);
  const std::array<uint8_t, 3> var = {9, 8, 7};
  ASSERT_TRUE(out.Opaque(var, 3));
  ASSERT_TRUE(out.String("host", 255));
  // 4 + 8 + 4 + (5+3) + (4+3+1) + (4+4)
  ASSERT_EQ(out.bytes().size(), 40u);

  XdrDecoder in(out.bytes());
  uint32_t u32 = 0;
  uint64_t u64 = 0;
  bool flag = false;
  std::array<uint8_t, 5> fixed_back{};
  std::span<const uint8_t> var_back;
  std::string text;
  EXPECT_TRUE(in.U32(&u32));
  EXPECT_TRUE(in.U64(&u64));
  EXPECT_TRUE(in.Bool(&flag));
  EXPECT_TRUE(in.FixedOpaque(fixed_back));
  EXPECT_TRUE(in.Opaque(3, &var_back));
  EXPECT_TRUE(in.String(255, &text));
  EXPECT_TRUE(in.ok());
  EXPECT_EQ(in.remaining(), 0u);
  EXPECT_EQ(u32, 0xdeadbeefu);
  EXPECT_EQ(u64, 0x0123456789abcdefULL);
  EXPECT_TRUE(flag);
  EXPECT_EQ(fixed_back, fixed);
  EXPECT_EQ(std::vector<uint8_t>(var_back.begin(), var_back.end()),
            std::vector<uint8_t>(var.begin(), var.end()));
  EXPECT_EQ(text, "host");
}

TEST(Xdr, EncodingIsBigEndian) {
  XdrEncoder out;
  out.U32(0x01020304);
  EXPECT_EQ(out.bytes(), (std::vector<uint8_t>{1, 2, 3, 4}));
}

TEST(Xdr, BoolOtherThanZeroOrOneFails) {
  const std::vector<uint8_t> bytes = {0, 0, 0, 2};
  XdrDecoder in(bytes);
  bool flag = false;
  EXPECT_FALSE(in.Bool(&flag));
  EXPECT_FALSE(in.ok());
}

TEST(Xdr, OpaqueLongerThanMaxFailsBothWays) {
  XdrEncoder out;
  const std::array<uint8_t, 4> bytes = {1, 2, 3, 4};
  EXPECT_FALSE(out.Opaque(bytes, 3));
  EXPECT_FALSE(out.String("toolong", 6));
  EXPECT_TRUE(out.bytes().empty());

  ASSERT_TRUE(out.Opaque(bytes, 4));
  XdrDecoder in(out.bytes());
  std::span<const uint8_t> back;
  EXPECT_FALSE(in.Opaque(3, &back));
}

TEST(Xdr, ShortInputFailsAndFailureIsSticky) {
  const std::vector<uint8_t> bytes = {0, 0, 0, 1, 0, 0};
  XdrDecoder in(bytes);
  uint32_t value = 7;
  EXPECT_TRUE(in.U32(&value));
  EXPECT_FALSE(in.U32(&value));
  EXPECT_EQ(value, 1u);  // untouched by the failed read
  EXPECT_FALSE(in.ok());
  EXPECT_EQ(in.remaining(), 0u);
  EXPECT_TRUE(in.rest().empty());
}

TEST(Xdr, HugeLengthWordDoesNotWrapAround) {
  const std::vector<uint8_t> bytes = {0xff, 0xff, 0xff, 0xfd, 1, 2, 3, 4};
  XdrDecoder in(bytes);
  std::span<const uint8_t> value;
  EXPECT_FALSE(in.Opaque(SIZE_MAX, &value));
}

TEST(Xdr, MissingPaddingFails) {
  // Length 1, one byte of data, no padding.
  const std::vector<uint8_t> bytes = {0, 0, 0, 1, 0x41};
  XdrDecoder in(bytes);
  std::string text;
  EXPECT_FALSE(in.String(10, &text));
}

}  // namespace
}  // namespace localio::rpc
