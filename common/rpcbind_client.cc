// SPDX-License-Identifier: LGPL-3.0-or-later
#include "localio/rpcbind_client.h"

#include <unistd.h>

#include <cerrno>

#include "localio/localio_caller.h"
#include "localio/xdr.h"

namespace localio::rpc {
namespace {

// Longest netid, universal address or owner accepted in a reply (rpcbind's
// own are a few dozen bytes).
constexpr size_t kMaxRpcbString = 255;

bool DecodeMapping(XdrDecoder* in, RpcbMapping* m) {
  return in->U32(&m->prog) && in->U32(&m->vers) && in->String(kMaxRpcbString, &m->netid) &&
         in->String(kMaxRpcbString, &m->addr) && in->String(kMaxRpcbString, &m->owner);
}

}  // namespace

bool DecodeRpcbindDump(std::span<const uint8_t> results, std::vector<RpcbMapping>* mappings) {
  XdrDecoder in(results);
  std::vector<RpcbMapping> found;
  bool more = false;
  while (in.Bool(&more) && more) {
    RpcbMapping m;
    if (!DecodeMapping(&in, &m)) return false;
    found.push_back(std::move(m));
  }
  if (!in.ok() || in.remaining() != 0) return false;
  *mappings = std::move(found);
  return true;
}

std::string RpcbindOwnerOf(uint32_t uid) {
  return uid == 0 ? "superuser" : std::to_string(uid);
}

std::string UniversalAddress(const std::string& host, uint16_t port) {
  return host + "." + std::to_string(port >> 8) + "." + std::to_string(port & 0xff);
}

bool PortOfUniversalAddress(std::string_view uaddr, uint16_t* port) {
  unsigned octets[2];
  for (int i = 1; i >= 0; --i) {
    const size_t dot = uaddr.rfind('.');
    const std::string_view digits = uaddr.substr(dot == std::string_view::npos ? 0 : dot + 1);
    if (dot == std::string_view::npos || digits.empty() || digits.size() > 3) return false;
    unsigned value = 0;
    for (char c : digits) {
      if (c < '0' || c > '9') return false;
      value = value * 10 + static_cast<unsigned>(c - '0');
    }
    if (value > 255) return false;
    octets[i] = value;
    uaddr = uaddr.substr(0, dot);
  }
  *port = static_cast<uint16_t>(octets[0] << 8 | octets[1]);
  return true;
}

std::string RpcbindClient::Describe() const {
  const RpcConnection where(options_.address, options_.port);
  return "rpcbind at " + where.peer();
}

Status RpcbindClient::Call(uint32_t proc, const std::vector<uint8_t>& args,
                           std::vector<uint8_t>* results) const {
  CallHeader call{0, kRpcbindProgram, kRpcbindVersion, proc, Credential::None()};
  RpcConnection connection(options_.address, options_.port);
  Status status = connection.Call(std::move(call), args, options_.timeout, results);
  if (!status.ok()) status.message = "rpcbind: " + status.message;
  return status;
}

Status RpcbindClient::Change(uint32_t proc, uint32_t prog, uint32_t vers, const std::string& netid,
                             const std::string& addr, bool* done) const {
  XdrEncoder args;
  args.U32(prog);
  args.U32(vers);
  // rpcbind takes the owner from the transport, not from here; this is
  // what libtirpc sends.
  if (!args.String(netid, kMaxRpcbString) || !args.String(addr, kMaxRpcbString) ||
      !args.String(std::to_string(geteuid()), kMaxRpcbString))
    return Status::Error(-EINVAL, "rpcbind: netid or address too long");
  std::vector<uint8_t> results;
  Status status = Call(proc, args.bytes(), &results);
  if (!status.ok()) return status;
  XdrDecoder in(results);
  bool answer = false;
  if (!in.Bool(&answer)) return Status::Error(-EPROTO, Describe() + ": reply carries no result");
  *done = answer;
  return Status::Ok();
}

Status RpcbindClient::Set(uint32_t prog, uint32_t vers, const std::string& netid,
                          const std::string& addr, bool* done) const {
  return Change(kRpcbindProcSet, prog, vers, netid, addr, done);
}

Status RpcbindClient::Unset(uint32_t prog, uint32_t vers, const std::string& netid,
                            bool* done) const {
  return Change(kRpcbindProcUnset, prog, vers, netid, "", done);
}

Status RpcbindClient::Dump(std::vector<RpcbMapping>* mappings) const {
  std::vector<uint8_t> results;
  Status status = Call(kRpcbindProcDump, {}, &results);
  if (!status.ok()) return status;
  if (!DecodeRpcbindDump(results, mappings))
    return Status::Error(-EPROTO, Describe() + ": malformed DUMP reply");
  return Status::Ok();
}

}  // namespace localio::rpc
