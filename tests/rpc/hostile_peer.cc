// SPDX-License-Identifier: LGPL-3.0-or-later
// localio_hostile_peer: what a hostile neighbour runs against the LOCALIO
// listener and rpcbind, as its own uid (tests start it under setpriv):
//
//   listen [--port P] [--register local|tcp] [--netid N] [--register-port R]
//       a LocalioService of its own on 127.0.0.1 (port P, default an
//       ephemeral one), optionally registered as program 400122 v1 with
//       rpcbind over its local socket or over TCP, at its own port or at R
//       (UNSET of that netid first, as a squatter would); prints "port=P
//       registered=0|1", then at SIGTERM "calls=N uuid_is_local=M" and exits.
//   flood PORT CONNECTIONS SECONDS [DEPTH]
//       UUID_IS_LOCAL with random nonces (AUTH_SYS) over CONNECTIONS
//       connections to 127.0.0.1:PORT, DEPTH calls in flight on each
//       (default 16), opening a connection again whenever one is closed;
//       prints "calls=N reconnects=M" when done.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "localio/localio_caller.h"
#include "localio/localio_proto.h"
#include "localio/localio_service.h"
#include "localio/map_file.h"
#include "localio/rpcbind_client.h"
#include "localio/unique_fd.h"

namespace localio::rpc {
namespace {

volatile sig_atomic_t g_stop = 0;
void OnTerm(int) { g_stop = 1; }

int Usage() {
  std::fprintf(stderr,
               "usage: localio_hostile_peer listen [--port P] [--register local|tcp] [--netid N]\n"
               "                                   [--register-port R]\n"
               "       localio_hostile_peer flood PORT CONNECTIONS SECONDS [DEPTH]\n");
  return 2;
}

int Listen(int argc, char** argv) {
  std::string transport, netid = "tcp";
  LocalioServiceOptions options;
  int register_port = -1;
  for (int i = 2; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--register") == 0) transport = argv[i + 1];
    else if (std::strcmp(argv[i], "--netid") == 0) netid = argv[i + 1];
    else if (std::strcmp(argv[i], "--port") == 0)
      options.port = static_cast<uint16_t>(std::atoi(argv[i + 1]));
    else if (std::strcmp(argv[i], "--register-port") == 0) register_port = std::atoi(argv[i + 1]);
    else return Usage();
  }
  LocalioService service(options, [](const Nonce&) {});
  if (Status st = service.Start(); !st.ok()) {
    std::fprintf(stderr, "%s\n", st.message.c_str());
    return 1;
  }
  bool registered = false;
  if (!transport.empty()) {
    RpcbindOptions where;
    if (transport == "tcp") where.address = "127.0.0.1";
    const RpcbindClient rpcbind(where);
    bool done = false;
    rpcbind.Unset(kLocalioProgram, kLocalioVersion, netid, &done);
    const std::string host = netid == "tcp6" || netid == "udp6" ? "::" : "0.0.0.0";
    const uint16_t port =
        register_port >= 0 ? static_cast<uint16_t>(register_port) : service.port();
    const Status st = rpcbind.Set(kLocalioProgram, kLocalioVersion, netid,
                                  UniversalAddress(host, port), &registered);
    if (!st.ok()) std::fprintf(stderr, "%s\n", st.message.c_str());
  }
  signal(SIGTERM, OnTerm);
  std::printf("port=%u registered=%d\n", service.port(), registered ? 1 : 0);
  std::fflush(stdout);
  while (!g_stop) pause();
  const LocalioServiceCounters c = service.counters();
  std::printf("calls=%llu uuid_is_local=%llu\n", static_cast<unsigned long long>(c.calls),
              static_cast<unsigned long long>(c.uuid_is_local_calls));
  return 0;
}

// One UUID_IS_LOCAL call, framed, with a random nonce.
std::vector<uint8_t> FloodCall() {
  AuthSys sys;
  sys.machine_name = "flood";
  sys.uid = getuid();
  sys.gid = getgid();
  CallHeader call{0x464c4f4f, kLocalioProgram, kLocalioVersion, kLocalioProcUuidIsLocal,
                  Credential::Sys(sys)};
  XdrEncoder message;
  EncodeCall(call, &message);
  Nonce nonce;
  FillRandom(nonce.data(), nonce.size());
  EncodeUuidIsLocalArgs(nonce, &message);
  std::vector<uint8_t> wire;
  FrameRecord(message.bytes(), &wire);
  return wire;
}

struct FloodConnection {
  UniqueFd fd;
  size_t in_flight = 0;  // calls sent, replies not yet read
  size_t sent_part = 0;  // bytes of the next call already sent
  size_t reply_bytes = 0;  // bytes of the next reply already read
};

int Flood(int argc, char** argv) {
  if (argc < 5) return Usage();
  const uint16_t port = static_cast<uint16_t>(std::atoi(argv[2]));
  const size_t count = static_cast<size_t>(std::atoi(argv[3]));
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(std::atoi(argv[4]));
  const size_t depth = argc > 5 ? static_cast<size_t>(std::atoi(argv[5])) : 16;
  const std::vector<uint8_t> one = FloodCall();
  std::vector<uint8_t> batch;
  for (size_t i = 0; i < depth; ++i) batch.insert(batch.end(), one.begin(), one.end());
  // The reply to each call: a record mark and an accepted SUCCESS header.
  constexpr size_t kReplyBytes = 4 + 24;
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(port);
  to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);

  unsigned long long calls = 0, reconnects = 0;
  std::vector<FloodConnection> conns(count);
  const auto open = [&](FloodConnection* c) {
    c->fd.reset(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
    const int one_flag = 1;
    setsockopt(c->fd.get(), IPPROTO_TCP, TCP_NODELAY, &one_flag, sizeof one_flag);
    connect(c->fd.get(), reinterpret_cast<sockaddr*>(&to), sizeof to);  // completes in poll
    c->in_flight = 0;
    c->sent_part = 0;
    c->reply_bytes = 0;
  };
  for (FloodConnection& c : conns) open(&c);
  std::vector<pollfd> fds(count);
  uint8_t buffer[65536];
  signal(SIGTERM, OnTerm);
  while (!g_stop && std::chrono::steady_clock::now() < until) {
    for (size_t i = 0; i < count; ++i)
      fds[i] = {conns[i].fd.get(),
                static_cast<short>(POLLIN | (conns[i].in_flight < depth ? POLLOUT : 0)), 0};
    if (poll(fds.data(), fds.size(), 100) < 0) continue;
    for (size_t i = 0; i < count; ++i) {
      FloodConnection& c = conns[i];
      bool closed = (fds[i].revents & (POLLERR | POLLHUP)) != 0;
      if (!closed && (fds[i].revents & POLLIN)) {
        const ssize_t n = recv(c.fd.get(), buffer, sizeof buffer, 0);
        if (n == 0 || (n < 0 && errno != EAGAIN)) closed = true;
        if (n > 0) {
          c.reply_bytes += static_cast<size_t>(n);
          const size_t replies = c.reply_bytes / kReplyBytes;
          c.reply_bytes %= kReplyBytes;
          calls += replies;
          c.in_flight = replies > c.in_flight ? 0 : c.in_flight - replies;
        }
      }
      if (!closed && (fds[i].revents & POLLOUT) && c.in_flight < depth) {
        // The batch repeats one call: start where the last send stopped.
        const size_t bytes = (depth - c.in_flight) * one.size() - c.sent_part;
        const ssize_t n = send(c.fd.get(), batch.data() + c.sent_part, bytes, MSG_NOSIGNAL);
        if (n < 0 && errno != EAGAIN) closed = true;
        if (n > 0) {
          const size_t done = c.sent_part + static_cast<size_t>(n);
          c.in_flight += done / one.size();
          c.sent_part = done % one.size();
        }
      }
      if (closed) {
        open(&c);
        ++reconnects;
      }
    }
  }
  std::printf("calls=%llu reconnects=%llu\n", calls, reconnects);
  return 0;
}

}  // namespace
}  // namespace localio::rpc

int main(int argc, char** argv) {
  if (argc < 2) return localio::rpc::Usage();
  if (std::strcmp(argv[1], "listen") == 0) return localio::rpc::Listen(argc, argv);
  if (std::strcmp(argv[1], "flood") == 0) return localio::rpc::Flood(argc, argv);
  return localio::rpc::Usage();
}
