/* SPDX-License-Identifier: LGPL-3.0-or-later */
// An rpcbind client (program 100000, protocol version 3 of RFC 1833; version
// 4 lists the same mappings): how the LOCALIO server registers its listener,
// and how anyone learns who registered it, without linking libtirpc into
// ganesha.nfsd. Over rpcbind's local socket (LOCALIO_RPCBIND_SOCKET), where
// rpcbind records the caller's uid as the owner of what it sets and lets
// only that owner or root unset it, or over TCP (port 111), where every
// caller is owner "unknown".
#ifndef LOCALIO_RPCBIND_CLIENT_H
#define LOCALIO_RPCBIND_CLIENT_H

#include <chrono>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "localio/defaults.h"
#include "localio/status.h"

namespace localio::rpc {

inline constexpr uint32_t kRpcbindProgram = 100000;
inline constexpr uint32_t kRpcbindVersion = 3;
inline constexpr uint32_t kRpcbindProcSet = 1;
inline constexpr uint32_t kRpcbindProcUnset = 2;
inline constexpr uint32_t kRpcbindProcDump = 4;

// The owner rpcbind records for a mapping set over its local socket by
// `uid`: "superuser" for 0, else the decimal uid. Over TCP it records
// kRpcbindUnknownOwner.
std::string RpcbindOwnerOf(uint32_t uid);
inline constexpr char kRpcbindUnknownOwner[] = "unknown";

// A TCP universal address (RFC 1833): "127.0.0.1.156.75", "::.156.75".
std::string UniversalAddress(const std::string& host, uint16_t port);
// The port of a universal address; false when it does not end in two
// decimal octets.
bool PortOfUniversalAddress(std::string_view uaddr, uint16_t* port);

// One mapping, as rpcbind lists it.
struct RpcbMapping {
  uint32_t prog = 0;
  uint32_t vers = 0;
  std::string netid;  // "tcp", "tcp6", "udp", "local", ...
  std::string addr;   // universal address
  std::string owner;  // see RpcbindOwnerOf
};

// The mappings in the results of a DUMP reply (an XDR rpcblist_ptr, each
// string at most 255 bytes). False when they are malformed or followed by
// anything: hostile input (tests/fuzz/rpcbind_dump_fuzz.cc).
bool DecodeRpcbindDump(std::span<const uint8_t> results, std::vector<RpcbMapping>* mappings);

struct RpcbindOptions {
  // rpcbind's local socket (an absolute path), or a numeric IPv4/IPv6
  // address to reach it over TCP at `port`.
  std::string address = LOCALIO_RPCBIND_SOCKET;
  uint16_t port = LOCALIO_RPCBIND_PORT;
  std::chrono::milliseconds timeout{1000};  // per call, connect included
};

class RpcbindClient {
 public:
  explicit RpcbindClient(RpcbindOptions options = {}) : options_(std::move(options)) {}

  // SET prog/vers/netid -> addr. `*done` is rpcbind's answer: false when
  // prog/vers/netid is mapped to another address already. The owner is
  // rpcbind's finding (this process's uid over the local socket).
  Status Set(uint32_t prog, uint32_t vers, const std::string& netid, const std::string& addr,
             bool* done) const;
  // UNSET prog/vers on `netid` ("": every netid). `*done` false when
  // rpcbind refused: a mapping there has another owner and this caller is
  // not root on the local socket (mappings before it may be gone already).
  // Nothing to remove is done.
  Status Unset(uint32_t prog, uint32_t vers, const std::string& netid, bool* done) const;
  // DUMP: every mapping rpcbind holds. The reply is bounded (64 KiB) and
  // checked as hostile input.
  Status Dump(std::vector<RpcbMapping>* mappings) const;

  const RpcbindOptions& options() const { return options_; }
  // "rpcbind at /run/rpcbind.sock", "rpcbind at 10.0.0.2:111".
  std::string Describe() const;

 private:
  Status Call(uint32_t proc, const std::vector<uint8_t>& args, std::vector<uint8_t>* results) const;
  Status Change(uint32_t proc, uint32_t prog, uint32_t vers, const std::string& netid,
                const std::string& addr, bool* done) const;

  RpcbindOptions options_;
};

}  // namespace localio::rpc

#endif  // LOCALIO_RPCBIND_CLIENT_H
