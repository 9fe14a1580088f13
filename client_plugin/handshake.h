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
#include <vector>

#include "localio/defaults.h"
#include "localio/hello_area.h"
#include "localio/localio_caller.h"
#include "localio/map_reader.h"
#include "localio/rpc_codec.h"
#include "localio/clock.h"
#include "localio/status.h"
#include "nfs_port_caller.h"

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
  // A map whose header names another NFS port than the mount's is tried
  // through the NFS port (the mount may go through a port forward); false:
  // such a map is refused at once (-EXDEV), no call made.
  bool allow_port_mismatch = true;
  // Whose time says whether the map's heartbeat is stale.
  const Clock* clock = &SystemClock();
};

// How the handshake reached the server, and how WROTE reaches it after.
enum class Channel {
  kListener,  // the LOCALIO listener at the map header's port
  kNfsPort,   // LOCALIO names through the mount's NFS port (nfs_port_caller.h)
};

// What a successful handshake leaves: the map to read, the hello slot to
// count in (keep it: releasing it ends the session), and the values every
// bypassed I/O re-checks.
struct Session {
  std::unique_ptr<MapReader> map;
  std::unique_ptr<HelloClient> hello;
  InstanceId instance{};
  Channel channel = Channel::kListener;
  std::string address;  // and at which address (the NFS server's)
  uint16_t port = 0;    // where the LOCALIO program answered (the NFS port: kNfsPort)
  bool takes_wrote = true;  // false once it answered WROTE with PROC_UNAVAIL
  // The handshake's connection to address:port, its far end proven to be
  // the server's uid's; kept for WROTE (ProvenConnection).
  std::unique_ptr<rpc::RpcConnection> connection;
  // kNfsPort: the connection to the NFS port (its far end proven as
  // ProveNfsPort says) and the export root the names go to.
  std::unique_ptr<NfsPortCaller> nfs_port;
  uint16_t name_export_id = 0;
  std::vector<uint8_t> name_root;
  // What the handshake was asked (to prove again); its map_path is the map
  // that confirmed.
  HandshakeRequest request;
};

// Maps and checks the map (owned by `server_uid` in a directory only it or
// root may write, as is the hello file: MapReader::Open, HelloClient::Open;
// magic, layout, alive, fresh heartbeat), then claims a hello slot.
// Through the listener, when the map's header names the mount's NFS port:
// connects to `server_address` on the LOCALIO port the header names,
// proves that the listener there is server_uid's (ProveListenerOwner),
// publishes a random nonce and calls UUID_IS_LOCAL on that connection.
// Through the NFS port, when the ports differ (allow_port_mismatch) or the
// listener could not be reached or proven: connects to the mount's own
// address and port, proves its far end (ProveNfsPort), publishes a fresh
// nonce and sends it as a LOCALIO name (NfsPortCaller) to the root of an
// export the map publishes. Local when the slot is confirmed with the map's
// instance id. Error (code < 0, message) otherwise; the slot is then
// released.
Status Handshake(const HandshakeRequest& request, Session* out);

// Handshake with the server the mount talks to when request.map_path names
// a map file; when it names a directory (a Map_Directory: LOCALIO_MAP and
// map_path default to LOCALIO_DEFAULT_MAP_DIR), with whichever of its maps
// (ListMapFiles) is that server's: first the maps whose header names the
// mount's NFS port, then, through the NFS port, the others. The first to
// confirm wins; a map is only ever trusted as Handshake trusts it. The
// error of a directory names what each map said (-EPERM when one was
// squatted), or that there is none.
Status HandshakeAny(const HandshakeRequest& request, Session* out);

// Ok when the far end of `fd` (a connection to the mount's NFS port) may
// receive a nonce's secret: a socket of this network namespace held by
// request.server_uid or root (Ganesha itself, or a port forwarder run by
// root), or a socket of another network namespace (a veth, a bridge, a
// published port's DNAT: only root makes those). -EPERM with a sentence
// when another uid holds it (a neighbour's forwarder).
Status ProveNfsPort(const HandshakeRequest& request, int fd);

// The session's NFS-port caller for calls after the handshake (WROTE):
// kept while its connection stays open; reconnected and proven again
// (ProveNfsPort) otherwise. Ok and *out set, or why not.
Status ProvenNfsPort(Session* session, NfsPortCaller** out);

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
