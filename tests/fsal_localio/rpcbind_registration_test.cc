// SPDX-License-Identifier: LGPL-3.0-or-later
// The LOCALIO server's rpcbind registration against the real rpcbind, in a
// network and mount namespace of this program's own (loopback only, a
// tmpfs on /run for rpcbind's socket and lock): a SET refused at start
// because rpcbind was not listening yet is made by the heartbeat thread
// once it listens, and the mapping is removed at stop. Needs root (for the
// namespaces); skipped without it. Label: integration.
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "harness/process.h"
#include "localio/localio_proto.h"
#include "localio/portmap_client.h"
#include "localio/unique_fd.h"
#include "localio_server.h"

namespace localio {
namespace {

using std::chrono::milliseconds;
using std::chrono::steady_clock;

constexpr char kMapDir[] = "/run/localio-rpcbind-test";
constexpr char kRpcbind[] = "/usr/sbin/rpcbind";

// Into a network namespace with only `lo` (up) and a private mount
// namespace with an empty /run. "" or what failed.
std::string IsolateThisProcess() {
  if (unshare(CLONE_NEWNET | CLONE_NEWNS) != 0)
    return std::string("unshare(CLONE_NEWNET | CLONE_NEWNS): ") + std::strerror(errno);
  if (mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0)
    return std::string("making / private: ") + std::strerror(errno);
  if (mount("tmpfs", "/run", "tmpfs", 0, "mode=0755") != 0)
    return std::string("tmpfs on /run: ") + std::strerror(errno);
  const UniqueFd sock(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  ifreq ifr{};
  std::strncpy(ifr.ifr_name, "lo", IFNAMSIZ - 1);
  if (!sock.valid() || ioctl(sock.get(), SIOCGIFFLAGS, &ifr) != 0) return "reading lo's flags";
  ifr.ifr_flags = static_cast<short>(ifr.ifr_flags | IFF_UP);
  if (ioctl(sock.get(), SIOCSIFFLAGS, &ifr) != 0)
    return std::string("setting lo up: ") + std::strerror(errno);
  if (mkdir(kMapDir, 0755) != 0) return std::string("mkdir ") + kMapDir + ": " + std::strerror(errno);
  return "";
}

// GETPORT of LOCALIO, or -errno when rpcbind does not answer.
int LocalioPort() {
  uint16_t port = 0;
  const Status s = rpc::PortmapClient().GetPort(rpc::kLocalioProgram, rpc::kLocalioVersion, &port);
  return s.ok() ? port : s.code;
}

class RpcbindRegistration : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    // Before any thread exists: a mount namespace cannot be unshared by
    // one thread of several.
    if (geteuid() != 0) {
      skip_ = "needs root for its namespaces";
      return;
    }
    skip_ = IsolateThisProcess();
  }
  void SetUp() override {
    if (!skip_.empty()) GTEST_SKIP() << skip_;
    if (access(kRpcbind, X_OK) != 0) GTEST_SKIP() << kRpcbind << " is not installed";
  }
  void TearDown() override { localio_server_stop(); }

  static std::string skip_;
};
std::string RpcbindRegistration::skip_;

TEST_F(RpcbindRegistration, ASetRefusedAtStartIsMadeOnceRpcbindListensAndUndoneAtStop) {
  ASSERT_LT(LocalioPort(), 0) << "an rpcbind answers in a namespace this test just made";
  const std::string map_path = std::string(kMapDir) + "/map";
  localio_server_params p{};
  p.map_path = map_path.c_str();
  p.map_mode = 0640;
  p.map_gid = -1;
  p.max_entries = 1024;
  p.bind_addr = "127.0.0.1";
  p.register_rpcbind = true;
  p.fh_format = localio_fh_format_ganesha();
  char err[256] = "";
  ASSERT_EQ(localio_server_start(&p, err, sizeof err), 0) << err;
  const int ours = localio_server_port();
  ASSERT_GT(ours, 0);

  harness::ChildProcess rpcbind;
  ASSERT_TRUE(rpcbind.Spawn({kRpcbind, "-f", "-w"}, std::string(kMapDir) + "/rpcbind.out").ok());
  // The heartbeat thread checks every 5 beats (5 s).
  const auto deadline = steady_clock::now() + std::chrono::seconds(12);
  int seen = LocalioPort();
  while (seen != ours && steady_clock::now() < deadline) {
    std::this_thread::sleep_for(milliseconds(100));
    seen = LocalioPort();
  }
  EXPECT_EQ(seen, ours) << "rpcbind (pid " << rpcbind.pid() << ") never got program 400122";

  localio_server_stop();
  EXPECT_EQ(LocalioPort(), 0) << "the mapping outlived the server";
  rpcbind.Terminate(milliseconds(2000));
}

}  // namespace
}  // namespace localio
