// SPDX-License-Identifier: LGPL-3.0-or-later
#include "localio/rpc_codec.h"

#include <gtest/gtest.h>

#include "call_bytes.h"
#include "localio/localio_proto.h"

namespace localio::rpc {
namespace {

using testing::AuthSysBody;
using testing::RawCall;
using testing::SampleAuthSys;
using testing::SampleNonce;

std::vector<uint8_t> EncodedUuidCall(const Credential& cred) {
  XdrEncoder out;
  EXPECT_TRUE(EncodeCall({77, kLocalioProgram, kLocalioVersion, kLocalioProcUuidIsLocal, cred}, &out));
  EncodeUuidIsLocalArgs(SampleNonce(), &out);
  return out.Take();
}

TEST(RpcCall, AuthNoneCallRoundTrips) {
  const std::vector<uint8_t> record = EncodedUuidCall(Credential::None());
  const DecodedCall call = DecodeCall(record);
  ASSERT_EQ(call.verdict, CallVerdict::kAccepted);
  EXPECT_EQ(call.header.xid, 77u);
  EXPECT_EQ(call.header.prog, kLocalioProgram);
  EXPECT_EQ(call.header.vers, kLocalioVersion);
  EXPECT_EQ(call.header.proc, kLocalioProcUuidIsLocal);
  EXPECT_EQ(call.header.cred.flavor, AuthFlavor::kNone);
  EXPECT_EQ(DecodeUuidIsLocalArgs(call.args), SampleNonce());
}

TEST(RpcCall, AuthSysCallRoundTrips) {
  const std::vector<uint8_t> record = EncodedUuidCall(Credential::Sys(SampleAuthSys()));
  const DecodedCall call = DecodeCall(record);
  ASSERT_EQ(call.verdict, CallVerdict::kAccepted);
  const AuthSys& sys = call.header.cred.sys;
  EXPECT_EQ(call.header.cred.flavor, AuthFlavor::kSys);
  EXPECT_EQ(sys.stamp, 42u);
  EXPECT_EQ(sys.machine_name, "client-host");
  EXPECT_EQ(sys.uid, 1000u);
  EXPECT_EQ(sys.gid, 100u);
  EXPECT_EQ(sys.gids, (std::vector<uint32_t>{4, 24, 27}));
  EXPECT_EQ(DecodeUuidIsLocalArgs(call.args), SampleNonce());
}

TEST(RpcCall, AuthSysAtTheRfcBoundsIsAccepted) {
  AuthSys sys = SampleAuthSys();
  sys.machine_name.assign(kMaxMachineName, 'm');
  sys.gids.assign(kMaxAuthSysGids, 7);
  XdrEncoder out;
  ASSERT_TRUE(EncodeCall({1, 2, 3, 4, Credential::Sys(sys)}, &out));
  const DecodedCall call = DecodeCall(out.bytes());
  ASSERT_EQ(call.verdict, CallVerdict::kAccepted);
  EXPECT_EQ(call.header.cred.sys.machine_name, sys.machine_name);
  EXPECT_EQ(call.header.cred.sys.gids.size(), kMaxAuthSysGids);
}

TEST(RpcCall, EncoderRefusesAuthSysBeyondTheBounds) {
  AuthSys sys = SampleAuthSys();
  sys.gids.assign(kMaxAuthSysGids + 1, 7);
  XdrEncoder out;
  EXPECT_FALSE(EncodeCall({1, 2, 3, 4, Credential::Sys(sys)}, &out));
  sys = SampleAuthSys();
  sys.machine_name.assign(kMaxMachineName + 1, 'm');
  XdrEncoder out2;
  EXPECT_FALSE(EncodeCall({1, 2, 3, 4, Credential::Sys(sys)}, &out2));
}

DecodedCall DecodeRaw(const RawCall& raw) {
  static std::vector<uint8_t> keep;  // args spans point into it
  keep = raw.Bytes();
  return DecodeCall(keep);
}

TEST(RpcCall, MalformedAuthSysIsBadCred) {
  RawCall raw;
  raw.cred_flavor = 1;
  AuthSys sys = SampleAuthSys();
  sys.gids.assign(kMaxAuthSysGids + 1, 7);  // 17 gids
  raw.cred_body = AuthSysBody(sys);
  DecodedCall call = DecodeRaw(raw);
  EXPECT_EQ(call.verdict, CallVerdict::kAuthError);
  EXPECT_EQ(call.auth_stat, AuthStat::kBadCred);
  EXPECT_EQ(call.header.xid, raw.xid);

  sys = SampleAuthSys();
  sys.machine_name.assign(kMaxMachineName + 1, 'm');
  raw.cred_body = AuthSysBody(sys);
  EXPECT_EQ(DecodeRaw(raw).auth_stat, AuthStat::kBadCred);

  raw.cred_body = AuthSysBody(SampleAuthSys());
  raw.cred_body.insert(raw.cred_body.end(), 4, 0);  // trailing word
  EXPECT_EQ(DecodeRaw(raw).auth_stat, AuthStat::kBadCred);

  raw.cred_body.resize(8);  // cut inside the machine name
  EXPECT_EQ(DecodeRaw(raw).auth_stat, AuthStat::kBadCred);
}

TEST(RpcCall, CredentialBodyOver400BytesIsBadCred) {
  RawCall raw;
  raw.cred_flavor = 1;
  raw.cred_body.assign(kMaxAuthBody + 4, 0);
  const DecodedCall call = DecodeRaw(raw);
  EXPECT_EQ(call.verdict, CallVerdict::kAuthError);
  EXPECT_EQ(call.auth_stat, AuthStat::kBadCred);
}

TEST(RpcCall, UnknownFlavourIsBadCred) {
  for (uint32_t flavor : {2u, 3u, 6u, 390003u}) {
    RawCall raw;
    raw.cred_flavor = flavor;
    raw.cred_body = {0, 0, 0, 0};
    const DecodedCall call = DecodeRaw(raw);
    EXPECT_EQ(call.verdict, CallVerdict::kAuthError) << flavor;
    EXPECT_EQ(call.auth_stat, AuthStat::kBadCred) << flavor;
  }
}

TEST(RpcCall, AuthNoneWithABodyIsBadCred) {
  RawCall raw;
  raw.cred_body = {1, 2, 3, 4};
  EXPECT_EQ(DecodeRaw(raw).auth_stat, AuthStat::kBadCred);
}

TEST(RpcCall, VerifierOtherThanEmptyNoneIsBadVerf) {
  RawCall raw;
  raw.verf_flavor = 1;
  EXPECT_EQ(DecodeRaw(raw).auth_stat, AuthStat::kBadVerf);
  raw.verf_flavor = 0;
  raw.verf_body = {1, 2, 3, 4};
  EXPECT_EQ(DecodeRaw(raw).auth_stat, AuthStat::kBadVerf);
}

TEST(RpcCall, OtherRpcVersionIsRpcMismatch) {
  RawCall raw;
  raw.rpcvers = 3;
  const DecodedCall call = DecodeRaw(raw);
  EXPECT_EQ(call.verdict, CallVerdict::kRpcMismatch);
  EXPECT_EQ(call.header.xid, raw.xid);
}

TEST(RpcCall, ReplyOrGarbageIsUnparsable) {
  XdrEncoder reply;
  EncodeAcceptedReply(5, AcceptStat::kSuccess, &reply);
  EXPECT_EQ(DecodeCall(reply.bytes()).verdict, CallVerdict::kUnparsable);
  EXPECT_EQ(DecodeCall({}).verdict, CallVerdict::kUnparsable);
}

TEST(RpcCall, TruncatedAtEveryOffsetNeverYieldsAValidCall) {
  for (const Credential& cred : {Credential::None(), Credential::Sys(SampleAuthSys())}) {
    const std::vector<uint8_t> record = EncodedUuidCall(cred);
    for (size_t len = 0; len < record.size(); ++len) {
      // A copy of exactly `len` bytes: AddressSanitizer sees any overread.
      const std::vector<uint8_t> prefix(record.begin(), record.begin() + static_cast<ptrdiff_t>(len));
      const DecodedCall call = DecodeCall(prefix);
      const bool complete = call.verdict == CallVerdict::kAccepted &&
                            DecodeUuidIsLocalArgs(call.args).has_value();
      EXPECT_FALSE(complete) << "prefix of " << len << " bytes";
    }
  }
}

TEST(RpcReply, EveryAcceptedKindRoundTrips) {
  for (AcceptStat stat : {AcceptStat::kSuccess, AcceptStat::kProgUnavail,
                          AcceptStat::kProcUnavail, AcceptStat::kGarbageArgs,
                          AcceptStat::kSystemErr}) {
    XdrEncoder out;
    EncodeAcceptedReply(9, stat, &out);
    const auto reply = DecodeReply(out.bytes());
    ASSERT_TRUE(reply.has_value());
    EXPECT_EQ(reply->xid, 9u);
    EXPECT_EQ(reply->reply_stat, ReplyStat::kAccepted);
    EXPECT_EQ(reply->accept_stat, stat);
    EXPECT_TRUE(reply->results.empty());
  }
}

TEST(RpcReply, SuccessCarriesResults) {
  XdrEncoder out;
  EncodeAcceptedReply(9, AcceptStat::kSuccess, &out);
  out.U32(0x1234);
  const auto reply = DecodeReply(out.bytes());
  ASSERT_TRUE(reply.has_value());
  XdrDecoder results(reply->results);
  uint32_t port = 0;
  EXPECT_TRUE(results.U32(&port));
  EXPECT_EQ(port, 0x1234u);
}

TEST(RpcReply, ProgMismatchCarriesTheRange) {
  XdrEncoder out;
  EncodeProgMismatchReply(9, 1, 3, &out);
  const auto reply = DecodeReply(out.bytes());
  ASSERT_TRUE(reply.has_value());
  EXPECT_EQ(reply->accept_stat, AcceptStat::kProgMismatch);
  EXPECT_EQ(reply->mismatch_low, 1u);
  EXPECT_EQ(reply->mismatch_high, 3u);
  EXPECT_EQ(DescribeReply(*reply), "PROG_MISMATCH 1..3");
}

TEST(RpcReply, RpcMismatchAndAuthErrorRoundTrip) {
  XdrEncoder out;
  EncodeRpcMismatchReply(9, &out);
  auto reply = DecodeReply(out.bytes());
  ASSERT_TRUE(reply.has_value());
  EXPECT_EQ(reply->reply_stat, ReplyStat::kDenied);
  EXPECT_EQ(reply->reject_stat, RejectStat::kRpcMismatch);
  EXPECT_EQ(reply->mismatch_low, 2u);
  EXPECT_EQ(reply->mismatch_high, 2u);

  for (AuthStat stat : {AuthStat::kBadCred, AuthStat::kRejectedCred, AuthStat::kBadVerf,
                        AuthStat::kRejectedVerf, AuthStat::kTooWeak}) {
    XdrEncoder denied;
    EncodeAuthErrorReply(10, stat, &denied);
    reply = DecodeReply(denied.bytes());
    ASSERT_TRUE(reply.has_value());
    EXPECT_EQ(reply->xid, 10u);
    EXPECT_EQ(reply->reject_stat, RejectStat::kAuthError);
    EXPECT_EQ(reply->auth_stat, stat);
  }
  EXPECT_EQ(DescribeReply(*reply), "MSG_DENIED AUTH_ERROR AUTH_TOOWEAK");
}

TEST(RpcReply, TruncatedRepliesAreRefusedAtEveryOffset) {
  std::vector<std::vector<uint8_t>> replies;
  XdrEncoder a, b, c, d;
  EncodeAcceptedReply(1, AcceptStat::kSuccess, &a);
  EncodeProgMismatchReply(1, 1, 1, &b);
  EncodeRpcMismatchReply(1, &c);
  EncodeAuthErrorReply(1, AuthStat::kBadCred, &d);
  for (const XdrEncoder* e : {&a, &b, &c, &d}) {
    const std::vector<uint8_t>& full = e->bytes();
    for (size_t len = 0; len < full.size(); ++len) {
      const std::vector<uint8_t> prefix(full.begin(), full.begin() + static_cast<ptrdiff_t>(len));
      EXPECT_FALSE(DecodeReply(prefix).has_value()) << len;
    }
  }
}

TEST(RpcReply, UnknownStatusValuesAreRefused) {
  XdrEncoder out;
  out.U32(1);  // xid
  out.U32(1);  // REPLY
  out.U32(0);  // MSG_ACCEPTED
  out.U32(0);
  out.U32(0);  // verifier
  out.U32(6);  // accept_stat beyond SYSTEM_ERR
  EXPECT_FALSE(DecodeReply(out.bytes()).has_value());
}

TEST(LocalioProto, UuidArgsAreSixteenBytesWithoutALengthWord) {
  XdrEncoder out;
  EncodeUuidIsLocalArgs(SampleNonce(), &out);
  ASSERT_EQ(out.bytes().size(), 16u);
  EXPECT_EQ(out.bytes()[0], 0xa0);
  EXPECT_EQ(DecodeUuidIsLocalArgs(out.bytes()), SampleNonce());
  for (size_t size : {0u, 15u, 17u, 20u}) {
    const std::vector<uint8_t> args(size, 1);
    EXPECT_FALSE(DecodeUuidIsLocalArgs(args).has_value()) << size;
  }
}

}  // namespace
}  // namespace localio::rpc
