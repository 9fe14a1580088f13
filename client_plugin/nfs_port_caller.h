/* SPDX-License-Identifier: LGPL-3.0-or-later */
// LOCALIO calls carried through the NFS port (localio_proto.h, "LOCALIO
// names"): for a client that reaches the server only where it mounted it
// (a port published by podman or Docker, a forward on a node address), not
// at its LOCALIO listener. Each call is one LOOKUP, in the root directory
// of one of the server's LOCALIO exports, of the name that encodes it, on
// a connection of our own to the mount's address and port: NFSv3, else an
// NFSv4.0 COMPOUND {PUTFH, LOOKUP} when the server takes no NFSv3 there.
#ifndef LOCALIO_CLIENT_NFS_PORT_CALLER_H
#define LOCALIO_CLIENT_NFS_PORT_CALLER_H

#include <chrono>
#include <cstdint>
#include <span>
#include <string>

#include "localio/fh_format.h"
#include "localio/localio_caller.h"
#include "localio/rpc_codec.h"
#include "localio/status.h"
#include "localio/xdr.h"

namespace localio::client {

// The directory the names are looked up in: an export's root, as the map
// publishes it (MapExport::root_handle) in the server's handle format.
struct NameDirectory {
  uint16_t export_id = 0;
  std::span<const uint8_t> opaque;
  localio_fh_format format{};
};

class NfsPortCaller {
 public:
  NfsPortCaller(std::string address, uint16_t port, rpc::Credential cred)
      : connection_(std::move(address), port), cred_(std::move(cred)) {}

  // Connects now (a no-op when connected), so that the caller can prove
  // who holds the far end (fd()) before anything secret goes out.
  Status Connect(std::chrono::milliseconds timeout) { return connection_.Connect(timeout); }
  int fd() const { return connection_.fd(); }
  std::string peer() const { return connection_.peer(); }

  // LOOKUP(dir, EncodeLocalioName(proc, args)). Ok when the server answered
  // NOENT, as a LOCALIO FSAL does once it ran the call (whether it did is
  // for the hello file to say: any other server answers NOENT too). An
  // error names the server and what it answered (a stale handle: another
  // server than the map's; ACCES: this identity may not look there).
  Status Call(const NameDirectory& dir, uint32_t proc, std::span<const uint8_t> args,
              std::chrono::milliseconds timeout);

 private:
  Status CallV3(std::span<const uint8_t> handle, const std::string& name,
                std::chrono::milliseconds timeout);
  Status CallV4(std::span<const uint8_t> handle, const std::string& name,
                std::chrono::milliseconds timeout);
  // One call of NFS `version`; ok when its result's status is NOENT.
  Status Send(uint32_t version, uint32_t proc, const rpc::XdrEncoder& args,
              std::chrono::milliseconds timeout);

  rpc::RpcConnection connection_;
  rpc::Credential cred_;
  bool v3_refused_ = false;  // the server takes no NFSv3 here: NFSv4.0 from now
};

}  // namespace localio::client

#endif  // LOCALIO_CLIENT_NFS_PORT_CALLER_H
