// SPDX-License-Identifier: LGPL-3.0-or-later
#include "localio/portmap_client.h"

#include <cerrno>

#include "localio/localio_caller.h"
#include "localio/localio_proto.h"

namespace localio::rpc {

Status PortmapClient::Call(uint32_t proc, uint32_t prog, uint32_t vers,
                           uint32_t port, uint32_t* result) const {
  XdrEncoder mapping;
  mapping.U32(prog);
  mapping.U32(vers);
  mapping.U32(kIpProtoTcp);
  mapping.U32(port);
  std::vector<uint8_t> results;
  CallHeader call{0, kPortmapProgram, kPortmapVersion, proc,
                  Credential::None()};
  Status status = CallOverTcp(options_.address, options_.port, std::move(call),
                              mapping.bytes(), options_.timeout, &results);
  if (!status.ok()) {
    status.message = "rpcbind: " + status.message;
    return status;
  }
  XdrDecoder in(results);
  if (!in.U32(result))
    return Status::Error(-EPROTO, "rpcbind at " + options_.address + ":" +
                                      std::to_string(options_.port) +
                                      ": reply carries no result");
  return Status::Ok();
}

Status PortmapClient::GetPort(uint32_t prog, uint32_t vers,
                              uint16_t* port) const {
  uint32_t result = 0;
  Status status = Call(kPortmapProcGetPort, prog, vers, 0, &result);
  if (!status.ok()) return status;
  if (result > UINT16_MAX)
    return Status::Error(-EPROTO, "rpcbind: GETPORT returned " +
                                      std::to_string(result));
  *port = static_cast<uint16_t>(result);
  return status;
}

Status PortmapClient::Set(uint32_t prog, uint32_t vers, uint16_t port,
                          bool* done) const {
  uint32_t result = 0;
  Status status = Call(kPortmapProcSet, prog, vers, port, &result);
  if (status.ok()) *done = result != 0;
  return status;
}

Status PortmapClient::Unset(uint32_t prog, uint32_t vers, bool* done) const {
  uint32_t result = 0;
  Status status = Call(kPortmapProcUnset, prog, vers, 0, &result);
  if (status.ok()) *done = result != 0;
  return status;
}

Status RegisterWithRpcbind(uint16_t port, const PortmapOptions& options) {
  const PortmapClient portmap(options);
  // A previous instance that died without UNSET leaves its mapping behind,
  // and SET refuses to overwrite one.
  bool done = false;
  Status status = portmap.Unset(kLocalioProgram, kLocalioVersion, &done);
  if (!status.ok()) return status;
  status = portmap.Set(kLocalioProgram, kLocalioVersion, port, &done);
  if (!status.ok()) return status;
  if (!done)
    return Status::Error(-EEXIST, "rpcbind at " + options.address + ":" +
                                      std::to_string(options.port) +
                                      " refused SET of LOCALIO program " +
                                      std::to_string(kLocalioProgram) +
                                      " port " + std::to_string(port));
  return Status::Ok();
}

Status UnregisterFromRpcbind(const PortmapOptions& options) {
  bool done = false;
  // `done` false just means nothing was registered.
  return PortmapClient(options).Unset(kLocalioProgram, kLocalioVersion, &done);
}

}  // namespace localio::rpc
