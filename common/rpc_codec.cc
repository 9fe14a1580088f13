// SPDX-License-Identifier: LGPL-3.0-or-later
#include "localio/rpc_codec.h"

#include <algorithm>
#include <cstring>

namespace localio::rpc {
namespace {

void EncodeNoneAuth(XdrEncoder* out) {
  out->U32(static_cast<uint32_t>(AuthFlavor::kNone));
  out->U32(0);
}

bool EncodeAuthSysBody(const AuthSys& sys, XdrEncoder* out) {
  if (sys.gids.size() > kMaxAuthSysGids) return false;
  out->U32(sys.stamp);
  if (!out->String(sys.machine_name, kMaxMachineName)) return false;
  out->U32(sys.uid);
  out->U32(sys.gid);
  out->U32(static_cast<uint32_t>(sys.gids.size()));
  for (uint32_t gid : sys.gids) out->U32(gid);
  return true;
}

void EncodeReplyStart(uint32_t xid, ReplyStat stat, XdrEncoder* out) {
  out->U32(xid);
  out->U32(static_cast<uint32_t>(MsgType::kReply));
  out->U32(static_cast<uint32_t>(stat));
}

const char* AcceptStatName(AcceptStat stat) {
  switch (stat) {
    case AcceptStat::kSuccess: return "SUCCESS";
    case AcceptStat::kProgUnavail: return "PROG_UNAVAIL";
    case AcceptStat::kProgMismatch: return "PROG_MISMATCH";
    case AcceptStat::kProcUnavail: return "PROC_UNAVAIL";
    case AcceptStat::kGarbageArgs: return "GARBAGE_ARGS";
    case AcceptStat::kSystemErr: return "SYSTEM_ERR";
  }
  return "accept_stat ?";
}

const char* AuthStatName(AuthStat stat) {
  switch (stat) {
    case AuthStat::kOk: return "AUTH_OK";
    case AuthStat::kBadCred: return "AUTH_BADCRED";
    case AuthStat::kRejectedCred: return "AUTH_REJECTEDCRED";
    case AuthStat::kBadVerf: return "AUTH_BADVERF";
    case AuthStat::kRejectedVerf: return "AUTH_REJECTEDVERF";
    case AuthStat::kTooWeak: return "AUTH_TOOWEAK";
  }
  return "auth_stat ?";
}

}  // namespace

// The body must be exactly one authsys_parms: trailing bytes mean the
// sender and we disagree on the layout.
bool DecodeAuthSysBody(std::span<const uint8_t> body, AuthSys* sys) {
  if (body.size() > kMaxAuthBody) return false;
  XdrDecoder in(body);
  uint32_t count = 0;
  in.U32(&sys->stamp);
  in.String(kMaxMachineName, &sys->machine_name);
  in.U32(&sys->uid);
  in.U32(&sys->gid);
  if (!in.U32(&count) || count > kMaxAuthSysGids) return false;
  sys->gids.resize(count);
  for (uint32_t& gid : sys->gids) in.U32(&gid);
  return in.ok() && in.remaining() == 0;
}

bool EncodeCall(const CallHeader& call, XdrEncoder* out) {
  out->U32(call.xid);
  out->U32(static_cast<uint32_t>(MsgType::kCall));
  out->U32(kRpcVersion);
  out->U32(call.prog);
  out->U32(call.vers);
  out->U32(call.proc);
  if (call.cred.flavor == AuthFlavor::kSys) {
    XdrEncoder body;
    if (!EncodeAuthSysBody(call.cred.sys, &body)) return false;
    out->U32(static_cast<uint32_t>(AuthFlavor::kSys));
    if (!out->Opaque(body.bytes(), kMaxAuthBody)) return false;
  } else {
    EncodeNoneAuth(out);
  }
  EncodeNoneAuth(out);
  return true;
}

DecodedCall DecodeCall(std::span<const uint8_t> record) {
  DecodedCall call;
  XdrDecoder in(record);
  uint32_t msg_type = 0, rpcvers = 0;
  if (!in.U32(&call.header.xid) || !in.U32(&msg_type) ||
      msg_type != static_cast<uint32_t>(MsgType::kCall) || !in.U32(&rpcvers))
    return call;
  if (rpcvers != kRpcVersion) {
    call.verdict = CallVerdict::kRpcMismatch;
    return call;
  }
  uint32_t cred_flavor = 0, cred_len = 0;
  if (!in.U32(&call.header.prog) || !in.U32(&call.header.vers) ||
      !in.U32(&call.header.proc) || !in.U32(&cred_flavor) || !in.U32(&cred_len))
    return call;
  // An oversized credential is answered, not just dropped: the xid is known.
  if (cred_len > kMaxAuthBody) {
    call.verdict = CallVerdict::kAuthError;
    call.auth_stat = AuthStat::kBadCred;
    return call;
  }
  std::span<const uint8_t> cred_body, verf_body;
  uint32_t verf_flavor = 0, verf_len = 0;
  if (!in.FixedOpaque(cred_len, &cred_body) || !in.U32(&verf_flavor) ||
      !in.U32(&verf_len))
    return call;
  if (verf_len > kMaxAuthBody) {
    call.verdict = CallVerdict::kAuthError;
    call.auth_stat = AuthStat::kBadVerf;
    return call;
  }
  if (!in.FixedOpaque(verf_len, &verf_body)) return call;

  call.verdict = CallVerdict::kAuthError;
  call.auth_stat = AuthStat::kBadCred;
  if (cred_flavor == static_cast<uint32_t>(AuthFlavor::kNone)) {
    if (!cred_body.empty()) return call;
    call.header.cred = Credential::None();
  } else if (cred_flavor == static_cast<uint32_t>(AuthFlavor::kSys)) {
    AuthSys sys;
    if (!DecodeAuthSysBody(cred_body, &sys)) return call;
    call.header.cred = Credential::Sys(std::move(sys));
  } else {
    return call;
  }
  if (verf_flavor != static_cast<uint32_t>(AuthFlavor::kNone) ||
      !verf_body.empty()) {
    call.auth_stat = AuthStat::kBadVerf;
    return call;
  }
  call.verdict = CallVerdict::kAccepted;
  call.auth_stat = AuthStat::kOk;
  call.args = in.rest();
  return call;
}

void EncodeAcceptedReply(uint32_t xid, AcceptStat stat, XdrEncoder* out) {
  EncodeReplyStart(xid, ReplyStat::kAccepted, out);
  EncodeNoneAuth(out);
  out->U32(static_cast<uint32_t>(stat));
}

void EncodeProgMismatchReply(uint32_t xid, uint32_t low, uint32_t high,
                             XdrEncoder* out) {
  EncodeAcceptedReply(xid, AcceptStat::kProgMismatch, out);
  out->U32(low);
  out->U32(high);
}

void EncodeRpcMismatchReply(uint32_t xid, XdrEncoder* out) {
  EncodeReplyStart(xid, ReplyStat::kDenied, out);
  out->U32(static_cast<uint32_t>(RejectStat::kRpcMismatch));
  out->U32(kRpcVersion);
  out->U32(kRpcVersion);
}

void EncodeAuthErrorReply(uint32_t xid, AuthStat stat, XdrEncoder* out) {
  EncodeReplyStart(xid, ReplyStat::kDenied, out);
  out->U32(static_cast<uint32_t>(RejectStat::kAuthError));
  out->U32(static_cast<uint32_t>(stat));
}

std::optional<DecodedReply> DecodeReply(std::span<const uint8_t> record) {
  DecodedReply reply;
  XdrDecoder in(record);
  uint32_t msg_type = 0, reply_stat = 0;
  if (!in.U32(&reply.xid) || !in.U32(&msg_type) ||
      msg_type != static_cast<uint32_t>(MsgType::kReply) || !in.U32(&reply_stat))
    return std::nullopt;

  if (reply_stat == static_cast<uint32_t>(ReplyStat::kAccepted)) {
    reply.reply_stat = ReplyStat::kAccepted;
    uint32_t verf_flavor = 0, stat = 0;
    std::span<const uint8_t> verf_body;
    if (!in.U32(&verf_flavor) || !in.Opaque(kMaxAuthBody, &verf_body) ||
        !in.U32(&stat) || stat > static_cast<uint32_t>(AcceptStat::kSystemErr))
      return std::nullopt;
    reply.accept_stat = static_cast<AcceptStat>(stat);
    if (reply.accept_stat == AcceptStat::kProgMismatch &&
        (!in.U32(&reply.mismatch_low) || !in.U32(&reply.mismatch_high)))
      return std::nullopt;
    if (reply.accept_stat == AcceptStat::kSuccess) reply.results = in.rest();
    return reply;
  }
  if (reply_stat != static_cast<uint32_t>(ReplyStat::kDenied))
    return std::nullopt;
  reply.reply_stat = ReplyStat::kDenied;
  uint32_t reject = 0;
  if (!in.U32(&reject)) return std::nullopt;
  if (reject == static_cast<uint32_t>(RejectStat::kRpcMismatch)) {
    reply.reject_stat = RejectStat::kRpcMismatch;
    if (!in.U32(&reply.mismatch_low) || !in.U32(&reply.mismatch_high))
      return std::nullopt;
    return reply;
  }
  uint32_t auth = 0;
  if (reject != static_cast<uint32_t>(RejectStat::kAuthError) ||
      !in.U32(&auth) || auth > static_cast<uint32_t>(AuthStat::kTooWeak))
    return std::nullopt;
  reply.reject_stat = RejectStat::kAuthError;
  reply.auth_stat = static_cast<AuthStat>(auth);
  return reply;
}

std::string DescribeReply(const DecodedReply& reply) {
  if (reply.reply_stat == ReplyStat::kAccepted) {
    std::string text = AcceptStatName(reply.accept_stat);
    if (reply.accept_stat == AcceptStat::kProgMismatch)
      text += " " + std::to_string(reply.mismatch_low) + ".." +
              std::to_string(reply.mismatch_high);
    return text;
  }
  if (reply.reject_stat == RejectStat::kRpcMismatch)
    return "MSG_DENIED RPC_MISMATCH " + std::to_string(reply.mismatch_low) +
           ".." + std::to_string(reply.mismatch_high);
  return std::string("MSG_DENIED AUTH_ERROR ") + AuthStatName(reply.auth_stat);
}

void FrameRecord(std::span<const uint8_t> record, std::vector<uint8_t>* out,
                 size_t max_fragment) {
  max_fragment = std::clamp<size_t>(max_fragment, 1, kMaxFragment);
  size_t pos = 0;
  do {
    const size_t size = std::min(max_fragment, record.size() - pos);
    const bool last = pos + size == record.size();
    const uint32_t mark = static_cast<uint32_t>(size) | (last ? kLastFragment : 0);
    XdrEncoder header;
    header.U32(mark);
    out->insert(out->end(), header.bytes().begin(), header.bytes().end());
    out->insert(out->end(), record.begin() + pos, record.begin() + pos + size);
    pos += size;
  } while (pos < record.size());
}

bool RecordReassembler::InRecord() const {
  return !failed_ && (header_have_ > 0 || record_started_);
}

RecordReassembler::Result RecordReassembler::Consume(
    std::span<const uint8_t> in, size_t* consumed) {
  *consumed = 0;
  if (failed_) return Result::kTooLarge;
  if (record_done_) {
    record_.clear();
    record_done_ = false;
  }
  size_t pos = 0;
  while (pos < in.size()) {
    if (!in_fragment_) {
      const size_t take = std::min(4 - header_have_, in.size() - pos);
      std::memcpy(header_ + header_have_, in.data() + pos, take);
      header_have_ += take;
      pos += take;
      if (header_have_ < 4) break;
      header_have_ = 0;
      const uint32_t mark = uint32_t{header_[0]} << 24 |
                            uint32_t{header_[1]} << 16 |
                            uint32_t{header_[2]} << 8 | header_[3];
      last_fragment_ = (mark & kLastFragment) != 0;
      fragment_left_ = mark & ~kLastFragment;
      if (fragment_left_ > max_record_ - record_.size()) {
        failed_ = true;
        record_.clear();
        *consumed = pos;
        return Result::kTooLarge;
      }
      in_fragment_ = true;
      record_started_ = true;
    }
    const size_t take = std::min(fragment_left_, in.size() - pos);
    record_.insert(record_.end(), in.begin() + pos, in.begin() + pos + take);
    fragment_left_ -= take;
    pos += take;
    if (fragment_left_ > 0) break;
    in_fragment_ = false;
    if (last_fragment_) {
      record_done_ = true;
      record_started_ = false;
      *consumed = pos;
      return Result::kRecord;
    }
  }
  *consumed = pos;
  return Result::kNeedMore;
}

}  // namespace localio::rpc
