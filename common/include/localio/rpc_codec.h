/* SPDX-License-Identifier: LGPL-3.0-or-later */
// ONC RPC v2 (RFC 5531) messages and TCP record marking: the one codec both
// the LOCALIO listener and its callers use. Pure functions over bytes, no
// sockets. Written here rather than taken from libtirpc, on purpose:
// - in the server, Ganesha has loaded libntirpc, which exports the same
//   symbols as libtirpc (xdr_*, svc_*, clnt_*, authunix_*) with other
//   structure layouts: a second RPC library in its process binds Ganesha's
//   calls or ours to the wrong one;
// - in the client, libnfs's headers declare their own `struct rpc_msg`,
//   `bool_t`, `enum msg_type` and AUTH_* (nfsc/libnfs-zdr.h), which do not
//   compile beside libtirpc's <rpc/rpc.h>;
// - libnfs's own RPC layer has no public call of another program with our
//   arguments (rpc_allocate_pdu/rpc_queue_pdu are private in 4.0 and
//   5.0.2), cannot reach rpcbind's Unix socket, and is not in the server;
//   the shim links no libnfs at all;
// - what LOCALIO needs is small (CALL and REPLY with AUTH_NONE/AUTH_SYS,
//   record marking, three procedures) and is fuzzed (tests/fuzz).
// docs/DESIGN.md, "Our own RPC code, and why".
#ifndef LOCALIO_RPC_CODEC_H
#define LOCALIO_RPC_CODEC_H

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "localio/status.h"
#include "localio/xdr.h"

namespace localio::rpc {


inline constexpr uint32_t kRpcVersion = 2;

enum class MsgType : uint32_t { kCall = 0, kReply = 1 };
enum class ReplyStat : uint32_t { kAccepted = 0, kDenied = 1 };
enum class AcceptStat : uint32_t {
  kSuccess = 0,
  kProgUnavail = 1,
  kProgMismatch = 2,
  kProcUnavail = 3,
  kGarbageArgs = 4,
  kSystemErr = 5,
};
enum class RejectStat : uint32_t { kRpcMismatch = 0, kAuthError = 1 };
enum class AuthStat : uint32_t {
  kOk = 0,
  kBadCred = 1,
  kRejectedCred = 2,
  kBadVerf = 3,
  kRejectedVerf = 4,
  kTooWeak = 5,
};
enum class AuthFlavor : uint32_t { kNone = 0, kSys = 1 };

// RFC 5531 bounds.
inline constexpr size_t kMaxAuthBody = 400;
inline constexpr size_t kMaxMachineName = 255;
inline constexpr size_t kMaxAuthSysGids = 16;

struct AuthSys {
  uint32_t stamp = 0;
  std::string machine_name;  // <= kMaxMachineName bytes
  uint32_t uid = 0;
  uint32_t gid = 0;
  std::vector<uint32_t> gids;  // <= kMaxAuthSysGids
};

struct Credential {
  AuthFlavor flavor = AuthFlavor::kNone;
  AuthSys sys;  // meaningful when flavor == kSys

  static Credential None() { return {}; }
  static Credential Sys(AuthSys sys) { return {AuthFlavor::kSys, std::move(sys)}; }
};

// Decodes an AUTH_SYS credential body (authsys_parms, RFC 5531 section
// 14): at most kMaxAuthBody bytes, within the RFC bounds, and nothing
// after it (trailing bytes mean the sender and we disagree on the
// layout). False, *sys then unspecified, otherwise.
bool DecodeAuthSysBody(std::span<const uint8_t> body, AuthSys* sys);

struct CallHeader {
  uint32_t xid = 0;
  uint32_t prog = 0;
  uint32_t vers = 0;
  uint32_t proc = 0;
  Credential cred;  // the verifier is always AUTH_NONE
};

// Appends a CALL header; the procedure's arguments follow. Returns false
// (encoder contents then unspecified) when an AUTH_SYS credential exceeds
// the RFC bounds.
bool EncodeCall(const CallHeader& call, XdrEncoder* out);

// What a server should do with a record, decided from its header alone.
enum class CallVerdict {
  kAccepted,     // header valid: dispatch on prog/vers/proc, args follow
  kRpcMismatch,  // rpcvers != 2: reply MSG_DENIED RPC_MISMATCH 2..2
  kAuthError,    // credential or verifier refused: reply AUTH_ERROR auth_stat
  kUnparsable,   // not an RPC call we can answer: close the connection
};

struct DecodedCall {
  CallVerdict verdict = CallVerdict::kUnparsable;
  CallHeader header;   // xid valid unless kUnparsable
  AuthStat auth_stat = AuthStat::kOk;  // set for kAuthError
  std::span<const uint8_t> args;  // points into the record (kAccepted)
};

// Decodes one record as a CALL. AUTH_NONE (empty body) and AUTH_SYS (parsed
// within the RFC bounds, body fully consumed) are accepted; a malformed
// body or any other flavour is AUTH_BADCRED, a verifier other than an empty
// AUTH_NONE is AUTH_BADVERF (policy such as AUTH_TOOWEAK is the server's).
// Never reads outside `record`.
DecodedCall DecodeCall(std::span<const uint8_t> record);

// Replies (verifier AUTH_NONE). For kSuccess the results follow.
void EncodeAcceptedReply(uint32_t xid, AcceptStat stat, XdrEncoder* out);
void EncodeProgMismatchReply(uint32_t xid, uint32_t low, uint32_t high,
                             XdrEncoder* out);
void EncodeRpcMismatchReply(uint32_t xid, XdrEncoder* out);
void EncodeAuthErrorReply(uint32_t xid, AuthStat stat, XdrEncoder* out);

struct DecodedReply {
  uint32_t xid = 0;
  ReplyStat reply_stat = ReplyStat::kAccepted;
  AcceptStat accept_stat = AcceptStat::kSuccess;  // when accepted
  RejectStat reject_stat = RejectStat::kRpcMismatch;  // when denied
  AuthStat auth_stat = AuthStat::kOk;  // when denied with AUTH_ERROR
  uint32_t mismatch_low = 0;   // PROG_MISMATCH or RPC_MISMATCH
  uint32_t mismatch_high = 0;
  std::span<const uint8_t> results;  // into the record, for kSuccess
};

// Decodes one record as a REPLY; nothing when it is not a well-formed one.
std::optional<DecodedReply> DecodeReply(std::span<const uint8_t> record);

// A sentence for a reply that is not SUCCESS, e.g. "PROG_MISMATCH 1..1".
std::string DescribeReply(const DecodedReply& reply);

// --- Record marking (RFC 5531 section 11) ---

inline constexpr uint32_t kLastFragment = 0x80000000u;
inline constexpr size_t kMaxFragment = 0x7fffffffu;

// Appends `record` to `out` as fragments of at most `max_fragment` bytes
// (>= 1), the last one flagged.
void FrameRecord(std::span<const uint8_t> record, std::vector<uint8_t>* out,
                 size_t max_fragment = kMaxFragment);

// Rebuilds records from a TCP byte stream. A record whose fragments add up
// to more than the maximum is refused as soon as its fragment header says
// so, before any of it is buffered; the stream is then unusable.
class RecordReassembler {
 public:
  enum class Result { kNeedMore, kRecord, kTooLarge };

  explicit RecordReassembler(size_t max_record) : max_record_(max_record) {}

  // Consumes bytes from `in` until a record completes (kRecord: the record
  // is in record() until the next call; `*consumed` says how much of `in`
  // was used, the caller feeds the rest next) or `in` is exhausted.
  Result Consume(std::span<const uint8_t> in, size_t* consumed);

  std::span<const uint8_t> record() const { return record_; }
  // True when bytes of an unfinished record are held (EOF now = truncated).
  bool InRecord() const;

 private:
  size_t max_record_;
  uint8_t header_[4] = {};
  size_t header_have_ = 0;
  size_t fragment_left_ = 0;  // body bytes still due in this fragment
  bool in_fragment_ = false;
  bool last_fragment_ = false;
  bool record_started_ = false;  // a fragment header of this record was read
  bool record_done_ = false;  // record_ holds a record already returned
  bool failed_ = false;
  std::vector<uint8_t> record_;
};

}  // namespace localio::rpc

#endif  // LOCALIO_RPC_CODEC_H
