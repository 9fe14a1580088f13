// SPDX-License-Identifier: LGPL-3.0-or-later
// The handshake against an in-process server side (MapWriter + the LOCALIO
// listener), on 127.0.0.1 with no rpcbind entry: the client uses the map
// header's port and proves the listener's owner from its own socket
// (sock_diag), and refuses a listener of another uid there (run as
// uid 1001 by harness/hostile_peer.h when this test runs as root).
#include "handshake.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sched.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "harness/files.h"
#include "harness/hostile_peer.h"
#include "localio/localio_service.h"
#include "localio/map_writer.h"
#include "localio/trusted_dir.h"
#include "map_test_util.h"

namespace localio::client {
namespace {

using std::chrono::milliseconds;
using std::chrono::steady_clock;

// A port nothing listens on (bound, read back, closed).
uint16_t ClosedPort() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  if (bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
    close(fd);
    return 0;
  }
  close(fd);
  return ntohs(a.sin_port);
}

class HandshakeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(MapWriter::Create(test::ConfigIn(dir_), &writer_).ok());
    writer_->Heartbeat();
    service_ = std::make_unique<rpc::LocalioService>(
        rpc::LocalioServiceOptions{}, [this](const Nonce& nonce) {
          if (confirm_) writer_->ConfirmNonce(nonce);
        });
    ASSERT_TRUE(service_->Start().ok());
    writer_->SetPort(service_->port());
    request_.map_path = writer_->path();
    request_.server_address = "127.0.0.1";
    request_.server_uid = geteuid();  // the listener above is this process's
    // The listener is in this network namespace: rpcbind is never asked.
    request_.rpcbind_port = ClosedPort();
  }

  // Claimed (non-free) hello slots, as a tool would see them.
  size_t LiveSlots() {
    std::vector<HelloSlotView> slots;
    EXPECT_TRUE(ReadHelloSlots(writer_->hello_path(), request_.server_uid, &slots).ok());
    return slots.size();
  }

  harness::TempDir dir_ = test::MapTempDir();
  std::unique_ptr<MapWriter> writer_;
  std::unique_ptr<rpc::LocalioService> service_;
  std::atomic<bool> confirm_{true};
  HandshakeRequest request_;
};

TEST_F(HandshakeTest, AConfirmingServerOnTheMapsPortIsLocal) {
  Session s;
  const Status st = Handshake(request_, &s);
  ASSERT_TRUE(st.ok()) << st.message;
  EXPECT_EQ(s.instance, writer_->instance_id());
  EXPECT_EQ(s.port, service_->port());
  ASSERT_NE(s.map, nullptr);
  ASSERT_NE(s.hello, nullptr);
  EXPECT_EQ(LiveSlots(), 1u) << "the session keeps its slot";
  s.hello.reset();
  EXPECT_EQ(LiveSlots(), 0u) << "ending the session frees the slot";
}

TEST_F(HandshakeTest, AMapOfTheServerOnAnotherNfsPortIsRefusedAtOnceWhenNoMismatchIsAllowed) {
  writer_->SetPort(service_->port(), 2049);
  request_.server_nfs_port = 20490;  // this mount talks to another server
  request_.allow_port_mismatch = false;
  Session s;
  const Status st = Handshake(request_, &s);
  EXPECT_EQ(st.code, -EXDEV);
  EXPECT_NE(st.message.find("NFS port 2049"), std::string::npos) << st.message;
  EXPECT_EQ(LiveSlots(), 0u) << "refused before claiming a slot";
}

// Through a port forward the mount's port is not the map's: the handshake
// then goes through the mount's NFS port, to an export root the map
// publishes. A map without one cannot be tried that way, and says so.
TEST_F(HandshakeTest, AMapOfAnotherNfsPortWithoutAnExportRootIsNotLocalAndSaysWhy) {
  writer_->SetPort(service_->port(), 2049);
  request_.server_nfs_port = 20490;
  Session s;
  const Status st = Handshake(request_, &s);
  EXPECT_EQ(st.code, -ENOENT);
  EXPECT_NE(st.message.find("publishes no export root"), std::string::npos) << st.message;
  EXPECT_EQ(LiveSlots(), 0u) << "the slot is freed";
}

TEST_F(HandshakeTest, AMapOfTheMountsNfsPortUsesItsOwnListener) {
  writer_->SetPort(service_->port(), 2049);
  request_.server_nfs_port = 2049;
  request_.rpcbind_port = 111;  // whatever rpcbind says is not asked for
  Session s;
  const Status st = Handshake(request_, &s);
  ASSERT_TRUE(st.ok()) << st.message;
  EXPECT_EQ(s.port, service_->port());
}

TEST_F(HandshakeTest, AListenerNotOfTheServersUidIsNotLocal) {
  // The shared files are that uid's (so they are trusted), the listener is not.
  request_.server_uid = geteuid() + 1;
  for (const std::string& file : {writer_->path(), writer_->hello_path()})
    ASSERT_EQ(chown(file.c_str(), request_.server_uid, static_cast<gid_t>(-1)), 0) << file;
  Session s;
  const Status st = Handshake(request_, &s);
  EXPECT_EQ(st.code, -EPERM);
  EXPECT_NE(st.message.find("the LOCALIO listener at 127.0.0.1:" +
                            std::to_string(service_->port()) + " is held by uid " +
                            std::to_string(geteuid()) +
                            ", not by the server's uid " + std::to_string(geteuid() + 1) +
                            " (server_uid, LOCALIO_SERVER_UID)"),
            std::string::npos)
      << st.message;
  EXPECT_EQ(service_->counters().uuid_is_local_calls, 0u) << "the nonce went out";
  EXPECT_EQ(LiveSlots(), 0u);
}

// Whether a process of the hostile uid can unshare a user namespace here.
bool OtherUidMayMakeAUserNamespace() {
  const pid_t pid = fork();
  if (pid == 0) {
    const uid_t uid = harness::HostilePeer::kUid;
    _exit(setresgid(uid, uid, uid) == 0 && setresuid(uid, uid, uid) == 0 &&
                  unshare(CLONE_NEWUSER) == 0
              ? 0
              : 1);
  }
  int status = 0;
  return pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
         WEXITSTATUS(status) == 0;
}

class HostileListenerTest : public HandshakeTest {
 protected:
  void SetUp() override {
    if (geteuid() != 0)
      GTEST_SKIP() << "needs root to run a listener as uid " << harness::HostilePeer::kUid;
    HandshakeTest::SetUp();
  }
  // The sentence the client gives for a listener of uid 1001 at `port`.
  std::string Refusal(uint16_t port) const {
    return "not local: the LOCALIO listener at 127.0.0.1:" + std::to_string(port) +
           " is held by uid 1001, not by the server's uid 0 (server_uid, LOCALIO_SERVER_UID)";
  }
};

// A map naming another uid's listener (the map's own trust is checked
// apart): refused before the nonce is sent.
TEST_F(HostileListenerTest, AListenerOfAnotherUidOnTheMapsPortIsRefusedAndGetsNoNonce) {
  harness::HostilePeer hostile;
  const Status started = hostile.Listen({});
  ASSERT_TRUE(started.ok()) << started.message;
  writer_->SetPort(hostile.port());
  Session s;
  const Status st = Handshake(request_, &s);
  EXPECT_EQ(st.code, -EPERM);
  EXPECT_EQ(st.message, Refusal(hostile.port()));
  EXPECT_EQ(LiveSlots(), 0u);
  EXPECT_EQ(harness::HostilePeer::Field(hostile.Stop(), "uuid_is_local"), 0);
}

// The server's listener stopped (the map still names its port) and uid
// 1001 bound that port.
TEST_F(HostileListenerTest, AListenerOfAnotherUidOnTheStoppedServersPortIsRefused) {
  const uint16_t port = service_->port();
  service_->Stop();
  harness::HostilePeer hostile;
  const Status started = hostile.Listen({"--port", std::to_string(port)});
  ASSERT_TRUE(started.ok()) << started.message;
  ASSERT_EQ(hostile.port(), port);
  Session s;
  const Status st = Handshake(request_, &s);
  EXPECT_EQ(st.code, -EPERM);
  EXPECT_EQ(st.message, Refusal(port));
  EXPECT_EQ(harness::HostilePeer::Field(hostile.Stop(), "uuid_is_local"), 0);
}

// After the handshake, the session's connection (WROTE's) is reused while
// it stays open; once the server's listener is gone and uid 1001 took its
// port, a new connection is refused before anything is sent on it.
TEST_F(HostileListenerTest, ASessionsNewConnectionIsProvenBeforeWroteGoesOverIt) {
  Session s;
  const Status ok = Handshake(request_, &s);
  ASSERT_TRUE(ok.ok()) << ok.message;
  rpc::RpcConnection* first = nullptr;
  ASSERT_TRUE(ProvenConnection(&s, &first).ok());
  rpc::RpcConnection* again = nullptr;
  ASSERT_TRUE(ProvenConnection(&s, &again).ok());
  EXPECT_EQ(again, first);
  EXPECT_EQ(again->fd(), first->fd()) << "an open connection is kept";

  const uint16_t port = service_->port();
  service_->Stop();  // closes the session's connection too
  harness::HostilePeer hostile;
  const Status started = hostile.Listen({"--port", std::to_string(port)});
  ASSERT_TRUE(started.ok()) << started.message;
  first->Close();
  rpc::RpcConnection* taken = nullptr;
  const Status st = ProvenConnection(&s, &taken);
  EXPECT_EQ(st.code, -EPERM);
  EXPECT_EQ("not local: " + st.message, Refusal(port));
  EXPECT_FALSE(s.connection->connected());
  EXPECT_EQ(harness::HostilePeer::Field(hostile.Stop(), "calls"), 0);
}

// Root of a user namespace of its own is still uid 1001 to the kernel, and
// to a client outside that namespace.
TEST_F(HostileListenerTest, AListenerOfAnotherUidAsRootOfItsOwnUserNamespaceIsRefused) {
  if (!OtherUidMayMakeAUserNamespace())
    GTEST_SKIP() << "uid 1001 may not make a user namespace here (a chroot, or disabled)";
  harness::HostilePeer hostile;
  const Status started = hostile.Listen({}, /*as_root_of_own_user_namespace=*/true);
  ASSERT_TRUE(started.ok()) << started.message;
  writer_->SetPort(hostile.port());
  Session s;
  const Status st = Handshake(request_, &s);
  EXPECT_EQ(st.code, -EPERM);
  EXPECT_EQ(st.message, Refusal(hostile.port()));
  EXPECT_EQ(harness::HostilePeer::Field(hostile.Stop(), "uuid_is_local"), 0);
}

TEST_F(HandshakeTest, AServerThatDoesNotConfirmIsNotLocalAndTheSlotIsFreed) {
  confirm_ = false;
  Session s;
  const Status st = Handshake(request_, &s);
  EXPECT_EQ(st.code, -EREMOTE);
  EXPECT_NE(st.message.find("did not confirm"), std::string::npos) << st.message;
  EXPECT_EQ(LiveSlots(), 0u);
}

// "At once" is checked against a probe timeout far longer than the bound,
// so the check proves no timeout was waited for, not how fast this host is.
TEST_F(HandshakeTest, AMissingMapFailsAtOnce) {
  request_.map_path = dir_.Path("no-such-map");
  request_.timeout = milliseconds(20000);
  Session s;
  const auto start = steady_clock::now();
  const Status st = Handshake(request_, &s);
  EXPECT_LT(st.code, 0);
  EXPECT_NE(st.message.find("no-such-map"), std::string::npos) << st.message;
  EXPECT_LT(steady_clock::now() - start, milliseconds(10000));
}

TEST_F(HandshakeTest, NothingListeningOnThePortFailsWithoutWaitingForTheTimeout) {
  writer_->SetPort(ClosedPort());
  request_.timeout = milliseconds(20000);
  Session s;
  const auto start = steady_clock::now();
  const Status st = Handshake(request_, &s);
  EXPECT_EQ(st.code, -EREMOTE) << st.message;
  EXPECT_LT(steady_clock::now() - start, milliseconds(10000));
  EXPECT_EQ(LiveSlots(), 0u);
}

TEST_F(HandshakeTest, ADeadMapIsNotLocal) {
  writer_->MarkDead();
  Session s;
  const Status st = Handshake(request_, &s);
  EXPECT_EQ(st.code, -ESHUTDOWN);
  EXPECT_NE(st.message.find("stopped"), std::string::npos) << st.message;
}

TEST_F(HandshakeTest, ANonMapFileIsNotLocal) {
  ASSERT_TRUE(harness::WriteFile(dir_.Path("garbage"), std::string(4096, '\x5a')));
  request_.map_path = dir_.Path("garbage");
  Session s;
  const Status st = Handshake(request_, &s);
  EXPECT_LT(st.code, 0);
  EXPECT_NE(st.message.find("not usable"), std::string::npos) << st.message;
}

// A neighbour's files at the map's path: its listener would confirm, but
// the client never gets that far (the squatting of issue 22; the files are
// given to uid 1001 with chown, as the tests run as root).
TEST_F(HandshakeTest, AMapOfAnotherUidIsNotLocalEvenWhenItsListenerWouldConfirm) {
  ASSERT_EQ(chown(writer_->path().c_str(), 1001, static_cast<gid_t>(-1)), 0);
  Session s;
  const Status st = Handshake(request_, &s);
  EXPECT_EQ(st.code, kNotTrusted);
  EXPECT_EQ(st.message, "map " + writer_->path() +
                            " is owned by uid 1001, not by the server's uid 0 "
                            "(LOCALIO_SERVER_UID): not trusted");
  EXPECT_EQ(LiveSlots(), 0u) << "refused before claiming a slot";
}

TEST_F(HandshakeTest, AHelloFileOfAnotherUidIsNotLocal) {
  ASSERT_EQ(chown(writer_->hello_path().c_str(), 1001, static_cast<gid_t>(-1)), 0);
  Session s;
  const Status st = Handshake(request_, &s);
  EXPECT_EQ(st.code, kNotTrusted);
  EXPECT_NE(st.message.find("hello file " + writer_->hello_path() + " is owned by uid 1001"),
            std::string::npos)
      << st.message;
}

TEST_F(HandshakeTest, TheRequestsServerUidIsTheOneTrusted) {
  request_.server_uid = 1001;  // this map is root's, not that server's
  Session s;
  const Status st = Handshake(request_, &s);
  EXPECT_EQ(st.code, kNotTrusted);
  EXPECT_NE(st.message.find("is owned by uid 0, not by the server's uid 1001"), std::string::npos)
      << st.message;
}

// Many contexts in one process, each session holding two mappings (the map
// and the hello file), when a client truncates both files: every session
// reads zeros (a dead map, a lost slot) and the process lives. A fixed
// table of guarded mappings ran out at 33 sessions.
TEST_F(HandshakeTest, HundredsOfSessionsSurviveTruncatedFiles) {
  constexpr int kSessions = 200;
  std::vector<Session> sessions(kSessions);
  for (Session& s : sessions) {
    const Status st = Handshake(request_, &s);
    ASSERT_TRUE(st.ok()) << st.message;
  }
  ASSERT_EQ(truncate(writer_->hello_path().c_str(), 0), 0);
  ASSERT_EQ(truncate(writer_->path().c_str(), 0), 0);
  for (Session& s : sessions) {
    InstanceId instance;
    EXPECT_EQ(s.hello->ReadConfirmation(&instance), -ESTALE);
    EXPECT_FALSE(s.map->Alive());
  }
}

TEST(PeerAddress, NamesTheIpv4PeerOfAConnectedSocket) {
  const int listener = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  ASSERT_EQ(bind(listener, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  ASSERT_EQ(listen(listener, 1), 0);
  ASSERT_EQ(getsockname(listener, reinterpret_cast<sockaddr*>(&a), &len), 0);
  const int client = socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_EQ(connect(client, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  std::string peer;
  EXPECT_TRUE(PeerAddressOf(client, &peer).ok());
  EXPECT_EQ(peer, "127.0.0.1");
  EXPECT_EQ(PeerAddressOf(-1, &peer).code, -ENOTCONN);
  EXPECT_EQ(PeerAddressOf(listener, &peer).code, -ENOTCONN);
  close(client);
  close(listener);
}

}  // namespace
}  // namespace localio::client
