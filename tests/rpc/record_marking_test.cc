// SPDX-License-Identifier: LGPL-3.0-or-later
#include <gtest/gtest.h>

#include <numeric>
#include <vector>

#include "localio/rpc_codec.h"

namespace localio::rpc {
namespace {

using Result = RecordReassembler::Result;

std::vector<uint8_t> Bytes(size_t n) {
  std::vector<uint8_t> bytes(n);
  std::iota(bytes.begin(), bytes.end(), uint8_t{1});
  return bytes;
}

std::vector<uint8_t> Mark(uint32_t word) {
  return {static_cast<uint8_t>(word >> 24), static_cast<uint8_t>(word >> 16),
          static_cast<uint8_t>(word >> 8), static_cast<uint8_t>(word)};
}

void Append(std::vector<uint8_t>* out, const std::vector<uint8_t>& more) {
  out->insert(out->end(), more.begin(), more.end());
}

TEST(RecordMarking, OneFragmentCarriesLastBitAndLength) {
  std::vector<uint8_t> wire;
  FrameRecord(Bytes(5), &wire);
  ASSERT_EQ(wire.size(), 9u);
  EXPECT_EQ(std::vector<uint8_t>(wire.begin(), wire.begin() + 4), Mark(0x80000005));
}

TEST(RecordMarking, ManyFragmentsReassembleFedByteByByte) {
  const std::vector<uint8_t> record = Bytes(10);
  std::vector<uint8_t> wire;
  FrameRecord(record, &wire, 3);  // 3+3+3+1: four headers
  ASSERT_EQ(wire.size(), 10u + 16u);

  RecordReassembler reassembler(64);
  for (size_t i = 0; i < wire.size(); ++i) {
    size_t used = 0;
    const Result result = reassembler.Consume({&wire[i], 1}, &used);
    EXPECT_EQ(used, 1u);
    if (i + 1 < wire.size()) {
      ASSERT_EQ(result, Result::kNeedMore) << "at byte " << i;
      EXPECT_TRUE(reassembler.InRecord());
    } else {
      ASSERT_EQ(result, Result::kRecord);
    }
  }
  EXPECT_EQ(std::vector<uint8_t>(reassembler.record().begin(), reassembler.record().end()), record);
  EXPECT_FALSE(reassembler.InRecord());
}

TEST(RecordMarking, BackToBackRecordsComeOneAtATime) {
  std::vector<uint8_t> wire;
  FrameRecord(Bytes(4), &wire);
  FrameRecord(Bytes(8), &wire, 5);
  RecordReassembler reassembler(64);
  size_t used = 0;
  ASSERT_EQ(reassembler.Consume(wire, &used), Result::kRecord);
  EXPECT_EQ(used, 8u);
  EXPECT_EQ(reassembler.record().size(), 4u);
  size_t used2 = 0;
  ASSERT_EQ(reassembler.Consume(std::span(wire).subspan(used), &used2), Result::kRecord);
  EXPECT_EQ(used + used2, wire.size());
  EXPECT_EQ(std::vector<uint8_t>(reassembler.record().begin(), reassembler.record().end()), Bytes(8));
}

TEST(RecordMarking, ZeroLengthFragmentsAreSkippedAndEmptyRecordIsARecord) {
  std::vector<uint8_t> wire = Mark(0);  // empty, not last
  Append(&wire, Mark(2));
  Append(&wire, {7, 8});
  Append(&wire, Mark(0));
  Append(&wire, Mark(0x80000000));  // empty last fragment ends the record
  RecordReassembler reassembler(64);
  size_t used = 0;
  ASSERT_EQ(reassembler.Consume(wire, &used), Result::kRecord);
  EXPECT_EQ(used, wire.size());
  EXPECT_EQ(std::vector<uint8_t>(reassembler.record().begin(), reassembler.record().end()),
            (std::vector<uint8_t>{7, 8}));

  const std::vector<uint8_t> empty = Mark(0x80000000);
  ASSERT_EQ(reassembler.Consume(empty, &used), Result::kRecord);
  EXPECT_TRUE(reassembler.record().empty());
}

TEST(RecordMarking, HugeFragmentLengthIsRefusedBeforeBuffering) {
  RecordReassembler reassembler(4096);
  std::vector<uint8_t> wire = Mark(0xffffffff);
  Append(&wire, Bytes(100));
  size_t used = 0;
  EXPECT_EQ(reassembler.Consume(wire, &used), Result::kTooLarge);
  EXPECT_EQ(used, 4u);
  // The stream is out of sync for good.
  EXPECT_EQ(reassembler.Consume(Mark(0x80000001), &used), Result::kTooLarge);
}

TEST(RecordMarking, FragmentsAddingUpBeyondTheMaximumAreRefused) {
  RecordReassembler reassembler(10);
  std::vector<uint8_t> wire = Mark(6);
  Append(&wire, Bytes(6));
  Append(&wire, Mark(0x80000005));
  Append(&wire, Bytes(5));
  size_t used = 0;
  EXPECT_EQ(reassembler.Consume(wire, &used), Result::kTooLarge);
  EXPECT_EQ(used, 14u);
}

TEST(RecordMarking, RecordOfExactlyTheMaximumIsAccepted) {
  RecordReassembler reassembler(10);
  std::vector<uint8_t> wire;
  FrameRecord(Bytes(10), &wire, 4);
  size_t used = 0;
  EXPECT_EQ(reassembler.Consume(wire, &used), Result::kRecord);
}

TEST(RecordMarking, TruncatedFragmentWaitsAndReportsAnOpenRecord) {
  RecordReassembler reassembler(64);
  std::vector<uint8_t> wire;
  FrameRecord(Bytes(20), &wire);
  size_t used = 0;
  EXPECT_FALSE(reassembler.InRecord());
  EXPECT_EQ(reassembler.Consume(std::span(wire).first(2), &used), Result::kNeedMore);
  EXPECT_TRUE(reassembler.InRecord());  // half a header
  EXPECT_EQ(reassembler.Consume(std::span(wire).subspan(2, 10), &used), Result::kNeedMore);
  EXPECT_TRUE(reassembler.InRecord());
  EXPECT_EQ(reassembler.Consume(std::span(wire).subspan(12), &used), Result::kRecord);
  EXPECT_FALSE(reassembler.InRecord());
}

}  // namespace
}  // namespace localio::rpc
