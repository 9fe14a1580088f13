// SPDX-License-Identifier: LGPL-3.0-or-later
// SocketOwners against real sockets on 127.0.0.1: a listener of this
// process, and (as root) listeners and clients of uid 1001 in a forked
// child, accepted or still in the accept queue, open or closed.
#include "localio/socket_owner.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <thread>

namespace localio {
namespace {

constexpr uid_t kOtherUid = 1001;

// 127.0.0.1:port
sockaddr_in Loopback(uint16_t port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return a;
}

UniqueFd Listener(uint16_t* port) {
  UniqueFd fd(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in a = Loopback(0);
  socklen_t len = sizeof a;
  if (bind(fd.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || listen(fd.get(), 8) != 0 ||
      getsockname(fd.get(), reinterpret_cast<sockaddr*>(&a), &len) != 0)
    return UniqueFd();
  *port = ntohs(a.sin_port);
  return fd;
}

UniqueFd ConnectTo(uint16_t port) {
  UniqueFd fd(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  const sockaddr_in a = Loopback(port);
  if (connect(fd.get(), reinterpret_cast<const sockaddr*>(&a), sizeof a) != 0) return UniqueFd();
  return fd;
}

// The uid of the far end, retried while the kernel still holds a request
// socket there; or the error.
int PeerUidOf(int fd, uint32_t* uid) {
  SocketOwners owners;
  int rc = -EAGAIN;
  for (int i = 0; i < 200 && rc == -EAGAIN; ++i) {
    rc = owners.PeerUid(fd, uid);
    if (rc == -EAGAIN) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return rc;
}

// A child process of uid 1001 that does `what` with a socket on
// 127.0.0.1 and waits for the parent to close the control pipe.
class OtherUidChild {
 public:
  enum class What { kListen, kListenAndAccept, kAcceptAndClose, kConnect };

  // For kConnect, `port` is where to connect; otherwise the child reports
  // the port it listens on.
  bool Start(What what, uint16_t port = 0) {
    int report[2], control[2];
    if (pipe2(report, O_CLOEXEC) != 0 || pipe2(control, O_CLOEXEC) != 0) return false;
    pid_ = fork();
    if (pid_ < 0) return false;
    if (pid_ == 0) {
      close(report[0]);
      close(control[1]);
      if (setresgid(kOtherUid, kOtherUid, kOtherUid) != 0 ||
          setresuid(kOtherUid, kOtherUid, kOtherUid) != 0)
        _exit(2);
      uint16_t bound = 0;
      UniqueFd sock = what == What::kConnect ? ConnectTo(port) : Listener(&bound);
      if (!sock.valid()) _exit(3);
      if (write(report[1], &bound, sizeof bound) != sizeof bound) _exit(4);
      UniqueFd accepted;
      if (what == What::kListenAndAccept || what == What::kAcceptAndClose)
        accepted.reset(accept4(sock.get(), nullptr, nullptr, SOCK_CLOEXEC));
      if (what == What::kAcceptAndClose) accepted.reset();
      char byte;
      while (read(control[0], &byte, 1) > 0) {
      }
      _exit(0);
    }
    close(report[1]);
    close(control[0]);
    control_.reset(control[1]);
    const bool reported = read(report[0], &port_, sizeof port_) == sizeof port_;
    close(report[0]);
    return reported;
  }
  uint16_t port() const { return port_; }
  ~OtherUidChild() {
    control_.reset();
    if (pid_ > 0) waitpid(pid_, nullptr, 0);
  }

 private:
  pid_t pid_ = -1;
  UniqueFd control_;
  uint16_t port_ = 0;
};

TEST(SocketOwners, AListenerOfThisProcessIsOwnedByThisUidBeforeAndAfterAccept) {
  uint16_t port = 0;
  UniqueFd listener = Listener(&port);
  ASSERT_TRUE(listener.valid());
  UniqueFd client = ConnectTo(port);
  ASSERT_TRUE(client.valid());
  uint32_t uid = 12345;
  ASSERT_EQ(PeerUidOf(client.get(), &uid), 0) << "still in the accept queue";
  EXPECT_EQ(uid, geteuid());
  UniqueFd accepted(accept4(listener.get(), nullptr, nullptr, SOCK_CLOEXEC));
  ASSERT_TRUE(accepted.valid());
  uid = 12345;
  ASSERT_EQ(PeerUidOf(client.get(), &uid), 0) << "accepted";
  EXPECT_EQ(uid, geteuid());
  // And from the listener's side: the client's socket is ours too.
  uid = 12345;
  ASSERT_EQ(PeerUidOf(accepted.get(), &uid), 0);
  EXPECT_EQ(uid, geteuid());
}

TEST(SocketOwners, AnIpv6ConnectionIsLookedUpToo) {
  UniqueFd listener(socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in6 a{};
  a.sin6_family = AF_INET6;
  a.sin6_addr = in6addr_loopback;
  socklen_t len = sizeof a;
  if (bind(listener.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) != 0)
    GTEST_SKIP() << "no IPv6 loopback here";
  ASSERT_EQ(listen(listener.get(), 8), 0);
  ASSERT_EQ(getsockname(listener.get(), reinterpret_cast<sockaddr*>(&a), &len), 0);
  UniqueFd client(socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0));
  ASSERT_EQ(connect(client.get(), reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  uint32_t uid = 12345;
  ASSERT_EQ(PeerUidOf(client.get(), &uid), 0);
  EXPECT_EQ(uid, geteuid());
}

TEST(SocketOwners, SocketsThatAreNotConnectedHaveNoPeer) {
  uint16_t port = 0;
  UniqueFd listener = Listener(&port);
  ASSERT_TRUE(listener.valid());
  UniqueFd fresh(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  SocketOwners owners;
  uint32_t uid = 0;
  EXPECT_EQ(owners.PeerUid(listener.get(), &uid), -ENOTCONN);
  EXPECT_EQ(owners.PeerUid(fresh.get(), &uid), -ENOTCONN);
  EXPECT_EQ(owners.PeerUid(-1, &uid), -ENOTCONN);
}

class OtherUid : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "needs root to run a child as uid " << kOtherUid;
  }
};

TEST_F(OtherUid, AListenerOfAnotherUidIsSeenAsThatUidInTheAcceptQueueAndAccepted) {
  for (const auto what : {OtherUidChild::What::kListen, OtherUidChild::What::kListenAndAccept}) {
    OtherUidChild child;
    ASSERT_TRUE(child.Start(what));
    UniqueFd client = ConnectTo(child.port());
    ASSERT_TRUE(client.valid());
    uint32_t uid = 0;
    ASSERT_EQ(PeerUidOf(client.get(), &uid), 0);
    EXPECT_EQ(uid, kOtherUid) << (what == OtherUidChild::What::kListen ? "queued" : "accepted");
  }
}

// The kernel reports uid 0 for a time-wait socket: that must never pass
// for the owner.
TEST_F(OtherUid, AFarEndClosedByAnotherUidIsNotReportedAsRoot) {
  OtherUidChild child;
  ASSERT_TRUE(child.Start(OtherUidChild::What::kAcceptAndClose));
  UniqueFd client = ConnectTo(child.port());
  ASSERT_TRUE(client.valid());
  char byte;
  ASSERT_EQ(recv(client.get(), &byte, 1, 0), 0) << "the child closed its end";
  uint32_t uid = 0;
  EXPECT_EQ(PeerUidOf(client.get(), &uid), -ENOTCONN);
}

TEST_F(OtherUid, AClientOfAnotherUidIsSeenAsThatUidByTheListener) {
  uint16_t port = 0;
  UniqueFd listener = Listener(&port);
  ASSERT_TRUE(listener.valid());
  OtherUidChild child;
  ASSERT_TRUE(child.Start(OtherUidChild::What::kConnect, port));
  UniqueFd accepted(accept4(listener.get(), nullptr, nullptr, SOCK_CLOEXEC));
  ASSERT_TRUE(accepted.valid());
  uint32_t uid = 0;
  ASSERT_EQ(PeerUidOf(accepted.get(), &uid), 0);
  EXPECT_EQ(uid, kOtherUid);
}

}  // namespace
}  // namespace localio
