// SPDX-License-Identifier: LGPL-3.0-or-later
#include "handshake.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>

#include "localio/localio_caller.h"
#include "localio/localio_proto.h"
#include "localio/map_file.h"
#include "localio/portmap_client.h"

namespace localio::client {

rpc::Credential AuthSysAs(uint32_t uid, uint32_t gid) {
  rpc::AuthSys sys;
  sys.machine_name = "localio-client";
  sys.uid = uid;
  sys.gid = gid;
  return rpc::Credential::Sys(std::move(sys));
}

namespace {

Status NotLocal(int code, const std::string& why) { return Status::Error(code, why); }

// The port to ask. The map's own server always confirms its map, so the
// port must belong to the server this mount talks NFS to:
// - when the map names its server's NFS port and the mount's connection goes
//   to that port at this address, the map is that server's, and so is the
//   LOCALIO port in its header;
// - otherwise, the port rpcbind at the server's address gives, as for any
//   RPC program, and the header's only when rpcbind has none.
// 0: none.
uint16_t LocalioPort(const HandshakeRequest& req, const MapHeaderSnapshot& header,
                     std::string* rpcbind_error) {
  if (header.nfs_port != 0 && header.nfs_port == req.server_nfs_port && header.port != 0)
    return header.port;
  const uint16_t header_port = header.port;
  rpc::PortmapOptions options;
  options.address = req.server_address;
  options.port = req.rpcbind_port;
  options.timeout = req.timeout;
  uint16_t registered = 0;
  const Status st =
      rpc::PortmapClient(options).GetPort(rpc::kLocalioProgram, rpc::kLocalioVersion, &registered);
  if (!st.ok()) *rpcbind_error = st.message;
  return registered != 0 ? registered : header_port;
}

}  // namespace

Status PeerAddressOf(int fd, std::string* out, uint16_t* port) {
  if (fd < 0) return Status::Error(-ENOTCONN, "the nfs_context has no connection (not mounted)");
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  if (getpeername(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0)
    return Status::Error(-errno, std::string("cannot find the NFS server's address: ") +
                                     std::strerror(errno));
  char text[INET6_ADDRSTRLEN] = {};
  if (ss.ss_family == AF_INET) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(&ss);
    inet_ntop(AF_INET, &in->sin_addr, text, sizeof text);
    if (port != nullptr) *port = ntohs(in->sin_port);
  } else if (ss.ss_family == AF_INET6) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(&ss);
    if (port != nullptr) *port = ntohs(in6->sin6_port);
    if (IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr))
      inet_ntop(AF_INET, &in6->sin6_addr.s6_addr[12], text, sizeof text);
    else
      inet_ntop(AF_INET6, &in6->sin6_addr, text, sizeof text);
  } else {
    return Status::Error(-EAFNOSUPPORT, "the NFS connection is not over IP");
  }
  *out = text;
  return Status::Ok();
}

Status Handshake(const HandshakeRequest& req, Session* out) {
  Session s;
  Status st = MapReader::Open(req.map_path, req.server_uid, &s.map);
  if (!st.ok()) return NotLocal(st.code, st.message);
  MapHeaderSnapshot header;
  if (!s.map->ReadHeader(&header))
    return NotLocal(-EAGAIN, "map " + req.map_path + ": header never settled");
  if (!header.alive)
    return NotLocal(-ESHUTDOWN, "map " + req.map_path + ": its server has stopped");
  const uint64_t now = MapMonotonicMs();
  if (header.heartbeat_ms + LOCALIO_HEARTBEAT_STALE_MS < now)
    return NotLocal(-ESTALE, "map " + req.map_path + ": no heartbeat for " +
                                 std::to_string(now - header.heartbeat_ms) + " ms");

  if (header.nfs_port != 0 && req.server_nfs_port != 0 && header.nfs_port != req.server_nfs_port)
    return NotLocal(-EREMOTE, "not local: map " + req.map_path + " belongs to the server on NFS port " +
                                  std::to_string(header.nfs_port) + ", this mount talks to port " +
                                  std::to_string(req.server_nfs_port));

  const std::string hello_path = req.map_path + LOCALIO_HELLO_SUFFIX;
  st = HelloClient::Open(hello_path, req.server_uid, &s.hello);
  if (!st.ok()) return NotLocal(st.code, st.message);
  if (int rc = s.hello->Claim(); rc != 0)
    return NotLocal(rc, hello_path + ": no free handshake slot");

  std::string rpcbind_error;
  const uint16_t port = LocalioPort(req, header, &rpcbind_error);
  if (port == 0)
    return NotLocal(-ENOENT, "no LOCALIO port at " + req.server_address +
                                 (rpcbind_error.empty() ? "" : " (" + rpcbind_error + ")") +
                                 " and none in the map");
  const rpc::LocalioCaller caller(AuthSysAs(req.uid, req.gid));
  Nonce nonce;
  if (!FillRandom(nonce.data(), nonce.size()))
    return NotLocal(-EAGAIN, "no random bytes for a nonce");
  if (int rc = s.hello->SetNonce(&nonce); rc != 0)
    return NotLocal(rc, hello_path + ": lost the handshake slot");
  st = caller.UuidIsLocal(req.server_address, port, nonce, req.timeout);
  if (!st.ok()) return NotLocal(-EREMOTE, "not local: " + st.message);
  InstanceId instance;
  const int confirmed = s.hello->ReadConfirmation(&instance);
  if (confirmed == 1 && instance == s.map->instance_id()) {
    s.instance = instance;
    s.port = port;
    s.address = req.server_address;
    *out = std::move(s);
    return Status::Ok();
  }
  return NotLocal(-EREMOTE,
                  confirmed == 1
                      ? "not local: the server at port " + std::to_string(port) +
                            " confirmed with another instance id than the map's"
                      : "not local: the server at " + req.server_address + ":" +
                            std::to_string(port) + " did not confirm the nonce (map " +
                            req.map_path + " belongs to another server or none)");
}

}  // namespace localio::client
