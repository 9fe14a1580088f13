/* SPDX-License-Identifier: LGPL-3.0-or-later */
// The server side of the LOCALIO program: a TCP listener with one
// background thread polling non-blocking sockets. Ganesha's NFS port
// answers PROG_UNAVAIL to programs it does not know, so the FSAL serves
// 400122 here (docs/DESIGN.md, "The LOCALIO program and the handshake").
//
// Everything a peer sends is hostile input, and any local process may
// connect, so no peer may starve the others (docs/DESIGN.md, "The listener
// under a flood"). The thread works in rounds: one poll, then for each
// served connection at most one read and at most records_per_round (R)
// records answered, then at most max_connections (M) accepts. A connection
// whose replies are not all sent is not read until they are, so the replies
// held for it stay within R. Connections are counted per peer: the uid of
// the connecting socket when the kernel shows it in this network namespace
// (SocketOwners), else the source address. A new connection is always
// served; room is made by parking (holding open, neither polling nor
// reading) the least recently active connection of its own peer when that
// peer serves max_connections_per_peer (P) already, else, when M are
// served, of the peer serving the most. Parked connections are served again
// as slots free, oldest first; beyond max_parked_connections (H) the peer
// holding the most parked loses its oldest, closed. Parking rather than
// closing gives a flooding peer nothing to reconnect, so the kernel's accept
// queue stays short. Records are length-checked; a connection (served or
// parked) idle for idle_timeout closes.
//
// Worst case for an honest handshake (one connection, one call), with the
// defaults M = 64, P = 16, R = 4, H = 1024:
//   - a round answers at most M * R = 256 records (each UUID_IS_LOCAL: one
//     callback) and accepts at most M connections (each: one sock_diag
//     lookup, and at most one connection parked and one closed);
//   - the honest connection waits in the accept queue behind the Q
//     connections other peers opened before it: ceil(Q / M) rounds; it is
//     served as soon as it is accepted, and its call is answered in the
//     round after it arrives: ceil(Q / M) + 2 rounds in all;
//   - Q stays small under a flood of calls, since nothing is closed to make
//     room: only a peer holding more than P + H connections, or parked
//     ones idle for idle_timeout, sees connections closed and may reopen
//     them;
//   - it is parked only when its peer serves the most while M are served:
//     for a client with one connection, only when M peers serve one each
//     (M distinct uids, or source addresses of peers the kernel does not
//     show).
// Measured with localio-listener-bench (docs/PERFORMANCE.md).
#ifndef LOCALIO_LOCALIO_SERVICE_H
#define LOCALIO_LOCALIO_SERVICE_H

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "localio/localio_proto.h"
#include "localio/rpc_codec.h"

namespace localio::rpc {

struct LocalioServiceOptions {
  std::string bind_address = "127.0.0.1";  // numeric IPv4 or IPv6
  uint16_t port = 0;                       // 0: an ephemeral port
  size_t max_connections = 64;           // served, in all (see above)
  size_t max_connections_per_peer = 16;  // served, per uid or address
  // Held but not read; at most 1/16 of RLIMIT_NOFILE's soft limit, so
  // that parked sockets leave the server its descriptors.
  size_t max_parked_connections = 1024;
  size_t records_per_round = 4;          // served per connection per round
  size_t max_record_size = 4096;
  std::chrono::milliseconds idle_timeout{10000};
  bool require_auth_sys = false;  // UUID_IS_LOCAL with AUTH_NONE: TOOWEAK
};

struct LocalioServiceCounters {
  uint64_t connections = 0;         // accepted
  uint64_t connections_evicted = 0; // parked ones closed beyond the limit
  uint64_t open_connections = 0;    // now, served and parked
  uint64_t parked_connections = 0;  // now
  uint64_t calls = 0;               // records answered, whatever the reply
  uint64_t uuid_is_local_calls = 0; // nonces handed to the callback
  uint64_t wrote_calls = 0;         // WROTE calls handed to the callback
  // Records not served: unparsable, oversized, cut by EOF, or answered
  // with anything but SUCCESS.
  uint64_t rejected_records = 0;
};

class LocalioService {
 public:
  // Called on the service thread with each nonce of a well-formed
  // UUID_IS_LOCAL call. It must be quick and must not call Stop().
  using NonceCallback = std::function<void(const Nonce& nonce)>;
  // Called on the service thread with each well-formed WROTE call; returns
  // its result (kWroteOk or a positive errno). Without one, WROTE is
  // PROC_UNAVAIL, as from a server that does not need it.
  using WroteCallback = std::function<uint32_t(const WroteArgs& args)>;

  LocalioService(LocalioServiceOptions options, NonceCallback on_nonce,
                 WroteCallback on_wrote = nullptr);
  ~LocalioService();  // Stop()
  LocalioService(const LocalioService&) = delete;
  LocalioService& operator=(const LocalioService&) = delete;

  // Binds, listens and starts the thread. Errors name the port and the
  // reason, e.g. "LOCALIO Port 1234: address in use (bind 127.0.0.1)".
  // After Stop() it may be started again.
  Status Start();
  // The bound port (the ephemeral one when options.port was 0), 0 before Start.
  uint16_t port() const { return port_; }
  // Closes the listener and every connection and joins the thread.
  // Idempotent; safe without Start().
  void Stop();

  LocalioServiceCounters counters() const;

 private:
  struct Loop;  // the thread's state (connections, buffers)

  LocalioServiceOptions options_;
  NonceCallback on_nonce_;
  WroteCallback on_wrote_;
  uint16_t port_ = 0;
  int listen_fd_ = -1;
  int wake_fd_ = -1;  // eventfd: Stop() wakes the poll loop
  bool started_ = false;
  std::thread thread_;
  std::unique_ptr<Loop> loop_;

  size_t max_parked_ = 0;  // options_'s, bounded by RLIMIT_NOFILE at Start

  struct AtomicCounters {
    std::atomic<uint64_t> connections{0}, connections_evicted{0},
        open_connections{0}, parked_connections{0}, calls{0},
        uuid_is_local_calls{0}, wrote_calls{0}, rejected_records{0};
  } counters_;
};

}  // namespace localio::rpc

#endif  // LOCALIO_LOCALIO_SERVICE_H
