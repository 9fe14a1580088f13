// SPDX-License-Identifier: LGPL-3.0-or-later
// LOCALIO names (localio_proto.h): a LOCALIO call as the name of a LOOKUP.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "localio/localio_proto.h"
#include "localio/xdr.h"

namespace localio::rpc {
namespace {

TEST(LocalioName, AUuidIsLocalCallRoundTrips) {
  Nonce nonce;
  for (size_t i = 0; i < nonce.size(); ++i) nonce[i] = static_cast<uint8_t>(0xf0 + i);
  XdrEncoder args;
  EncodeUuidIsLocalArgs(nonce, &args);
  const std::string name = EncodeLocalioName(kLocalioProcUuidIsLocal, args.bytes());
  EXPECT_EQ(name, ".localio.00000001.f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff");
  uint32_t proc = 0;
  std::vector<uint8_t> decoded;
  ASSERT_TRUE(DecodeLocalioName(name, &proc, &decoded));
  EXPECT_EQ(proc, kLocalioProcUuidIsLocal);
  EXPECT_EQ(DecodeUuidIsLocalArgs(decoded), nonce);
}

TEST(LocalioName, AWroteOfOneLongestHandleFitsOneName) {
  const std::vector<uint8_t> handle(kMapMaxHandleLen, 0xab);
  const std::span<const uint8_t> one[] = {handle};
  XdrEncoder args;
  EncodeWroteArgs(513, one, &args);
  const std::string name = EncodeLocalioName(kLocalioProcWrote, args.bytes());
  ASSERT_FALSE(name.empty());
  EXPECT_LE(name.size(), kLocalioNameMax);
  uint32_t proc = 0;
  std::vector<uint8_t> decoded;
  ASSERT_TRUE(DecodeLocalioName(name, &proc, &decoded));
  EXPECT_EQ(proc, kLocalioProcWrote);
  const std::optional<WroteArgs> wrote = DecodeWroteArgs(decoded);
  ASSERT_TRUE(wrote.has_value());
  EXPECT_EQ(wrote->export_id, 513);
  ASSERT_EQ(wrote->handles.size(), 1u);
  EXPECT_TRUE(std::equal(handle.begin(), handle.end(), wrote->handles[0].begin()));
}

TEST(LocalioName, ArgumentsTooLongForOneNameGiveNoName) {
  const std::vector<uint8_t> args(200, 1);
  EXPECT_EQ(EncodeLocalioName(kLocalioProcWrote, args), "");
}

// Ordinary names, and names that only look like ours, are not calls: the
// lookup then goes to the filesystem.
TEST(LocalioName, AnythingElseIsAnOrdinaryName) {
  uint32_t proc = 0;
  std::vector<uint8_t> args;
  for (const char* name : {"", "file", ".localio", ".localio.", ".localio.0000001",
                           ".localio.00000001", ".localio.00000001x", ".localio.0000000g.00",
                           ".localio.00000001.0", ".localio.00000001.0G", ".localio.00000001.zz",
                           ".LOCALIO.00000001.00", ".localio.00000001.ABCD", "x.localio.00000001."})
    EXPECT_FALSE(DecodeLocalioName(name, &proc, &args)) << name;
  EXPECT_TRUE(DecodeLocalioName(".localio.00000000.", &proc, &args)) << "NULL, no arguments";
  EXPECT_EQ(proc, 0u);
  EXPECT_TRUE(args.empty());
  EXPECT_FALSE(DecodeLocalioName(std::string(".localio.00000001.") + std::string(238, 'a'), &proc,
                                 &args))
      << "longer than a name may be";
}

}  // namespace
}  // namespace localio::rpc
