/* SPDX-License-Identifier: LGPL-3.0-or-later */
// A blocking TCP peer for tests: sends arbitrary bytes to a listener on
// 127.0.0.1 and reads framed replies, so tests can speak malformed RPC.
#ifndef LOCALIO_TESTS_RPC_RAW_PEER_H
#define LOCALIO_TESTS_RPC_RAW_PEER_H

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "localio/rpc_codec.h"
#include "localio/unique_fd.h"

namespace localio::rpc::testing {

class RawPeer {
 public:
  // Connects to 127.0.0.1:port; connected() says whether it worked.
  // `receive_buffer` > 0 sets SO_RCVBUF first (the kernel doubles it).
  explicit RawPeer(uint16_t port, int receive_buffer = 0) {
    fd_.reset(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (receive_buffer > 0)
      setsockopt(fd_.get(), SOL_SOCKET, SO_RCVBUF, &receive_buffer, sizeof receive_buffer);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd_.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) fd_.reset();
  }

  bool connected() const { return fd_.valid(); }
  int fd() const { return fd_.get(); }

  // False when the peer closed (EPIPE / ECONNRESET) before all was sent.
  bool Send(std::span<const uint8_t> bytes) {
    while (!bytes.empty()) {
      const ssize_t n = send(fd_.get(), bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n <= 0) return false;
      bytes = bytes.subspan(static_cast<size_t>(n));
    }
    return true;
  }

  // Sends as much of `bytes` as the socket takes without blocking; how
  // much that was.
  size_t SendWithoutBlocking(std::span<const uint8_t> bytes) {
    size_t sent = 0;
    while (sent < bytes.size()) {
      const ssize_t n = send(fd_.get(), bytes.data() + sent, bytes.size() - sent,
                             MSG_NOSIGNAL | MSG_DONTWAIT);
      if (n <= 0) break;
      sent += static_cast<size_t>(n);
    }
    return sent;
  }

  bool SendRecord(std::span<const uint8_t> record) {
    std::vector<uint8_t> wire;
    FrameRecord(record, &wire);
    return Send(wire);
  }

  // The next reply record, or nothing on EOF, error or `timeout_ms`.
  std::optional<std::vector<uint8_t>> ReceiveRecord(int timeout_ms = 2000) {
    for (;;) {
      if (!pending_.empty()) {
        size_t used = 0;
        const auto result = records_.Consume(pending_, &used);
        pending_.erase(pending_.begin(), pending_.begin() + static_cast<ptrdiff_t>(used));
        if (result == RecordReassembler::Result::kRecord)
          return std::vector<uint8_t>(records_.record().begin(), records_.record().end());
        if (result == RecordReassembler::Result::kTooLarge) return std::nullopt;
      }
      pollfd p{fd_.get(), POLLIN, 0};
      if (poll(&p, 1, timeout_ms) <= 0) return std::nullopt;
      uint8_t buffer[4096];
      const ssize_t n = recv(fd_.get(), buffer, sizeof buffer, 0);
      if (n <= 0) return std::nullopt;
      pending_.insert(pending_.end(), buffer, buffer + n);
    }
  }

  // True when the server closed the connection within `timeout_ms`
  // (bytes still arriving before the close are discarded).
  bool ClosedByServer(int timeout_ms = 2000) {
    for (;;) {
      pollfd p{fd_.get(), POLLIN, 0};
      if (poll(&p, 1, timeout_ms) <= 0) return false;
      uint8_t buffer[4096];
      const ssize_t n = recv(fd_.get(), buffer, sizeof buffer, 0);
      if (n <= 0) return true;
    }
  }

 private:
  UniqueFd fd_;
  RecordReassembler records_{1 << 20};
  std::vector<uint8_t> pending_;
};

// `count` connections to 127.0.0.1:port made by a child process of `uid`
// (needs root), held open until this object goes.
class ConnectionsOfAnotherUid {
 public:
  ConnectionsOfAnotherUid(uid_t uid, uint16_t port, int count) {
    int report[2], hold[2];
    if (pipe2(report, O_CLOEXEC) != 0 || pipe2(hold, O_CLOEXEC) != 0) return;
    pid_ = fork();
    if (pid_ == 0) {
      // Nothing of the parent's but the two pipe ends: a copy of a socket
      // the listener closes would keep that connection open.
      const int keep_low = std::min(report[1], hold[0]), keep_high = std::max(report[1], hold[0]);
      close_range(0, keep_low - 1, 0);
      close_range(keep_low + 1, keep_high - 1, 0);
      close_range(keep_high + 1, ~0u, 0);
      if (setresgid(uid, uid, uid) != 0 || setresuid(uid, uid, uid) != 0) _exit(1);
      std::vector<UniqueFd> held;
      char ok = 1;
      for (int i = 0; i < count && ok; ++i) {
        RawPeer peer(port);
        ok = peer.connected();
        held.push_back(UniqueFd(dup(peer.fd())));
        // One at a time, in order: the listener sees each before the next.
        usleep(20000);
      }
      if (write(report[1], &ok, 1) != 1) _exit(1);
      char byte;
      while (read(hold[0], &byte, 1) > 0) {
      }
      _exit(0);
    }
    close(report[1]);
    close(hold[0]);
    hold_.reset(hold[1]);
    char ok = 0;
    connected_ = pid_ > 0 && read(report[0], &ok, 1) == 1 && ok == 1;
    close(report[0]);
  }
  ~ConnectionsOfAnotherUid() {
    hold_.reset();
    if (pid_ > 0) waitpid(pid_, nullptr, 0);
  }
  bool connected() const { return connected_; }

 private:
  pid_t pid_ = -1;
  UniqueFd hold_;
  bool connected_ = false;
};

}  // namespace localio::rpc::testing

#endif  // LOCALIO_TESTS_RPC_RAW_PEER_H
