// SPDX-License-Identifier: LGPL-3.0-or-later
#include "handshake.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/stat.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <thread>
#include <vector>

#include "localio/localio_caller.h"
#include "localio/localio_proto.h"
#include "localio/map_file.h"
#include "localio/rpcbind_client.h"
#include "localio/socket_owner.h"
#include "localio/xdr.h"

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

std::string Trusted(uint32_t server_uid) {
  return "the server's uid " + std::to_string(server_uid) + " (server_uid, LOCALIO_SERVER_UID)";
}

// SocketOwners::PeerUid of connected socket `fd`, asked again while the far
// end is still a request socket (-EAGAIN: the kernel names no owner until
// that end has completed the TCP handshake, which follows our connect at
// once), for at most `timeout`.
int FarEndUid(int fd, std::chrono::milliseconds timeout, uint32_t* uid) {
  SocketOwners owners;
  int rc;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while ((rc = owners.PeerUid(fd, uid)) == -EAGAIN && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  return rc;
}

// (b) of ProveListenerOwner: what rpcbind at the server's address says.
Status RegisteredByServerUid(const HandshakeRequest& req, uint16_t port, const std::string& why) {
  const rpc::RpcbindClient rpcbind(
      {.address = req.server_address, .port = req.rpcbind_port, .timeout = req.timeout});
  std::vector<rpc::RpcbMapping> mappings;
  const Status st = rpcbind.Dump(&mappings);
  if (!st.ok()) return Status::Error(st.code, why + ", and " + st.message);
  const std::string owner = rpc::RpcbindOwnerOf(req.server_uid);
  std::string others;
  for (const rpc::RpcbMapping& m : mappings) {
    uint16_t registered = 0;
    if (m.prog != rpc::kLocalioProgram || m.vers != rpc::kLocalioVersion ||
        (m.netid != "tcp" && m.netid != "tcp6") ||
        !rpc::PortOfUniversalAddress(m.addr, &registered))
      continue;
    if (registered == port && m.owner == owner) return Status::Ok();
    others += (others.empty() ? "" : ", ") + m.netid + " port " + std::to_string(registered) +
              " by \"" + m.owner + "\"";
  }
  return Status::Error(-EPERM, why + ", and " + rpcbind.Describe() + " lists no registration of " +
                                   "program " + std::to_string(rpc::kLocalioProgram) +
                                   " at port " + std::to_string(port) + " by " +
                                   Trusted(req.server_uid) + " (owner \"" + owner + "\")" +
                                   (others.empty() ? "" : "; it lists " + others));
}

}  // namespace

Status ProvenConnection(Session* session, rpc::RpcConnection** out) {
  if (!session->connection)
    session->connection = std::make_unique<rpc::RpcConnection>(session->address, session->port);
  rpc::RpcConnection* connection = session->connection.get();
  if (!connection->connected()) {
    Status st = connection->Connect(session->request.timeout);
    if (st.ok()) st = ProveListenerOwner(session->request, *connection);
    if (!st.ok()) {
      connection->Close();
      return st;
    }
  }
  *out = connection;
  return Status::Ok();
}

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

Status ProveListenerOwner(const HandshakeRequest& req, const rpc::RpcConnection& connection) {
  const std::string listener = "the LOCALIO listener at " + connection.peer();
  uint16_t port = 0;
  std::string unused;
  if (Status st = PeerAddressOf(connection.fd(), &unused, &port); !st.ok()) return st;
  uint32_t uid = 0;
  const int rc = FarEndUid(connection.fd(), req.timeout, &uid);
  if (rc == 0) {
    if (uid == req.server_uid) return Status::Ok();
    return Status::Error(-EPERM, listener + " is held by uid " + std::to_string(uid) +
                                     ", not by " + Trusted(req.server_uid));
  }
  return RegisteredByServerUid(
      req, port,
      listener + (rc == -ENOENT ? " is not in this network namespace"
                                : std::string(" has no owner the kernel reports (") +
                                      std::strerror(-rc) + ")"));
}

Status ProveNfsPort(const HandshakeRequest& req, int fd) {
  uint32_t uid = 0;
  const int rc = FarEndUid(fd, req.timeout, &uid);
  if (rc == -ENOENT) return Status::Ok();  // another network namespace: root's veth or DNAT
  const std::string port = "the NFS port at " + req.server_address + ":" +
                           std::to_string(req.server_nfs_port);
  if (rc != 0)
    return Status::Error(rc, port + " has no owner the kernel reports (" +
                                 std::string(std::strerror(-rc)) + ")");
  if (uid == req.server_uid || uid == 0) return Status::Ok();
  return Status::Error(-EPERM, port + " is held by uid " + std::to_string(uid) + ", neither " +
                                   Trusted(req.server_uid) +
                                   " nor root: a forwarder of another user gets no nonce");
}

Status ProvenNfsPort(Session* session, NfsPortCaller** out) {
  NfsPortCaller* caller = session->nfs_port.get();
  if (caller == nullptr) return Status::Error(-ENOTCONN, "the session has no NFS-port caller");
  if (caller->fd() < 0) {
    Status st = caller->Connect(session->request.timeout);
    if (st.ok()) st = ProveNfsPort(session->request, caller->fd());
    if (!st.ok()) return st;
  }
  *out = caller;
  return Status::Ok();
}

namespace {

// The session's map, claimed slot and request are set; one way to the
// server remains to be proven. Ok when the slot was confirmed with the
// map's instance id.
Status Confirmed(const HandshakeRequest& req, Session* s, const std::string& where) {
  InstanceId instance;
  const int confirmed = s->hello->ReadConfirmation(&instance);
  if (confirmed == 1 && instance == s->map->instance_id()) {
    s->instance = instance;
    return Status::Ok();
  }
  return NotLocal(-EREMOTE, confirmed == 1
                                ? "not local: the server " + where +
                                      " confirmed with another instance id than the map's"
                                : "not local: the server " + where +
                                      " did not confirm the nonce (map " + req.map_path +
                                      " belongs to another server or none)");
}

Status NewNonce(Session* s, const std::string& hello_path, Nonce* nonce) {
  if (!FillRandom(nonce->data(), nonce->size()))
    return NotLocal(-EAGAIN, "no random bytes for a nonce");
  if (int rc = s->hello->SetNonce(nonce); rc != 0)
    return NotLocal(rc, hello_path + ": lost the handshake slot");
  return Status::Ok();
}

Status ThroughListener(const HandshakeRequest& req, uint16_t port, const std::string& hello_path,
                       Session* s) {
  // The map's own server always confirms its map, so the port must be
  // that server's: the NFS ports matched, and the listener's owner is
  // proven below on the very connection the nonce then goes over.
  if (port == 0)
    return NotLocal(-ENOENT, "map " + req.map_path + ": no LOCALIO port in its header");
  auto connection = std::make_unique<rpc::RpcConnection>(req.server_address, port);
  Status st = connection->Connect(req.timeout);
  if (!st.ok()) return NotLocal(-EREMOTE, "not local: LOCALIO " + st.message);
  st = ProveListenerOwner(req, *connection);
  if (!st.ok()) return NotLocal(st.code, "not local: " + st.message);
  const rpc::LocalioCaller caller(AuthSysAs(req.uid, req.gid));
  Nonce nonce;
  if (st = NewNonce(s, hello_path, &nonce); !st.ok()) return st;
  st = caller.UuidIsLocal(connection.get(), nonce, req.timeout);
  if (!st.ok()) return NotLocal(-EREMOTE, "not local: " + st.message);
  st = Confirmed(req, s, "at " + req.server_address + ":" + std::to_string(port));
  if (!st.ok()) return st;
  s->channel = Channel::kListener;
  s->port = port;
  s->connection = std::move(connection);
  return Status::Ok();
}

// Export roots tried per handshake through the NFS port: one is enough
// unless this identity may not look into it.
constexpr size_t kMaxNameRoots = 4;

// *tried: false when there was no way to try (the mount's port unknown, no
// export root in the map).
Status ThroughNfsPort(const HandshakeRequest& req, const std::string& hello_path, Session* s,
                      bool* tried) {
  *tried = false;
  if (req.server_nfs_port == 0)
    return NotLocal(-ENOTCONN, "not local: the mount's NFS port is unknown");
  std::vector<MapExport> roots;
  for (MapExport& e : s->map->Exports())
    if (!e.root_handle.empty() && roots.size() < kMaxNameRoots) roots.push_back(std::move(e));
  if (roots.empty())
    return NotLocal(-ENOENT, "not local: map " + req.map_path +
                                 " publishes no export root to send a LOCALIO name to");
  *tried = true;
  auto caller = std::make_unique<NfsPortCaller>(req.server_address, req.server_nfs_port,
                                                AuthSysAs(req.uid, req.gid));
  Status st = caller->Connect(req.timeout);
  if (!st.ok()) return NotLocal(-EREMOTE, "not local: NFS port " + st.message);
  st = ProveNfsPort(req, caller->fd());
  if (!st.ok()) return NotLocal(st.code, "not local: " + st.message);
  const std::string where = "at NFS port " + caller->peer();
  Status last;
  for (const MapExport& root : roots) {
    Nonce nonce;
    if (st = NewNonce(s, hello_path, &nonce); !st.ok()) return st;
    const NameDirectory dir{root.export_id, root.root_handle, s->map->fh_format()};
    rpc::XdrEncoder args;
    rpc::EncodeUuidIsLocalArgs(nonce, &args);
    last = caller->Call(dir, rpc::kLocalioProcUuidIsLocal, args.bytes(), req.timeout);
    if (!last.ok()) {
      last = NotLocal(last.code, "not local: " + last.message);
      if (last.code == -EACCES) continue;  // this identity may look into another root
      return last;
    }
    st = Confirmed(req, s, where);
    if (!st.ok()) return st;
    s->channel = Channel::kNfsPort;
    s->port = req.server_nfs_port;
    s->nfs_port = std::move(caller);
    s->name_export_id = root.export_id;
    s->name_root = root.root_handle;
    return Status::Ok();
  }
  return last;
}

}  // namespace

Status Handshake(const HandshakeRequest& req, Session* out) {
  Session s;
  Status st = MapReader::Open(req.map_path, req.server_uid, &s.map);
  if (!st.ok()) return NotLocal(st.code, st.message);
  MapHeaderSnapshot header;
  if (!s.map->ReadHeader(&header))
    return NotLocal(-EAGAIN, "map " + req.map_path + ": header never settled");
  if (!header.alive)
    return NotLocal(-ESHUTDOWN, "map " + req.map_path + ": its server has stopped");
  const uint64_t now = req.clock->NowMs();
  if (header.heartbeat_ms + LOCALIO_HEARTBEAT_STALE_MS < now)
    return NotLocal(-ESTALE, "map " + req.map_path + ": no heartbeat for " +
                                 std::to_string(now - header.heartbeat_ms) + " ms");

  const bool port_matches =
      header.nfs_port == 0 || req.server_nfs_port == 0 || header.nfs_port == req.server_nfs_port;
  if (!port_matches && !req.allow_port_mismatch)
    return NotLocal(-EXDEV, "not local: map " + req.map_path + " belongs to the server on NFS port " +
                                  std::to_string(header.nfs_port) + ", this mount talks to port " +
                                  std::to_string(req.server_nfs_port));

  const std::string hello_path = req.map_path + LOCALIO_HELLO_SUFFIX;
  st = HelloClient::Open(hello_path, req.server_uid, &s.hello);
  if (!st.ok()) return NotLocal(st.code, st.message);
  if (int rc = s.hello->Claim(); rc != 0)
    return NotLocal(rc, hello_path + ": no free handshake slot");
  s.address = req.server_address;
  s.request = req;

  Status listener;
  if (port_matches) {
    listener = ThroughListener(req, header.port, hello_path, &s);
    if (listener.ok()) {
      *out = std::move(s);
      return Status::Ok();
    }
  }
  bool tried = false;
  st = ThroughNfsPort(req, hello_path, &s, &tried);
  if (st.ok()) {
    *out = std::move(s);
    return Status::Ok();
  }
  if (!port_matches) return st;
  if (!tried) return listener;
  return NotLocal(listener.code == -EPERM ? -EPERM : st.code,
                  listener.message + "; through the NFS port: " + st.message);
}

Status HandshakeAny(const HandshakeRequest& request, Session* out) {
  struct stat st;
  if (stat(request.map_path.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
    return Handshake(request, out);
  const std::string& dir = request.map_path;
  std::vector<std::string> maps;
  if (Status listed = ListMapFiles(dir, &maps); !listed.ok()) return listed;
  if (maps.empty())
    return NotLocal(-ENOENT, "no map in " + dir + ": no LOCALIO server published one there " +
                                 "(its Map_Directory), or LOCALIO_MAP names another place");
  std::vector<std::string> errors(maps.size());
  std::vector<bool> other_port(maps.size(), false);
  bool squatted = false;
  for (int pass = 0; pass < 2; ++pass) {
    for (size_t i = 0; i < maps.size(); ++i) {
      if (pass == 1 && !other_port[i]) continue;
      HandshakeRequest req = request;
      req.map_path = maps[i];
      req.allow_port_mismatch = pass == 1;
      const Status one = Handshake(req, out);
      if (one.ok()) return one;
      other_port[i] = pass == 0 && one.code == -EXDEV;
      squatted = squatted || one.code == -EPERM;
      errors[i] = one.message;
    }
  }
  if (maps.size() == 1) return NotLocal(squatted ? -EPERM : -EREMOTE, errors[0]);
  std::string all = "none of the " + std::to_string(maps.size()) + " maps in " + dir +
                    " is the mounted server's:";
  for (size_t i = 0; i < maps.size(); ++i) all += " [" + errors[i] + "]";
  return NotLocal(squatted ? -EPERM : -EREMOTE, all);
}

}  // namespace localio::client
