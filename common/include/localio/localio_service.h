/* SPDX-License-Identifier: LGPL-3.0-or-later */
// The server side of the LOCALIO program: a TCP listener with one
// background thread polling non-blocking sockets. Ganesha's NFS port
// answers PROG_UNAVAIL to programs it does not know, so the FSAL serves
// 400122 here (docs/DESIGN.md, "The LOCALIO program and the handshake").
// Everything a peer sends is hostile input: the number of connections, the
// record size, the idle time and the unsent reply bytes per connection are
// all bounded.
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
  size_t max_connections = 64;  // beyond: the least recently active closes
  size_t max_record_size = 4096;
  std::chrono::milliseconds idle_timeout{10000};
  size_t max_output_bytes = 64 * 1024;  // unsent replies; beyond: close
  bool require_auth_sys = false;  // UUID_IS_LOCAL with AUTH_NONE: TOOWEAK
};

struct LocalioServiceCounters {
  uint64_t connections = 0;         // accepted
  uint64_t connections_evicted = 0; // closed to respect max_connections
  uint64_t open_connections = 0;    // now
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

  struct AtomicCounters {
    std::atomic<uint64_t> connections{0}, connections_evicted{0},
        open_connections{0}, calls{0}, uuid_is_local_calls{0},
        wrote_calls{0}, rejected_records{0};
  } counters_;
};

}  // namespace localio::rpc

#endif  // LOCALIO_LOCALIO_SERVICE_H
