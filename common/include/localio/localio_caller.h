/* SPDX-License-Identifier: LGPL-3.0-or-later */
// Client side of the LOCALIO program, and the RPC over a stream socket (TCP,
// or rpcbind's Unix socket) that it and the rpcbind client share. A probe
// (CallOverTcp) opens a fresh connection, sends one record, reads one reply
// and closes: probes are rare and must never hang a mount, so every step
// runs under one deadline (non-blocking connect + poll); "connection
// refused" returns at once. The handshake and WROTE, sent at every close of
// a written file, keep their connection (RpcConnection).
#ifndef LOCALIO_LOCALIO_CALLER_H
#define LOCALIO_LOCALIO_CALLER_H

#include <chrono>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "localio/defaults.h"
#include "localio/localio_proto.h"
#include "localio/rpc_codec.h"
#include "localio/unique_fd.h"

namespace localio::rpc {

inline constexpr std::chrono::milliseconds kDefaultProbeTimeout{LOCALIO_DEFAULT_PROBE_TIMEOUT_MS};
// Largest reply record a caller accepts (our replies are a few words).
inline constexpr size_t kMaxReplyRecord = 64 * 1024;

// Calls `call.prog/vers/proc` at `address` (numeric IPv4 or IPv6) : `port`
// with `args` (already XDR-encoded); the xid is chosen here. Ok only for an
// accepted SUCCESS reply with the matching xid; its results are copied to
// `results` (may be null). Errors: -ECONNREFUSED, -ETIMEDOUT, -EINVAL (bad
// address), -EPROTO (not a reply, xid mismatch, RPC_MISMATCH),
// -EPROTONOSUPPORT (PROG_UNAVAIL, PROG_MISMATCH), -EOPNOTSUPP
// (PROC_UNAVAIL), -EBADMSG (GARBAGE_ARGS), -EACCES (AUTH_ERROR),
// -EREMOTEIO (SYSTEM_ERR), or the socket's errno; the message names the
// peer, the program and what went wrong.
Status CallOverTcp(const std::string& address, uint16_t port, CallHeader call,
                   std::span<const uint8_t> args,
                   std::chrono::milliseconds timeout,
                   std::vector<uint8_t>* results);

// One connection to an RPC server, kept across calls made one after
// another, each under its own deadline (connecting when there is none). A
// call that fails closes it, so the next call connects afresh. `address` is
// a numeric IPv4 or IPv6 address (TCP to `port`), or the absolute path of a
// Unix stream socket (`port` unused), such as rpcbind's local socket.
class RpcConnection {
 public:
  RpcConnection(std::string address, uint16_t port);
  RpcConnection(const RpcConnection&) = delete;
  RpcConnection& operator=(const RpcConnection&) = delete;

  // Connects now (a no-op when connected), so that the caller can look at
  // the socket (fd()) before the first call. Errors as CallOverTcp's.
  Status Connect(std::chrono::milliseconds timeout);
  // As CallOverTcp, on this connection.
  Status Call(CallHeader call, std::span<const uint8_t> args,
              std::chrono::milliseconds timeout, std::vector<uint8_t>* results);
  bool connected() const { return fd_.valid(); }
  // The connected socket, -1 when not connected. Still owned by this.
  int fd() const { return fd_.get(); }
  // "127.0.0.1:40123", "[::1]:40123" or the socket's path.
  std::string peer() const;
  void Close();

 private:
  // Connects; the error says what failed ("connect: ...").
  Status Open(std::chrono::milliseconds timeout);

  std::string address_;
  uint16_t port_;
  UniqueFd fd_;
};

// AUTH_SYS for this process: effective uid/gid, up to 16 supplementary
// groups, host name (truncated to 255 bytes).
Credential ProcessAuthSys();

class LocalioCaller {
 public:
  explicit LocalioCaller(Credential cred = Credential::None())
      : cred_(std::move(cred)) {}

  // LOCALIO NULL: ok when a LOCALIO v1 server answers at address:port.
  Status Null(const std::string& address, uint16_t port,
              std::chrono::milliseconds timeout = kDefaultProbeTimeout) const;

  // LOCALIO UUID_IS_LOCAL(nonce). Ok means the server received the nonce;
  // whether it is local is learnt from the hello area, not from the reply.
  Status UuidIsLocal(const std::string& address, uint16_t port,
                     const Nonce& nonce,
                     std::chrono::milliseconds timeout = kDefaultProbeTimeout) const;
  // The same on `connection` (kept for the next call).
  Status UuidIsLocal(RpcConnection* connection, const Nonce& nonce,
                     std::chrono::milliseconds timeout = kDefaultProbeTimeout) const;

  // LOCALIO WROTE(export_id, handles) on `connection` (kept for the next
  // call): at most kWroteMaxHandles. Ok with *result set (kWroteOk or the
  // server's positive errno); -EOPNOTSUPP from a server that does not take
  // WROTE (it needs no telling).
  Status Wrote(RpcConnection* connection, uint16_t export_id,
               std::span<const std::span<const uint8_t>> handles, uint32_t* result,
               std::chrono::milliseconds timeout = kDefaultProbeTimeout) const;

 private:
  Credential cred_;
};

}  // namespace localio::rpc

#endif  // LOCALIO_LOCALIO_CALLER_H
