/* SPDX-License-Identifier: LGPL-3.0-or-later */
// Who owns the other end of a TCP connection, as the kernel knows it
// (NETLINK_SOCK_DIAG, an exact lookup by the connection's four addresses and
// ports; no dump). A socket's owner is the uid it was created with; a socket
// that a listener accepted, or holds in its accept queue, carries the
// listener's owner. Because the lookup names the connection this process
// holds, the answer is about the very socket at the other end, not about
// whoever listens on that port now.
//
// The client proves with it that the LOCALIO listener it connected to is the
// server's uid's (client_plugin/handshake.cc); the listener groups its peers
// by uid with it (common/localio_service.cc).
#ifndef LOCALIO_SOCKET_OWNER_H
#define LOCALIO_SOCKET_OWNER_H

#include <cstdint>

#include "localio/unique_fd.h"

namespace localio {

class SocketOwners {
 public:
  SocketOwners() = default;
  SocketOwners(const SocketOwners&) = delete;
  SocketOwners& operator=(const SocketOwners&) = delete;

  // The uid owning the far end of connected TCP socket `fd`, as this
  // process's user namespace sees it (the overflow uid, 65534, when it is
  // not mapped there). 0 and *uid, or:
  //   -ENOENT    the far end is not a socket of this network namespace (it
  //              lives in another one: a veth, a published port, another host);
  //   -EAGAIN    the far end is still a request socket (its handshake is not
  //              done; the kernel has no owner for it yet): ask again;
  //   -ENOTCONN  `fd` is not a connected TCP socket, or the far end is
  //              closing (the kernel keeps no owner for a time-wait socket);
  //   or the netlink socket's -errno.
  // The netlink socket is opened at the first call and kept.
  int PeerUid(int fd, uint32_t* uid);

 private:
  UniqueFd netlink_;
  uint32_t sequence_ = 0;
};

}  // namespace localio

#endif  // LOCALIO_SOCKET_OWNER_H
