// SPDX-License-Identifier: LGPL-3.0-or-later
#include "localio/localio_service.h"

#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <map>
#include <thread>
#include <vector>

#include "localio/socket_owner.h"
#include "localio/unique_fd.h"

namespace localio::rpc {
namespace {

using Steady = std::chrono::steady_clock;

// Bytes one read takes from a connection: a few calls' worth.
constexpr size_t kReadChunk = 4096;
constexpr int kAcceptPauseMs = 100;

// Whom a connection counts against: the uid of the connecting socket when
// the kernel shows it here, else its source address.
struct Peer {
  bool by_uid = false;
  uint32_t uid = 0;
  std::array<uint8_t, 16> address{};

  auto operator<=>(const Peer&) const = default;
};

Peer PeerOf(int fd, SocketOwners* owners) {
  Peer peer;
  if (owners->PeerUid(fd, &peer.uid) == 0) {
    peer.by_uid = true;
    return peer;
  }
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  if (getpeername(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0) return peer;
  if (ss.ss_family == AF_INET) {
    std::memcpy(peer.address.data(), &reinterpret_cast<sockaddr_in*>(&ss)->sin_addr, 4);
  } else if (ss.ss_family == AF_INET6) {
    std::memcpy(peer.address.data(), &reinterpret_cast<sockaddr_in6*>(&ss)->sin6_addr, 16);
  }
  return peer;
}

struct Connection {
  Connection(int socket, size_t max_record, Peer from)
      : fd(socket), records(max_record), last_active(Steady::now()), peer(from) {}

  void Close() { fd.reset(); }
  bool open() const { return fd.valid(); }
  size_t unsent() const { return out.size() - sent; }
  // Received bytes not yet fed to `records` (left by the per-round limit).
  bool pending() const { return used < in.size(); }

  UniqueFd fd;
  RecordReassembler records;
  std::vector<uint8_t> in;  // one read; in[used..] not yet consumed
  size_t used = 0;
  std::vector<uint8_t> out;  // framed replies; out[sent..] still to send
  size_t sent = 0;
  Steady::time_point last_active;
  Peer peer;
  // Held open but neither polled nor read (see Accept).
  bool parked = false;
};

// How many connections a peer has served and parked.
struct Held {
  size_t served = 0;
  size_t parked = 0;
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
  std::map<Peer, Held> Holdings() const;
  // Parks the least recently active served connection of `peer`, or of the
  // peer serving the most when `peer` is null.
  void Park(const Peer* peer, std::map<Peer, Held>* held);
  // Closes the oldest parked connection of the peer holding the most parked.
  void CloseParked(std::map<Peer, Held>* held);
  // Serves parked connections again while served ones are fewer than the
  // limits allow, oldest first.
  void Unpark();
  void Read(Connection* conn);
  void ServeRound(Connection* conn);
  bool Serve(Connection* conn, std::span<const uint8_t> record);
  void Dispatch(const DecodedCall& call, XdrEncoder* reply, bool* success);
  void ServeWrote(const DecodedCall& call, XdrEncoder* reply, bool* success);
  void Flush(Connection* conn);
  void ExpireIdle(Steady::time_point now);
  int PollTimeout(Steady::time_point now) const;

  LocalioService* service;
  std::vector<std::unique_ptr<Connection>> connections;
  SocketOwners owners;  // keeps its netlink socket across accepts
  // Out of descriptors: the listener stays readable, so stop polling it
  // for a moment instead of spinning.
  Steady::time_point accept_paused_until{};
};

LocalioService::LocalioService(LocalioServiceOptions options,
                               NonceCallback on_nonce, WroteCallback on_wrote)
    : options_(std::move(options)),
      on_nonce_(std::move(on_nonce)),
      on_wrote_(std::move(on_wrote)) {
  options_.max_connections = std::max<size_t>(options_.max_connections, 1);
  options_.max_connections_per_peer =
      std::clamp<size_t>(options_.max_connections_per_peer, 1, options_.max_connections);
  options_.records_per_round = std::max<size_t>(options_.records_per_round, 1);
  max_parked_ = options_.max_parked_connections;
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
  // A deep backlog: under a flood of connections an honest one waits in
  // it for a few rounds instead of having its SYN dropped (and resent a
  // second later).
  if (bound < 0 || listen(fd, SOMAXCONN) < 0) {
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
  // Parked connections hold descriptors: a few per cent of this process's.
  rlimit files{};
  if (getrlimit(RLIMIT_NOFILE, &files) == 0 && files.rlim_cur != RLIM_INFINITY)
    max_parked_ = std::min<size_t>(options_.max_parked_connections, files.rlim_cur / 16);
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
  counters_.parked_connections = 0;
  if (listen_fd_ >= 0) close(listen_fd_);
  if (wake_fd_ >= 0) close(wake_fd_);
  listen_fd_ = wake_fd_ = -1;
}

LocalioServiceCounters LocalioService::counters() const {
  LocalioServiceCounters c;
  c.connections = counters_.connections.load();
  c.connections_evicted = counters_.connections_evicted.load();
  c.open_connections = counters_.open_connections.load();
  c.parked_connections = counters_.parked_connections.load();
  c.calls = counters_.calls.load();
  c.uuid_is_local_calls = counters_.uuid_is_local_calls.load();
  c.wrote_calls = counters_.wrote_calls.load();
  c.rejected_records = counters_.rejected_records.load();
  return c;
}

void LocalioService::Loop::Run() {
  std::vector<pollfd> fds;
  std::vector<Connection*> polled;
  for (;;) {
    fds.clear();
    polled.clear();
    fds.push_back({service->wake_fd_, POLLIN, 0});
    const bool accepting = Steady::now() >= accept_paused_until;
    fds.push_back({service->listen_fd_, static_cast<short>(accepting ? POLLIN : 0), 0});
    bool more_to_serve = false;
    for (const auto& conn : connections) {
      if (conn->parked) continue;
      // Replies first; then what is left of the last read; then a new read.
      short events = 0;
      if (conn->unsent() > 0) {
        events = POLLOUT;
      } else if (conn->pending()) {
        more_to_serve = true;
      } else {
        events = POLLIN;
      }
      fds.push_back({conn->fd.get(), events, 0});
      polled.push_back(conn.get());
    }
    int timeout = more_to_serve ? 0 : PollTimeout(Steady::now());
    if (!accepting && (timeout < 0 || timeout > kAcceptPauseMs)) timeout = kAcceptPauseMs;
    const int n = poll(fds.data(), fds.size(), timeout);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno != ENOMEM) break;  // EFAULT/EINVAL: cannot happen here
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
      continue;
    }
    if (fds[0].revents) break;

    for (size_t i = 0; i < polled.size(); ++i) {
      Connection* conn = polled[i];
      const short revents = fds[2 + i].revents;
      if (conn->unsent() > 0) {
        if (revents) Flush(conn);  // POLLERR/POLLHUP end in a failed send
        if (!conn->open() || conn->unsent() > 0) continue;
      }
      if (!conn->pending() && (revents & (POLLIN | POLLHUP | POLLERR))) Read(conn);
      if (conn->open() && conn->pending()) ServeRound(conn);
    }
    std::erase_if(connections, [](const auto& c) { return !c->open(); });
    if (fds[1].revents) Accept();
    ExpireIdle(Steady::now());
    Unpark();
    service->counters_.open_connections = connections.size();
    service->counters_.parked_connections = static_cast<uint64_t>(std::count_if(
        connections.begin(), connections.end(), [](const auto& c) { return c->parked; }));
  }
  connections.clear();
}

int LocalioService::Loop::PollTimeout(Steady::time_point now) const {
  if (connections.empty()) return -1;
  Steady::time_point first = connections.front()->last_active;
  for (const auto& conn : connections) first = std::min(first, conn->last_active);
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      first + service->options_.idle_timeout - now);
  // +1: wake just after the deadline rather than just before it.
  return static_cast<int>(std::max<int64_t>(left.count() + 1, 0));
}

void LocalioService::Loop::ExpireIdle(Steady::time_point now) {
  std::erase_if(connections, [&](const auto& conn) {
    return now - conn->last_active >= service->options_.idle_timeout;
  });
}

std::map<Peer, Held> LocalioService::Loop::Holdings() const {
  std::map<Peer, Held> held;
  for (const auto& conn : connections) {
    Held& h = held[conn->peer];
    ++(conn->parked ? h.parked : h.served);
  }
  return held;
}

void LocalioService::Loop::Park(const Peer* peer, std::map<Peer, Held>* held) {
  Peer busiest;
  if (peer == nullptr) {
    size_t most = 0;
    for (const auto& [who, h] : *held)
      if (h.served > most) most = h.served, busiest = who;
    peer = &busiest;
  }
  Connection* idlest = nullptr;
  for (const auto& conn : connections)
    if (!conn->parked && conn->peer == *peer &&
        (idlest == nullptr || conn->last_active < idlest->last_active))
      idlest = conn.get();
  if (idlest == nullptr) return;
  idlest->parked = true;
  Held& h = (*held)[*peer];
  --h.served;
  ++h.parked;
}

void LocalioService::Loop::CloseParked(std::map<Peer, Held>* held) {
  Peer busiest;
  size_t most = 0;
  for (const auto& [who, h] : *held)
    if (h.parked > most) most = h.parked, busiest = who;
  const auto oldest = std::min_element(
      connections.begin(), connections.end(), [&](const auto& a, const auto& b) {
        const bool a_in = a->parked && a->peer == busiest;
        const bool b_in = b->parked && b->peer == busiest;
        if (a_in != b_in) return a_in;
        return a->last_active < b->last_active;
      });
  if (oldest == connections.end() || !(*oldest)->parked || (*oldest)->peer != busiest) return;
  connections.erase(oldest);
  --(*held)[busiest].parked;
  ++service->counters_.connections_evicted;
}

// Every new connection is served at once, so an honest client's one call
// never waits behind a peer's backlog; room is made by parking, not
// closing, so that a flooding peer has nothing to reconnect.
void LocalioService::Loop::Accept() {
  const LocalioServiceOptions& limits = service->options_;
  std::map<Peer, Held> held = Holdings();
  size_t served = 0, parked = 0;
  for (const auto& [who, h] : held) served += h.served, parked += h.parked;
  // At most max_connections a round, so that serving goes on while peers
  // open connections faster than they can be taken.
  for (size_t taken = 0; taken < limits.max_connections; ++taken) {
    const int fd = accept4(service->listen_fd_, nullptr, nullptr,
                           SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM)
        accept_paused_until = Steady::now() + std::chrono::milliseconds(kAcceptPauseMs);
      return;  // EAGAIN, or a connection reset before we got to it
    }
    ++service->counters_.connections;
    const Peer peer = PeerOf(fd, &owners);
    if (held[peer].served >= limits.max_connections_per_peer) {
      Park(&peer, &held);
      --served, ++parked;
    } else if (served >= limits.max_connections) {
      Park(nullptr, &held);
      --served, ++parked;
    }
    connections.push_back(std::make_unique<Connection>(fd, limits.max_record_size, peer));
    ++held[peer].served, ++served;
    if (parked > service->max_parked_) {
      CloseParked(&held);
      --parked;
    }
  }
}

void LocalioService::Loop::Unpark() {
  if (std::none_of(connections.begin(), connections.end(),
                   [](const auto& c) { return c->parked; }))
    return;
  const LocalioServiceOptions& limits = service->options_;
  std::map<Peer, Held> held = Holdings();
  size_t served = 0;
  for (const auto& [who, h] : held) served += h.served;
  while (served < limits.max_connections) {
    Connection* oldest = nullptr;
    for (const auto& conn : connections)
      if (conn->parked && held[conn->peer].served < limits.max_connections_per_peer &&
          (oldest == nullptr || conn->last_active < oldest->last_active))
        oldest = conn.get();
    if (oldest == nullptr) return;
    oldest->parked = false;
    oldest->last_active = Steady::now();
    Held& h = held[oldest->peer];
    --h.parked;
    ++h.served;
    ++served;
  }
}

// One read, when everything read before was served.
void LocalioService::Loop::Read(Connection* conn) {
  conn->in.resize(kReadChunk);
  conn->used = 0;
  const ssize_t n = recv(conn->fd.get(), conn->in.data(), conn->in.size(), 0);
  conn->in.resize(n > 0 ? static_cast<size_t>(n) : 0);
  if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
  if (n <= 0) {  // EOF (a truncated record is dropped with it) or error
    if (n == 0 && conn->records.InRecord()) ++service->counters_.rejected_records;
    conn->Close();
    return;
  }
  conn->last_active = Steady::now();
}

// Serves at most records_per_round records of what was read, then sends.
void LocalioService::Loop::ServeRound(Connection* conn) {
  for (size_t served = 0; served < service->options_.records_per_round && conn->pending();) {
    size_t used = 0;
    const auto result = conn->records.Consume(
        std::span<const uint8_t>(conn->in).subspan(conn->used), &used);
    conn->used += used;
    if (result == RecordReassembler::Result::kTooLarge) {
      ++service->counters_.rejected_records;
      conn->Close();
      return;
    }
    if (result == RecordReassembler::Result::kRecord) {
      ++served;
      if (!Serve(conn, conn->records.record())) {
        conn->Close();
        return;
      }
    }
  }
  if (!conn->pending()) {
    conn->in.clear();
    conn->used = 0;
  }
  Flush(conn);
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
  return true;
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
    conn->last_active = Steady::now();
  }
  if (conn->sent == conn->out.size()) {
    conn->out.clear();
    conn->sent = 0;
  }
}

}  // namespace localio::rpc
