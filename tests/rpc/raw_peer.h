/* SPDX-License-Identifier: LGPL-3.0-or-later */
// A blocking TCP peer for tests: sends arbitrary bytes to a listener on
// 127.0.0.1 and reads framed replies, so tests can speak malformed RPC.
#ifndef LOCALIO_TESTS_RPC_RAW_PEER_H
#define LOCALIO_TESTS_RPC_RAW_PEER_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

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
  explicit RawPeer(uint16_t port) {
    fd_.reset(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd_.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) fd_.reset();
  }

  bool connected() const { return fd_.valid(); }

  // False when the peer closed (EPIPE / ECONNRESET) before all was sent.
  bool Send(std::span<const uint8_t> bytes) {
    while (!bytes.empty()) {
      const ssize_t n = send(fd_.get(), bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n <= 0) return false;
      bytes = bytes.subspan(static_cast<size_t>(n));
    }
    return true;
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

}  // namespace localio::rpc::testing

#endif  // LOCALIO_TESTS_RPC_RAW_PEER_H
