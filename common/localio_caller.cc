// SPDX-License-Identifier: LGPL-3.0-or-later
#include "localio/localio_caller.h"

#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstddef>
#include <cstring>
#include <ctime>
#include <random>

namespace localio::rpc {
namespace {

using Steady = std::chrono::steady_clock;

uint32_t NextXid() {
  static std::atomic<uint32_t> next{[] {
    std::random_device random;
    return static_cast<uint32_t>(random());
  }()};
  return next.fetch_add(1, std::memory_order_relaxed);
}

// Milliseconds left before `deadline`, 0 when past it.
int MillisLeft(Steady::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      deadline - Steady::now());
  return left.count() > 0 ? static_cast<int>(left.count()) : 0;
}

// Waits for `events` on `fd` until the deadline: 0, -ETIMEDOUT or -errno.
int WaitFor(int fd, short events, Steady::time_point deadline) {
  for (;;) {
    pollfd p{fd, events, 0};
    const int n = poll(&p, 1, MillisLeft(deadline));
    if (n > 0) return 0;
    if (n == 0) return -ETIMEDOUT;
    if (errno != EINTR) return -errno;
  }
}

int ConnectSocket(const sockaddr_storage& peer, socklen_t peer_len,
                  Steady::time_point deadline, int* fd_out) {
  const int fd = socket(peer.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return -errno;
  *fd_out = fd;
  if (peer.ss_family != AF_UNIX) {
    const int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  }
  if (connect(fd, reinterpret_cast<const sockaddr*>(&peer), peer_len) == 0)
    return 0;
  // A Unix socket whose backlog is full says EAGAIN: wait as for TCP.
  if (errno != EINPROGRESS && errno != EAGAIN) return -errno;
  if (int rc = WaitFor(fd, POLLOUT, deadline); rc < 0) return rc;
  int error = 0;
  socklen_t len = sizeof error;
  if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &len) < 0) return -errno;
  return -error;
}

int SendAll(int fd, std::span<const uint8_t> bytes, Steady::time_point deadline) {
  while (!bytes.empty()) {
    const ssize_t n = send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n > 0) {
      bytes = bytes.subspan(static_cast<size_t>(n));
    } else if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
      if (int rc = WaitFor(fd, POLLOUT, deadline); rc < 0) return rc;
    } else {
      return n < 0 ? -errno : -EPIPE;
    }
  }
  return 0;
}

// Reads until one record is complete; the record stays in `reassembler`.
int ReceiveRecord(int fd, RecordReassembler* reassembler,
                  Steady::time_point deadline) {
  uint8_t buffer[4096];
  for (;;) {
    const ssize_t n = recv(fd, buffer, sizeof buffer, 0);
    if (n == 0) return -ECONNRESET;
    if (n < 0) {
      if (errno != EAGAIN && errno != EINTR) return -errno;
      if (int rc = WaitFor(fd, POLLIN, deadline); rc < 0) return rc;
      continue;
    }
    // A reply needs no pipelining: bytes after the first record are ignored.
    size_t used = 0;
    switch (reassembler->Consume({buffer, static_cast<size_t>(n)}, &used)) {
      case RecordReassembler::Result::kRecord: return 0;
      case RecordReassembler::Result::kTooLarge: return -EMSGSIZE;
      case RecordReassembler::Result::kNeedMore: break;
    }
  }
}

int ErrnoForReply(const DecodedReply& reply) {
  if (reply.reply_stat == ReplyStat::kDenied)
    return reply.reject_stat == RejectStat::kAuthError ? -EACCES : -EPROTO;
  switch (reply.accept_stat) {
    case AcceptStat::kSuccess: return 0;
    case AcceptStat::kProgUnavail:
    case AcceptStat::kProgMismatch: return -EPROTONOSUPPORT;
    case AcceptStat::kProcUnavail: return -EOPNOTSUPP;
    case AcceptStat::kGarbageArgs: return -EBADMSG;
    case AcceptStat::kSystemErr: return -EREMOTEIO;
  }
  return -EPROTO;
}

// The socket address of `address` (numeric IP, or an absolute path) and
// `port`; false when it is neither.
bool PeerAddress(const std::string& address, uint16_t port, sockaddr_storage* peer,
                 socklen_t* peer_len) {
  *peer = {};
  if (!address.empty() && address[0] == '/') {
    auto* un = reinterpret_cast<sockaddr_un*>(peer);
    if (address.size() >= sizeof un->sun_path) return false;
    un->sun_family = AF_UNIX;
    std::memcpy(un->sun_path, address.c_str(), address.size() + 1);
    *peer_len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + address.size() + 1);
    return true;
  }
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
  addrinfo* found = nullptr;
  if (getaddrinfo(address.c_str(), std::to_string(port).c_str(), &hints, &found) != 0 ||
      found == nullptr)
    return false;
  *peer_len = found->ai_addrlen;
  std::memcpy(peer, found->ai_addr, found->ai_addrlen);
  freeaddrinfo(found);
  return true;
}

}  // namespace

RpcConnection::RpcConnection(std::string address, uint16_t port)
    : address_(std::move(address)), port_(port) {}

void RpcConnection::Close() { fd_.reset(); }

std::string RpcConnection::peer() const {
  if (!address_.empty() && address_[0] == '/') return address_;
  const std::string host =
      address_.find(':') != std::string::npos ? "[" + address_ + "]" : address_;
  return host + ":" + std::to_string(port_);
}

Status RpcConnection::Open(std::chrono::milliseconds timeout) {
  sockaddr_storage peer_addr;
  socklen_t peer_len = 0;
  if (!PeerAddress(address_, port_, &peer_addr, &peer_len))
    return Status::Error(-EINVAL, "address is not a numeric IPv4/IPv6 address or a socket path");
  int fd = -1;
  const int rc = ConnectSocket(peer_addr, peer_len, Steady::now() + timeout, &fd);
  fd_.reset(fd);
  if (rc == 0) return Status::Ok();
  Close();
  return Status::Error(rc, std::string("connect: ") + std::strerror(-rc));
}

Status RpcConnection::Connect(std::chrono::milliseconds timeout) {
  if (fd_.valid()) return Status::Ok();
  Status st = Open(timeout);
  if (!st.ok()) st.message = peer() + ": " + st.message;
  return st;
}

Status RpcConnection::Call(CallHeader call, std::span<const uint8_t> args,
                           std::chrono::milliseconds timeout,
                           std::vector<uint8_t>* results) {
  const std::string what = "RPC program " + std::to_string(call.prog) + " v" +
                           std::to_string(call.vers) + " proc " +
                           std::to_string(call.proc) + " at " + peer();
  // Every failure closes the connection: no half-read reply is left behind.
  const auto fail = [this, &what](int code, const std::string& why) {
    Close();
    return Status::Error(code, what + ": " + why);
  };
  const Steady::time_point deadline = Steady::now() + timeout;

  call.xid = NextXid();
  XdrEncoder message;
  if (!EncodeCall(call, &message))
    return fail(-EINVAL, "credential exceeds the AUTH_SYS bounds");
  message.Raw(args);
  std::vector<uint8_t> wire;
  FrameRecord(message.bytes(), &wire);

  if (!fd_.valid()) {
    const Status opened = Open(timeout);
    if (!opened.ok()) return fail(opened.code, opened.message);
  }
  int rc;
  if ((rc = SendAll(fd_.get(), wire, deadline)) < 0)
    return fail(rc, std::string("send: ") + std::strerror(-rc));
  RecordReassembler reassembler(kMaxReplyRecord);
  if ((rc = ReceiveRecord(fd_.get(), &reassembler, deadline)) < 0)
    return fail(rc, std::string("reply: ") + std::strerror(-rc));

  const std::optional<DecodedReply> reply = DecodeReply(reassembler.record());
  if (!reply) return fail(-EPROTO, "malformed reply");
  if (reply->xid != call.xid) return fail(-EPROTO, "reply xid does not match");
  if (int code = ErrnoForReply(*reply); code != 0)
    return fail(code, DescribeReply(*reply));
  if (results) results->assign(reply->results.begin(), reply->results.end());
  return Status::Ok();
}

Status CallOverTcp(const std::string& address, uint16_t port, CallHeader call,
                   std::span<const uint8_t> args,
                   std::chrono::milliseconds timeout,
                   std::vector<uint8_t>* results) {
  return RpcConnection(address, port).Call(std::move(call), args, timeout, results);
}

Credential ProcessAuthSys() {
  AuthSys sys;
  sys.stamp = static_cast<uint32_t>(time(nullptr));
  char host[kMaxMachineName + 1] = {};
  if (gethostname(host, sizeof host - 1) == 0) sys.machine_name = host;
  sys.uid = geteuid();
  sys.gid = getegid();
  // More groups than AUTH_SYS carries: send the first 16, as the kernel does.
  const int total = getgroups(0, nullptr);
  std::vector<gid_t> groups(total > 0 ? static_cast<size_t>(total) : 0);
  const int n = groups.empty() ? 0 : getgroups(total, groups.data());
  for (int i = 0; i < n && sys.gids.size() < kMaxAuthSysGids; ++i)
    sys.gids.push_back(groups[static_cast<size_t>(i)]);
  return Credential::Sys(std::move(sys));
}

Status LocalioCaller::Null(const std::string& address, uint16_t port,
                           std::chrono::milliseconds timeout) const {
  CallHeader call{0, kLocalioProgram, kLocalioVersion, kLocalioProcNull, cred_};
  return CallOverTcp(address, port, std::move(call), {}, timeout, nullptr);
}

Status LocalioCaller::UuidIsLocal(const std::string& address, uint16_t port,
                                  const Nonce& nonce,
                                  std::chrono::milliseconds timeout) const {
  RpcConnection connection(address, port);
  return UuidIsLocal(&connection, nonce, timeout);
}

Status LocalioCaller::UuidIsLocal(RpcConnection* connection, const Nonce& nonce,
                                  std::chrono::milliseconds timeout) const {
  CallHeader call{0, kLocalioProgram, kLocalioVersion, kLocalioProcUuidIsLocal,
                  cred_};
  XdrEncoder args;
  EncodeUuidIsLocalArgs(nonce, &args);
  return connection->Call(std::move(call), args.bytes(), timeout, nullptr);
}

Status LocalioCaller::Wrote(RpcConnection* connection, uint16_t export_id,
                            std::span<const std::span<const uint8_t>> handles,
                            uint32_t* result,
                            std::chrono::milliseconds timeout) const {
  if (handles.size() > kWroteMaxHandles)
    return Status::Error(-EINVAL, "LOCALIO WROTE: " + std::to_string(handles.size()) +
                                      " handles in one call (at most " +
                                      std::to_string(kWroteMaxHandles) + ")");
  CallHeader call{0, kLocalioProgram, kLocalioVersion, kLocalioProcWrote, cred_};
  XdrEncoder args;
  EncodeWroteArgs(export_id, handles, &args);
  std::vector<uint8_t> results;
  Status st = connection->Call(std::move(call), args.bytes(), timeout, &results);
  if (!st.ok()) return st;
  XdrDecoder in(results);
  if (!in.U32(result) || in.remaining() != 0)
    return Status::Error(-EPROTO, "LOCALIO WROTE at " + connection->peer() +
                                      ": the reply is not one status word");
  return Status::Ok();
}

}  // namespace localio::rpc
