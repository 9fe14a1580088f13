/* SPDX-License-Identifier: LGPL-3.0-or-later */
// The LOCALIO handshake (docs/DESIGN.md, "The LOCALIO program and the
// handshake"): proves that the server this client talks NFS to shares its
// memory, by having it confirm a fresh nonce in the hello area beside the
// map. Anything unexpected means "not local", with a sentence naming why.
#ifndef LOCALIO_CLIENT_HANDSHAKE_H
#define LOCALIO_CLIENT_HANDSHAKE_H

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "localio/defaults.h"
#include "localio/hello_area.h"
#include "localio/localio_caller.h"
#include "localio/map_reader.h"
#include "localio/rpc_codec.h"
#include "localio/status.h"

namespace localio::client {

struct HandshakeRequest {
  std::string map_path;       // the hello file is map_path + ".hello"
  std::string server_address; // numeric address the NFS connection goes to
  uint16_t server_nfs_port = 0; // and its port (0: unknown)
  uint32_t uid = 0;           // AUTH_SYS identity for the LOCALIO calls
  uint32_t gid = 0;
  // The uid the server runs as: the only owner of the map, the hello file
  // and the LOCALIO listener that the client trusts.
  uint32_t server_uid = LOCALIO_DEFAULT_SERVER_UID;
  std::chrono::milliseconds timeout{LOCALIO_DEFAULT_PROBE_TIMEOUT_MS};  // per RPC
  // rpcbind at server_address, asked who registered the LOCALIO program
  // only when the listener's socket is not in this network namespace.
  uint16_t rpcbind_port = LOCALIO_RPCBIND_PORT;
};

// What a successful handshake leaves: the map to read, the hello slot to
// count in (keep it: releasing it ends the session), and the values every
// bypassed I/O re-checks.
struct Session {
  std::unique_ptr<MapReader> map;
  std::unique_ptr<HelloClient> hello;
  InstanceId instance{};
  std::string address;  // and at which address (the NFS server's)
  uint16_t port = 0;    // where the LOCALIO program answered
  bool takes_wrote = true;  // false once it answered WROTE with PROC_UNAVAIL
  // The handshake's connection to address:port, its far end proven to be
  // the server's uid's; kept for WROTE (ProvenConnection).
  std::unique_ptr<rpc::RpcConnection> connection;
  HandshakeRequest request;  // what the handshake was asked (to prove again)
};

// Maps and checks the map (owned by `server_uid` in a directory only it or
// root may write, as is the hello file: MapReader::Open, HelloClient::Open;
// magic, layout, alive, fresh heartbeat). A map
// whose header names another NFS port than the mount's connection belongs
// to another server: not local. Then claims a hello slot, connects to
// `server_address` on the LOCALIO port the map header names and proves
// that the listener there is server_uid's (ProveListenerOwner), publishes a
// random nonce and calls UUID_IS_LOCAL on that connection; local when the
// slot is confirmed with the map's instance id. Error (code < 0, message)
// otherwise; the slot is then released.
Status Handshake(const HandshakeRequest& request, Session* out);

// Ok when a process of request.server_uid holds the far end of
// `connection` (connected to the LOCALIO port): the kernel's owner of that
// very socket when it is in this network namespace (SocketOwners); else a
// registration of the LOCALIO program at that port by server_uid, in the
// DUMP of rpcbind at server_address:rpcbind_port (rpcbind records who set
// a mapping over its local socket). Otherwise an error whose sentence names
// what failed: -EPERM when another uid holds it or registered it, the
// rpcbind call's error when rpcbind does not answer.
Status ProveListenerOwner(const HandshakeRequest& request, const rpc::RpcConnection& connection);

// The session's connection to its listener, for calls after the handshake
// (WROTE): the handshake's own while it stays open; a new one, after the
// server or an error closed it, is proven again (ProveListenerOwner) before
// anything is sent on it, since another process may hold the port by then.
// Ok and *out set, or the error of the connect or of the proof.
Status ProvenConnection(Session* session, rpc::RpcConnection** out);

// The numeric address of the peer of connected socket `fd` ("127.0.0.1",
// "::1"); IPv4-mapped IPv6 addresses come back as IPv4. `port` (may be
// null) receives the peer's port.
Status PeerAddressOf(int fd, std::string* out, uint16_t* port = nullptr);

// The AUTH_SYS credential of the LOCALIO calls (UUID_IS_LOCAL, WROTE).
rpc::Credential AuthSysAs(uint32_t uid, uint32_t gid);

}  // namespace localio::client

#endif  // LOCALIO_CLIENT_HANDSHAKE_H
