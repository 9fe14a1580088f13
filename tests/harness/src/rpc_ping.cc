#include "harness/rpc_ping.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <random>
#include <vector>

namespace localio::harness {
namespace {

using Clock = std::chrono::steady_clock;

int MillisLeft(Clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  return left.count() > 0 ? static_cast<int>(left.count()) : 0;
}

void PutU32(uint8_t* p, uint32_t v) {
  v = htonl(v);
  std::memcpy(p, &v, 4);
}

uint32_t GetU32(const uint8_t* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return ntohl(v);
}

class Socket {
 public:
  explicit Socket(int fd) : fd_(fd) {}
  ~Socket() {
    if (fd_ >= 0) close(fd_);
  }
  int fd() const { return fd_; }

 private:
  int fd_;
};

Status Connect(int fd, const std::string& host, uint16_t port, Clock::time_point deadline) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  if (inet_pton(AF_INET, host.c_str(), &addr.sin_addr) != 1) {
    return Status::Error("not an IPv4 address: " + host);
  }
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0) return Status();
  if (errno != EINPROGRESS) return Status::Error(std::string("connect: ") + std::strerror(errno));
  pollfd p{fd, POLLOUT, 0};
  if (poll(&p, 1, MillisLeft(deadline)) != 1) return Status::Error("connect: timed out");
  int err = 0;
  socklen_t len = sizeof(err);
  getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
  if (err != 0) return Status::Error(std::string("connect: ") + std::strerror(err));
  return Status();
}

Status ReadExactly(int fd, uint8_t* buf, size_t n, Clock::time_point deadline) {
  size_t got = 0;
  while (got < n) {
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, MillisLeft(deadline)) != 1) return Status::Error("reply: timed out");
    ssize_t r = recv(fd, buf + got, n - got, 0);
    if (r == 0) return Status::Error("reply: connection closed by server");
    if (r < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      return Status::Error(std::string("reply: ") + std::strerror(errno));
    }
    got += static_cast<size_t>(r);
  }
  return Status();
}

}  // namespace

Status RpcCall(const std::string& host, uint16_t port, uint32_t program, uint32_t version,
               uint32_t procedure, const std::vector<uint8_t>& args,
               std::chrono::milliseconds timeout, std::vector<uint8_t>* result) {
  const auto deadline = Clock::now() + timeout;
  Socket sock(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (sock.fd() < 0) return Status::Error(std::string("socket: ") + std::strerror(errno));
  if (Status s = Connect(sock.fd(), host, port, deadline); !s.ok()) return s;

  // Record mark + call header: xid, CALL, rpcvers 2, prog, vers, proc,
  // cred AUTH_NONE (flavor 0, length 0), verifier AUTH_NONE; then the args.
  const uint32_t xid = std::random_device{}();
  std::vector<uint8_t> call(44 + args.size());
  PutU32(&call[0], 0x80000000u | static_cast<uint32_t>(40 + args.size()));
  const uint32_t words[] = {xid, 0, 2, program, version, procedure, 0, 0, 0, 0};
  for (size_t i = 0; i < std::size(words); ++i) PutU32(&call[4 + 4 * i], words[i]);
  std::copy(args.begin(), args.end(), call.begin() + 44);
  if (send(sock.fd(), call.data(), call.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(call.size())) {
    return Status::Error(std::string("send: ") + std::strerror(errno));
  }

  std::vector<uint8_t> reply;
  for (bool last = false; !last;) {
    uint8_t mark[4];
    if (Status s = ReadExactly(sock.fd(), mark, 4, deadline); !s.ok()) return s;
    last = (GetU32(mark) & 0x80000000u) != 0;
    const uint32_t length = GetU32(mark) & 0x7fffffffu;
    if (reply.size() + length > (1u << 20)) return Status::Error("reply: larger than 1 MiB");
    reply.resize(reply.size() + length);
    if (Status s = ReadExactly(sock.fd(), reply.data() + reply.size() - length, length, deadline);
        !s.ok()) {
      return s;
    }
  }

  // xid, REPLY(1), MSG_ACCEPTED(0), verifier (flavor, len, body), accept_stat.
  if (reply.size() < 24) return Status::Error("reply: too short");
  if (GetU32(&reply[0]) != xid) return Status::Error("reply: xid mismatch");
  if (GetU32(&reply[4]) != 1) return Status::Error("reply: not an RPC reply");
  if (GetU32(&reply[8]) != 0) return Status::Error("reply: call denied");
  const uint32_t verf_len = GetU32(&reply[16]);
  const size_t stat_at = 20 + ((verf_len + 3u) & ~3u);
  if (verf_len > 400 || stat_at + 4 > reply.size()) return Status::Error("reply: malformed verifier");
  const uint32_t accept_stat = GetU32(&reply[stat_at]);
  static const char* const kAcceptStat[] = {"SUCCESS", "PROG_UNAVAIL", "PROG_MISMATCH",
                                            "PROC_UNAVAIL", "GARBAGE_ARGS", "SYSTEM_ERR"};
  if (accept_stat != 0) {
    return Status::Error(std::string("reply: ") +
                         (accept_stat < 6 ? kAcceptStat[accept_stat] : "unknown accept_stat"));
  }
  if (result != nullptr) result->assign(reply.begin() + static_cast<long>(stat_at + 4), reply.end());
  return Status();
}

Status RpcNullPing(const std::string& host, uint16_t port, uint32_t program, uint32_t version,
                   std::chrono::milliseconds timeout) {
  return RpcCall(host, port, program, version, 0, {}, timeout, nullptr);
}

Status MountExportList(const std::string& host, uint16_t mnt_port,
                       std::chrono::milliseconds timeout, std::vector<std::string>* paths) {
  std::vector<uint8_t> body;
  if (Status s = RpcCall(host, mnt_port, kMountProgram, 3, 5, {}, timeout, &body); !s.ok()) {
    return s;
  }
  // exports: { bool follows; string dir; groups: { bool follows; string name; }*; }*
  size_t at = 0;
  auto word = [&](uint32_t* v) {
    if (at + 4 > body.size()) return false;
    *v = GetU32(&body[at]);
    at += 4;
    return true;
  };
  auto string = [&](std::string* out) {
    uint32_t len;
    if (!word(&len) || len > body.size() - at) return false;
    if (out != nullptr) out->assign(reinterpret_cast<const char*>(&body[at]), len);
    at += (len + 3u) & ~3u;
    return at <= body.size();
  };
  paths->clear();
  for (uint32_t follows; word(&follows) && follows != 0;) {
    std::string dir;
    if (!string(&dir)) return Status::Error("MOUNT EXPORT reply: truncated");
    for (uint32_t group; word(&group) && group != 0;) {
      if (!string(nullptr)) return Status::Error("MOUNT EXPORT reply: truncated group");
    }
    paths->push_back(dir);
  }
  return Status();
}

}  // namespace localio::harness
