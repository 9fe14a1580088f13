/* SPDX-License-Identifier: LGPL-3.0-or-later */
// A portmap (rpcbind protocol version 2, program 100000) client over TCP:
// how the LOCALIO listener is registered so that clients find its port with
// GETPORT, without linking libtirpc into ganesha.nfsd. Only TCP mappings.
#ifndef LOCALIO_PORTMAP_CLIENT_H
#define LOCALIO_PORTMAP_CLIENT_H

#include <chrono>
#include <cstdint>
#include <string>

#include "localio/defaults.h"
#include "localio/rpc_codec.h"

namespace localio::rpc {

inline constexpr uint32_t kPortmapProgram = 100000;
inline constexpr uint32_t kPortmapVersion = 2;
inline constexpr uint32_t kPortmapProcSet = 1;
inline constexpr uint32_t kPortmapProcUnset = 2;
inline constexpr uint32_t kPortmapProcGetPort = 3;
inline constexpr uint32_t kIpProtoTcp = 6;

struct PortmapOptions {
  std::string address = "127.0.0.1";  // numeric; rpcbind on this host
  uint16_t port = LOCALIO_RPCBIND_PORT;
  std::chrono::milliseconds timeout{1000};  // per call, connect included
};

class PortmapClient {
 public:
  explicit PortmapClient(PortmapOptions options = {})
      : options_(std::move(options)) {}

  // GETPORT(prog, vers, TCP): `*port` is the registered port, 0 if none.
  Status GetPort(uint32_t prog, uint32_t vers, uint16_t* port) const;
  // SET(prog, vers, TCP, port): `*done` is rpcbind's answer (false when
  // the program/version is already registered by someone else).
  Status Set(uint32_t prog, uint32_t vers, uint16_t port, bool* done) const;
  // UNSET(prog, vers): removes the mapping for every transport.
  Status Unset(uint32_t prog, uint32_t vers, bool* done) const;

 private:
  Status Call(uint32_t proc, uint32_t prog, uint32_t vers, uint32_t port,
              uint32_t* result) const;

  PortmapOptions options_;
};

// What the LOCALIO listener's owner calls at start and at stop: registers
// (after dropping a stale mapping of a previous instance) or removes
// program 400122 v1 -> TCP `port`. Errors name rpcbind's address.
Status RegisterWithRpcbind(uint16_t port, const PortmapOptions& options = {});
Status UnregisterFromRpcbind(const PortmapOptions& options = {});

}  // namespace localio::rpc

#endif  // LOCALIO_PORTMAP_CLIENT_H
