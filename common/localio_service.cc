// SPDX-License-Identifier: LGPL-3.0-or-later
#include "localio/localio_service.h"

#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <thread>
#include <vector>

#include "localio/unique_fd.h"

namespace localio::rpc {
namespace {

using Clock = std::chrono::steady_clock;

// Reads per connection per poll round, so one busy peer cannot starve the
// others.
constexpr int kReadsPerRound = 8;
constexpr int kAcceptPauseMs = 100;

struct Connection {
  Connection(int socket, size_t max_record)
      : fd(socket), records(max_record), last_active(Clock::now()) {}

  void Close() { fd.reset(); }
  bool open() const { return fd.valid(); }
  size_t unsent() const { return out.size() - sent; }

  UniqueFd fd;
  RecordReassembler records;
  std::vector<uint8_t> out;  // framed replies; out[sent..] still to send
  size_t sent = 0;
  Clock::time_point last_active;
};

std::string BindError(uint16_t port, const std::string& address, int error) {
  const std::string reason =
      error == EADDRINUSE ? "address in use"
      : error == EACCES   ? "permission denied (privileged port?)"
      : error == EADDRNOTAVAIL ? "address not available on this host"
                               : std::strerror(error);
  return "LOCALIO Port " + std::to_string(port) + ": " + reason + " (bind " +
         address + ")";
}

}  // namespace

struct LocalioService::Loop {
  explicit Loop(LocalioService* owner) : service(owner) {}

  void Run();
  void Accept();
  void Evict();
  void Read(Connection* conn);
  bool Serve(Connection* conn, std::span<const uint8_t> record);
  void Dispatch(const DecodedCall& call, XdrEncoder* reply, bool* success);
  void ServeWrote(const DecodedCall& call, XdrEncoder* reply, bool* success);
  void Flush(Connection* conn);
  void ExpireIdle(Clock::time_point now);
  int PollTimeout(Clock::time_point now) const;

  LocalioService* service;
  std::vector<std::unique_ptr<Connection>> connections;
  // Out of descriptors: the listener stays readable, so stop polling it
  // for a moment instead of spinning.
  Clock::time_point accept_paused_until{};
};

LocalioService::LocalioService(LocalioServiceOptions options,
                               NonceCallback on_nonce, WroteCallback on_wrote)
    : options_(std::move(options)),
      on_nonce_(std::move(on_nonce)),
      on_wrote_(std::move(on_wrote)) {
  options_.max_connections = std::max<size_t>(options_.max_connections, 1);
  options_.max_record_size = std::max<size_t>(options_.max_record_size, 64);
}

LocalioService::~LocalioService() { Stop(); }

Status LocalioService::Start() {
  if (started_ || listen_fd_ >= 0)
    return Status::Error(-EALREADY, "LOCALIO listener already started");
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE;
  addrinfo* found = nullptr;
  if (getaddrinfo(options_.bind_address.c_str(),
                  std::to_string(options_.port).c_str(), &hints, &found) != 0 ||
      found == nullptr)
    return Status::Error(-EINVAL, "LOCALIO bind address \"" +
                                      options_.bind_address +
                                      "\" is not a numeric IPv4/IPv6 address");
  const int fd = socket(found->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    const int error = errno;
    freeaddrinfo(found);
    return Status::Error(-error, std::string("LOCALIO listener socket: ") +
                                     std::strerror(error));
  }
  const int one = 1;
  // A restart must not wait for the last instance's TIME_WAIT connections.
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  const int bound = bind(fd, found->ai_addr, found->ai_addrlen);
  const int bind_errno = errno;
  freeaddrinfo(found);
  if (bound < 0 || listen(fd, 64) < 0) {
    const int error = bound < 0 ? bind_errno : errno;
    close(fd);
    return Status::Error(-error, BindError(options_.port, options_.bind_address, error));
  }
  sockaddr_storage local{};
  socklen_t local_len = sizeof local;
  getsockname(fd, reinterpret_cast<sockaddr*>(&local), &local_len);
  port_ = ntohs(local.ss_family == AF_INET6
                    ? reinterpret_cast<sockaddr_in6*>(&local)->sin6_port
                    : reinterpret_cast<sockaddr_in*>(&local)->sin_port);

  wake_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (wake_fd_ < 0) {
    const int error = errno;
    close(fd);
    port_ = 0;
    return Status::Error(-error, std::string("LOCALIO listener eventfd: ") +
                                     std::strerror(error));
  }
  listen_fd_ = fd;
  loop_ = std::make_unique<Loop>(this);
  thread_ = std::thread([this] { loop_->Run(); });
  started_ = true;
  return Status::Ok();
}

void LocalioService::Stop() {
  if (started_) {
    const uint64_t one = 1;
    // An eventfd write of 1 cannot fail short of overflow; the loop exits
    // on the first wake-up.
    [[maybe_unused]] ssize_t n = write(wake_fd_, &one, sizeof one);
    thread_.join();
    started_ = false;
  }
  loop_.reset();  // closes every connection
  counters_.open_connections = 0;
  if (listen_fd_ >= 0) close(listen_fd_);
  if (wake_fd_ >= 0) close(wake_fd_);
  listen_fd_ = wake_fd_ = -1;
}

LocalioServiceCounters LocalioService::counters() const {
  LocalioServiceCounters c;
  c.connections = counters_.connections.load();
  c.connections_evicted = counters_.connections_evicted.load();
  c.open_connections = counters_.open_connections.load();
  c.calls = counters_.calls.load();
  c.uuid_is_local_calls = counters_.uuid_is_local_calls.load();
  c.wrote_calls = counters_.wrote_calls.load();
  c.rejected_records = counters_.rejected_records.load();
  return c;
}

void LocalioService::Loop::Run() {
  std::vector<pollfd> fds;
  for (;;) {
    fds.clear();
    fds.push_back({service->wake_fd_, POLLIN, 0});
    const bool accepting = Clock::now() >= accept_paused_until;
    fds.push_back({service->listen_fd_, static_cast<short>(accepting ? POLLIN : 0), 0});
    for (const auto& conn : connections)
      fds.push_back({conn->fd.get(), static_cast<short>(POLLIN | (conn->unsent() ? POLLOUT : 0)), 0});
    int timeout = PollTimeout(Clock::now());
    if (!accepting && (timeout < 0 || timeout > kAcceptPauseMs)) timeout = kAcceptPauseMs;
    const int n = poll(fds.data(), fds.size(), timeout);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno != ENOMEM) break;  // EFAULT/EINVAL: cannot happen here
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
      continue;
    }
    if (fds[0].revents) break;

    // Connections first: Accept() may evict and reorder them.
    const size_t polled = connections.size();
    for (size_t i = 0; n > 0 && i < polled; ++i) {
      Connection* conn = connections[i].get();
      const short revents = fds[2 + i].revents;
      if (revents & (POLLIN | POLLHUP | POLLERR)) Read(conn);
      if (conn->open() && (revents & POLLOUT)) Flush(conn);
    }
    std::erase_if(connections, [](const auto& c) { return !c->open(); });
    if (n > 0 && fds[1].revents) Accept();
    ExpireIdle(Clock::now());
    service->counters_.open_connections = connections.size();
  }
  connections.clear();
}

int LocalioService::Loop::PollTimeout(Clock::time_point now) const {
  if (connections.empty()) return -1;
  Clock::time_point first = connections.front()->last_active;
  for (const auto& conn : connections) first = std::min(first, conn->last_active);
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      first + service->options_.idle_timeout - now);
  // +1: wake just after the deadline rather than just before it.
  return static_cast<int>(std::max<int64_t>(left.count() + 1, 0));
}

void LocalioService::Loop::ExpireIdle(Clock::time_point now) {
  std::erase_if(connections, [&](const auto& conn) {
    return now - conn->last_active >= service->options_.idle_timeout;
  });
}

void LocalioService::Loop::Evict() {
  auto oldest = std::min_element(
      connections.begin(), connections.end(),
      [](const auto& a, const auto& b) { return a->last_active < b->last_active; });
  connections.erase(oldest);
  ++service->counters_.connections_evicted;
}

void LocalioService::Loop::Accept() {
  for (;;) {
    const int fd = accept4(service->listen_fd_, nullptr, nullptr,
                           SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM)
        accept_paused_until = Clock::now() + std::chrono::milliseconds(kAcceptPauseMs);
      return;  // EAGAIN, or a connection reset before we got to it
    }
    ++service->counters_.connections;
    if (connections.size() >= service->options_.max_connections) Evict();
    connections.push_back(
        std::make_unique<Connection>(fd, service->options_.max_record_size));
  }
}

void LocalioService::Loop::Read(Connection* conn) {
  uint8_t buffer[4096];
  for (int round = 0; round < kReadsPerRound && conn->open(); ++round) {
    const ssize_t n = recv(conn->fd.get(), buffer, sizeof buffer, 0);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
    if (n <= 0) {  // EOF (a truncated record is dropped with it) or error
      if (n == 0 && conn->records.InRecord()) ++service->counters_.rejected_records;
      conn->Close();
      return;
    }
    conn->last_active = Clock::now();
    std::span<const uint8_t> data(buffer, static_cast<size_t>(n));
    while (!data.empty() && conn->open()) {
      size_t used = 0;
      const auto result = conn->records.Consume(data, &used);
      data = data.subspan(used);
      if (result == RecordReassembler::Result::kTooLarge) {
        ++service->counters_.rejected_records;
        conn->Close();
      } else if (result == RecordReassembler::Result::kRecord &&
                 !Serve(conn, conn->records.record())) {
        conn->Close();
      }
    }
    if (conn->open()) Flush(conn);
  }
}

// Answers one record; false when the connection must close.
bool LocalioService::Loop::Serve(Connection* conn, std::span<const uint8_t> record) {
  const DecodedCall call = DecodeCall(record);
  XdrEncoder reply;
  bool success = false;
  switch (call.verdict) {
    case CallVerdict::kUnparsable:
      ++service->counters_.rejected_records;
      return false;
    case CallVerdict::kRpcMismatch:
      EncodeRpcMismatchReply(call.header.xid, &reply);
      break;
    case CallVerdict::kAuthError:
      EncodeAuthErrorReply(call.header.xid, call.auth_stat, &reply);
      break;
    case CallVerdict::kAccepted:
      Dispatch(call, &reply, &success);
      break;
  }
  ++service->counters_.calls;
  if (!success) ++service->counters_.rejected_records;
  FrameRecord(reply.bytes(), &conn->out);
  // A peer that sends calls but does not read the replies.
  return conn->unsent() <= service->options_.max_output_bytes;
}

void LocalioService::Loop::Dispatch(const DecodedCall& call, XdrEncoder* reply,
                                    bool* success) {
  const CallHeader& header = call.header;
  if (header.prog != kLocalioProgram) {
    EncodeAcceptedReply(header.xid, AcceptStat::kProgUnavail, reply);
    return;
  }
  if (header.vers != kLocalioVersion) {
    EncodeProgMismatchReply(header.xid, kLocalioVersion, kLocalioVersion, reply);
    return;
  }
  if (header.proc == kLocalioProcNull) {
    // Arguments of NULL are ignored, as the kernel's void decoder does.
    EncodeAcceptedReply(header.xid, AcceptStat::kSuccess, reply);
    *success = true;
    return;
  }
  if (header.proc == kLocalioProcWrote && service->on_wrote_) {
    ServeWrote(call, reply, success);
    return;
  }
  if (header.proc != kLocalioProcUuidIsLocal) {
    EncodeAcceptedReply(header.xid, AcceptStat::kProcUnavail, reply);
    return;
  }
  if (service->options_.require_auth_sys && header.cred.flavor != AuthFlavor::kSys) {
    EncodeAuthErrorReply(header.xid, AuthStat::kTooWeak, reply);
    return;
  }
  const std::optional<Nonce> nonce = DecodeUuidIsLocalArgs(call.args);
  if (!nonce) {
    EncodeAcceptedReply(header.xid, AcceptStat::kGarbageArgs, reply);
    return;
  }
  // The owner's callback must not take the thread down with an exception.
  try {
    if (service->on_nonce_) service->on_nonce_(*nonce);
  } catch (...) {
    EncodeAcceptedReply(header.xid, AcceptStat::kSystemErr, reply);
    return;
  }
  ++service->counters_.uuid_is_local_calls;
  // Void, whether or not the nonce was known: the client reads the answer
  // from the hello area.
  EncodeAcceptedReply(header.xid, AcceptStat::kSuccess, reply);
  *success = true;
}

// WROTE drops cached attributes and grants nothing: any caller may ask.
void LocalioService::Loop::ServeWrote(const DecodedCall& call, XdrEncoder* reply,
                                      bool* success) {
  const std::optional<WroteArgs> args = DecodeWroteArgs(call.args);
  if (!args) {
    EncodeAcceptedReply(call.header.xid, AcceptStat::kGarbageArgs, reply);
    return;
  }
  uint32_t result;
  try {
    result = service->on_wrote_(*args);
  } catch (...) {
    EncodeAcceptedReply(call.header.xid, AcceptStat::kSystemErr, reply);
    return;
  }
  ++service->counters_.wrote_calls;
  EncodeAcceptedReply(call.header.xid, AcceptStat::kSuccess, reply);
  reply->U32(result);
  *success = true;
}

void LocalioService::Loop::Flush(Connection* conn) {
  while (conn->unsent() > 0) {
    const ssize_t n = send(conn->fd.get(), conn->out.data() + conn->sent,
                           conn->unsent(), MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) break;
    if (n <= 0) {
      conn->Close();
      return;
    }
    conn->sent += static_cast<size_t>(n);
    conn->last_active = Clock::now();
  }
  if (conn->sent == conn->out.size()) {
    conn->out.clear();
    conn->sent = 0;
  }
}

}  // namespace localio::rpc
