// SPDX-License-Identifier: LGPL-3.0-or-later
#include "localio/socket_owner.h"

#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <cerrno>
#include <cstring>

namespace localio {
namespace {

// One end of a connection as sock_diag names it.
struct End {
  uint8_t family = AF_UNSPEC;
  uint16_t port_be = 0;    // network order, as in inet_diag_sockid
  uint32_t addr_be[4] = {};  // IPv4 in addr_be[0]
};

bool EndOf(const sockaddr_storage& ss, End* out) {
  if (ss.ss_family == AF_INET) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(&ss);
    out->family = AF_INET;
    out->port_be = in->sin_port;
    out->addr_be[0] = in->sin_addr.s_addr;
    return true;
  }
  if (ss.ss_family == AF_INET6) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(&ss);
    out->port_be = in6->sin6_port;
    if (IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr)) {
      // An IPv4 connection on an IPv6 socket: the kernel finds it as IPv4.
      out->family = AF_INET;
      std::memcpy(&out->addr_be[0], &in6->sin6_addr.s6_addr[12], 4);
    } else {
      out->family = AF_INET6;
      std::memcpy(out->addr_be, &in6->sin6_addr, 16);
    }
    return true;
  }
  return false;
}

// The kernel keeps an owner only for full sockets; request and time-wait
// sockets report uid 0, and a time-wait one may say FIN_WAIT2. A server's
// end of a live connection is ESTABLISHED, or CLOSE_WAIT once ours closed.
int OwnerState(uint8_t state) {
  switch (state) {
    case TCP_ESTABLISHED:
    case TCP_CLOSE_WAIT: return 0;
    case TCP_SYN_RECV: return -EAGAIN;
    case TCP_LISTEN: return -ENOENT;  // no connection here, only a listener
    default: return -ENOTCONN;
  }
}

}  // namespace

int SocketOwners::PeerUid(int fd, uint32_t* uid) {
  sockaddr_storage ours{}, theirs{};
  socklen_t ours_len = sizeof ours, theirs_len = sizeof theirs;
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&ours), &ours_len) != 0 ||
      getpeername(fd, reinterpret_cast<sockaddr*>(&theirs), &theirs_len) != 0)
    return errno == ENOTCONN || errno == ENOTSOCK || errno == EBADF ? -ENOTCONN : -errno;
  End near, far;
  if (!EndOf(ours, &near) || !EndOf(theirs, &far) || near.family != far.family)
    return -ENOTCONN;

  if (!netlink_.valid()) {
    netlink_.reset(socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG));
    if (!netlink_.valid()) return -errno;
    // The kernel answers an exact lookup while handling the request; the
    // timeout only guards against a reply that never comes.
    const timeval second{1, 0};
    setsockopt(netlink_.get(), SOL_SOCKET, SO_RCVTIMEO, &second, sizeof second);
  }

  // The far end is the socket that receives what we send: the one a packet
  // from `near` to `far` reaches, which is how the kernel's lookup reads
  // source and destination.
  struct {
    nlmsghdr header;
    inet_diag_req_v2 body;
  } request{};
  const uint32_t seq = ++sequence_;
  request.header.nlmsg_len = sizeof request;
  request.header.nlmsg_type = SOCK_DIAG_BY_FAMILY;
  request.header.nlmsg_flags = NLM_F_REQUEST;
  request.header.nlmsg_seq = seq;
  request.body.sdiag_family = far.family;
  request.body.sdiag_protocol = IPPROTO_TCP;
  request.body.idiag_states = ~0u;
  request.body.id.idiag_sport = far.port_be;
  request.body.id.idiag_dport = near.port_be;
  std::memcpy(request.body.id.idiag_src, far.addr_be, sizeof far.addr_be);
  std::memcpy(request.body.id.idiag_dst, near.addr_be, sizeof near.addr_be);
  request.body.id.idiag_cookie[0] = INET_DIAG_NOCOOKIE;
  request.body.id.idiag_cookie[1] = INET_DIAG_NOCOOKIE;
  sockaddr_nl kernel{};
  kernel.nl_family = AF_NETLINK;
  if (sendto(netlink_.get(), &request, sizeof request, 0, reinterpret_cast<sockaddr*>(&kernel),
             sizeof kernel) < 0)
    return -errno;

  alignas(nlmsghdr) char buffer[8192];
  for (;;) {
    const ssize_t n = recv(netlink_.get(), buffer, sizeof buffer, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno == EAGAIN || errno == EWOULDBLOCK ? -ETIMEDOUT : -errno;
    }
    // NLMSG_OK/NLMSG_NEXT, without their mixed-sign comparisons.
    const size_t got = static_cast<size_t>(n);
    for (size_t at = 0; at + sizeof(nlmsghdr) <= got;) {
      const auto* h = reinterpret_cast<const nlmsghdr*>(buffer + at);
      if (h->nlmsg_len < sizeof(nlmsghdr) || h->nlmsg_len > got - at) return -EPROTO;
      at += NLMSG_ALIGN(h->nlmsg_len);
      if (h->nlmsg_seq != seq) continue;  // a late answer to an earlier call
      if (h->nlmsg_type == NLMSG_ERROR) {
        if (h->nlmsg_len < NLMSG_LENGTH(sizeof(nlmsgerr))) return -EPROTO;
        const int error = static_cast<const nlmsgerr*>(NLMSG_DATA(h))->error;
        return error < 0 ? error : -EPROTO;
      }
      if (h->nlmsg_type != SOCK_DIAG_BY_FAMILY ||
          h->nlmsg_len < NLMSG_LENGTH(sizeof(inet_diag_msg)))
        return -EPROTO;
      const auto* msg = static_cast<const inet_diag_msg*>(NLMSG_DATA(h));
      if (int rc = OwnerState(msg->idiag_state); rc != 0) return rc;
      // The lookup is exact, so this is the connection asked for; checked
      // all the same, a listener's or another's answer is no proof.
      if (msg->id.idiag_sport != far.port_be || msg->id.idiag_dport != near.port_be)
        return -ENOENT;
      if (msg->idiag_family == far.family &&
          (std::memcmp(msg->id.idiag_src, far.addr_be, sizeof far.addr_be) != 0 ||
           std::memcmp(msg->id.idiag_dst, near.addr_be, sizeof near.addr_be) != 0))
        return -ENOENT;
      *uid = msg->idiag_uid;
      return 0;
    }
  }
}

}  // namespace localio
