// SPDX-License-Identifier: LGPL-3.0-or-later
#include "harness/malformed_rpc.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

#include "localio/localio_proto.h"
#include "localio/rpc_codec.h"
#include "localio/xdr.h"

namespace localio::harness {

int ConnectLoopback(uint16_t port, std::chrono::milliseconds io_timeout, bool reset_on_close) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(io_timeout.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>(io_timeout.count() % 1000 * 1000);
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  if (reset_on_close) {
    linger hard{1, 0};
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &hard, sizeof hard);
  }
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    const int err = errno;  // callers report why the connect failed
    close(fd);
    errno = err;
    return -1;
  }
  return fd;
}

std::vector<uint8_t> RpcCallRecord(uint32_t xid, uint32_t prog, uint32_t vers, uint32_t proc,
                                   const std::vector<uint8_t>& args) {
  rpc::XdrEncoder enc;
  rpc::CallHeader h;
  h.xid = xid;
  h.prog = prog;
  h.vers = vers;
  h.proc = proc;
  rpc::EncodeCall(h, &enc);
  enc.Raw(args);
  return enc.Take();
}

std::vector<uint8_t> FramedRecord(const std::vector<uint8_t>& record) {
  std::vector<uint8_t> out;
  rpc::FrameRecord(record, &out);
  return out;
}

std::vector<uint8_t> MalformedMessage(MalformedKind kind, std::mt19937& rng) {
  auto noise = [&](size_t n) {
    std::vector<uint8_t> b(n);
    for (uint8_t& c : b) c = static_cast<uint8_t>(rng());
    return b;
  };
  // Each draw in its own statement: argument evaluation order is unspecified.
  const uint32_t xid = static_cast<uint32_t>(rng());
  std::vector<uint8_t> call = RpcCallRecord(xid, rpc::kLocalioProgram, rpc::kLocalioVersion,
                                            rpc::kLocalioProcNull, {});
  switch (kind) {
    case MalformedKind::kNoise:
      return noise(1 + rng() % 512);
    case MalformedKind::kHugeFragment: {
      const uint8_t first = (rng() % 2) ? uint8_t{0xff} : uint8_t{0x7f};
      const uint8_t last = static_cast<uint8_t>(rng());
      std::vector<uint8_t> b = {first, 0xff, 0xff, last};
      const std::vector<uint8_t> tail = noise(rng() % 100);
      b.insert(b.end(), tail.begin(), tail.end());
      return b;
    }
    case MalformedKind::kStreamEndsInRecord: {
      std::vector<uint8_t> b = FramedRecord(call);
      b.resize(1 + rng() % (b.size() - 1));
      return b;
    }
    case MalformedKind::kCutCallHeader:
      call.resize(rng() % call.size());
      return FramedRecord(call);
    case MalformedKind::kOtherProgram:
      return FramedRecord(RpcCallRecord(xid, 100003, 3, 0, {}));
    case MalformedKind::kWrongSizeNonce: {
      size_t n = rng() % 64;
      if (n == rpc::kNonceSize) ++n;
      return FramedRecord(RpcCallRecord(xid, rpc::kLocalioProgram, rpc::kLocalioVersion,
                                        rpc::kLocalioProcUuidIsLocal, noise(n)));
    }
    case MalformedKind::kBadHeaderField: {
      const uint32_t proc = 2 + rng() % 1000;
      call = RpcCallRecord(xid, rpc::kLocalioProgram, rpc::kLocalioVersion, proc, {});
      call[4 * (1 + rng() % 2) + 3] ^= 0x03;  // the message type or rpcvers word's low byte
      return FramedRecord(call);
    }
    case MalformedKind::kEmptyFragments:
      break;
  }
  return std::vector<uint8_t>(4 * (1 + rng() % 200), 0);
}

}  // namespace localio::harness
