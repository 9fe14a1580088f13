// SPDX-License-Identifier: LGPL-3.0-or-later
// The LOCALIO server's rpcbind registration against the real rpcbind, in a
// network and mount namespace of this program's own (loopback only, a
// tmpfs on /run for rpcbind's sockets), with hostile processes of uid 1001
// (harness/hostile_peer.h):
//   - the server registers over rpcbind's local socket, so rpcbind records
//     it as "superuser"; a SET refused at start because rpcbind was not
//     listening yet is made by the heartbeat thread once it listens; only
//     its own mapping is removed at stop;
//   - a squatter's registration (uid 1001, over the local socket or over
//     TCP) is removed and replaced, at start and by the heartbeat's check,
//     with a log line naming the squatter's owner and port;
//   - a client in another network namespace (a veth pair of this test's),
//     which cannot see the listener's socket, trusts the LOCALIO port only
//     from a registration by the server's uid (client_plugin/handshake.cc).
// Needs root (namespaces, setpriv); skipped without it. Label: integration.
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "harness/clock.h"
#include "harness/hostile_peer.h"
#include "harness/process.h"
#include "harness/rpcbind.h"
#include "harness/wait.h"
#include "localio/localio_proto.h"
#include "localio/map_reader.h"
#include "localio/rpcbind_client.h"
#include "localio/unique_fd.h"
#include "localio_server.h"
#include "localio_server_log.h"

namespace localio {
namespace {

using harness::HostilePeer;
using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr char kMapDir[] = "/run/localio-rpcbind-test";
constexpr char kRpcbind[] = "/usr/sbin/rpcbind";
// The veth pair of the other-namespace client: this side, the client's.
constexpr char kServerSide[] = "10.231.7.1";
constexpr char kClientSide[] = "10.231.7.2";

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

// rpcbind's mappings of LOCALIO, or nothing when rpcbind does not answer.
std::optional<std::vector<rpc::RpcbMapping>> LocalioMappings() {
  std::vector<rpc::RpcbMapping> all;
  if (!rpc::RpcbindClient().Dump(&all).ok()) return std::nullopt;
  std::vector<rpc::RpcbMapping> mine;
  for (const rpc::RpcbMapping& m : all)
    if (m.prog == rpc::kLocalioProgram && m.vers == rpc::kLocalioVersion) mine.push_back(m);
  return mine;
}

// "tcp port 40123 by superuser, ..." for assertion messages.
std::string Describe(const std::vector<rpc::RpcbMapping>& mappings) {
  std::string text;
  for (const rpc::RpcbMapping& m : mappings) {
    uint16_t port = 0;
    rpc::PortOfUniversalAddress(m.addr, &port);
    text += (text.empty() ? "" : ", ") + m.netid + " port " + std::to_string(port) + " by " +
            m.owner;
  }
  return text.empty() ? "none" : text;
}

// True when rpcbind maps LOCALIO exactly to `port` on tcp, owned by `owner`.
bool OnlyMapping(uint16_t port, const std::string& owner) {
  const auto mappings = LocalioMappings();
  if (!mappings || mappings->size() != 1) return false;
  const rpc::RpcbMapping& m = mappings->front();
  uint16_t mapped = 0;
  return m.netid == "tcp" && rpc::PortOfUniversalAddress(m.addr, &mapped) && mapped == port &&
         m.owner == owner;
}


// The server's log lines, through its sink.
std::mutex g_log_mu;
std::vector<std::string> g_log;
void Sink(int, const char* message) {
  std::lock_guard lock(g_log_mu);
  g_log.emplace_back(message);
}
// The logged line holding every one of `parts`, or "".
std::string LoggedLine(const std::vector<std::string>& parts) {
  std::lock_guard lock(g_log_mu);
  for (const std::string& line : g_log)
    if (std::all_of(parts.begin(), parts.end(),
                    [&](const std::string& p) { return line.find(p) != std::string::npos; }))
      return line;
  return "";
}
std::string Log() {
  std::lock_guard lock(g_log_mu);
  std::string text;
  for (const std::string& line : g_log) text += line + "\n";
  return text;
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
    {
      std::lock_guard lock(g_log_mu);
      g_log.clear();
    }
    localio_server_set_log_sink(Sink);
  }
  void TearDown() override {
    localio_server_stop();
    localio_server_set_log_sink(nullptr);
    rpcbind_.Terminate(milliseconds(2000));
  }

  // rpcbind without warm start, so no test sees another's mappings; once
  // it answers.
  void StartRpcbind() {
    ASSERT_TRUE(rpcbind_.Spawn({kRpcbind, "-f"}, std::string(kMapDir) + "/rpcbind.out").ok());
    ASSERT_TRUE(harness::WaitUntil([] { return LocalioMappings().has_value(); }, seconds(10),
                                   milliseconds(20))) << "rpcbind (pid " << rpcbind_.pid() << ") never answered";
    root_owner_ = harness::RpcbindRecordedOwner();
  }

  // Squatters are told apart by the owner rpcbind records: nothing to test
  // where it records none.
  // "" where it does, else why the test has nothing to check.
  std::string WithoutOwners() const {
    if (harness::RpcbindRecordsOwners()) return "";
    return "this rpcbind records owner \"" + root_owner_ +
           "\" for every local SET (its libtirpc cannot read callers' credentials): a squatter "
           "cannot be told from the server; OtherNamespaceClient checks that such registrations "
           "are not trusted";
  }

  // Starts the server with its listener on `bind_addr`; its port.
  int StartServer(const char* bind_addr = "127.0.0.1", bool register_rpcbind = true) {
    map_path_ = std::string(kMapDir) + "/map";
    localio_server_params p{};
    p.map_path = map_path_.c_str();
    p.map_mode = 0640;
    p.map_gid = -1;
    p.max_entries = 1024;
    p.bind_addr = bind_addr;
    p.register_rpcbind = register_rpcbind;
    p.fh_format = localio_fh_format_ganesha();
    char err[256] = "";
    EXPECT_EQ(localio_server_start_on_clock(&p, clock_, err, sizeof err), 0) << err;
    const Status st = MapReader::Open(map_path_, LOCALIO_DEFAULT_SERVER_UID, &map_);
    EXPECT_TRUE(st.ok()) << st.message;
    return localio_server_port();
  }

  // Moves the server's clock through one rpcbind check period, beat by
  // beat (each seen in the map), then waits for `seen` (the check itself
  // talks to rpcbind, after the beat's stamp). True when it came.
  template <typename Pred>
  bool AfterRpcbindCheck(Pred seen) {
    for (unsigned beat = 0; beat < LOCALIO_RPCBIND_CHECK_BEATS; ++beat) {
      clock_.Advance(LOCALIO_HEARTBEAT_PERIOD_MS);
      if (!map_ || !harness::WaitUntil([&] { return map_->HeartbeatMs() == clock_.NowMs(); },
                                       seconds(10), milliseconds(1)))
        return false;
    }
    return harness::WaitUntil(seen, seconds(10), milliseconds(20));
  }

  // A client handshake in this namespace: "local port=P\n" or "not local...".
  std::string ProbeHere() {
    harness::CommandResult probe;
    harness::RunCommand({LOCALIO_HANDSHAKE_PROBE, map_path_, "127.0.0.1", "0"}, seconds(30),
                        &probe);
    return probe.out;
  }

  static std::string skip_;
  // The server's clock (it must outlive the server, which TearDown stops).
  harness::ManualClock clock_;
  std::unique_ptr<MapReader> map_;  // the server's map, from StartServer
  std::string root_owner_ = "superuser";  // what rpcbind records for this root process
  harness::ChildProcess rpcbind_;
  std::string map_path_;
};
std::string RpcbindRegistration::skip_;

TEST_F(RpcbindRegistration, ASetRefusedAtStartIsMadeOnceRpcbindListensAndUndoneAtStop) {
  ASSERT_FALSE(LocalioMappings()) << "an rpcbind answers in a namespace this test just made";
  const int ours = StartServer();
  ASSERT_GT(ours, 0);
  StartRpcbind();
  EXPECT_TRUE(AfterRpcbindCheck([&] { return OnlyMapping(ours, root_owner_); }))
      << "rpcbind (pid " << rpcbind_.pid() << ") has " << Describe(*LocalioMappings());
  localio_server_stop();
  EXPECT_EQ(Describe(*LocalioMappings()), "none") << "the mapping outlived the server";
}

// A squatter took program 400122 while no server ran (over rpcbind's
// local socket: owner "1001"; over TCP: owner "unknown"), pointing at a
// listener of its own. The server starting as root removes it, registers
// itself, and says so.
class SquatterBeforeStart : public RpcbindRegistration,
                            public ::testing::WithParamInterface<const char*> {};

TEST_P(SquatterBeforeStart, IsRemovedAndReplacedWithALogLineNamingIt) {
  const std::string transport = GetParam();
  StartRpcbind();
  if (const std::string why = WithoutOwners(); !why.empty()) GTEST_SKIP() << why;
  HostilePeer squatter;
  ASSERT_TRUE(squatter.Listen({"--register", transport}).ok());
  ASSERT_TRUE(squatter.registered());
  const std::string owner = transport == "local" ? std::to_string(HostilePeer::kUid) : "unknown";
  ASSERT_TRUE(OnlyMapping(squatter.port(), owner)) << Describe(*LocalioMappings());

  const int ours = StartServer();
  EXPECT_TRUE(OnlyMapping(ours, root_owner_)) << Describe(*LocalioMappings());
  EXPECT_NE(LoggedLine({"owner \"" + owner + "\"", "port " + std::to_string(squatter.port()),
                        "removed it"}),
            "")
      << Log();
  // A client handshakes with the server, and never sends the squatter its
  // nonce.
  EXPECT_EQ(ProbeHere(), "local port=" + std::to_string(ours) + "\n");
  EXPECT_EQ(HostilePeer::Field(squatter.Stop(), "uuid_is_local"), 0);
}

INSTANTIATE_TEST_SUITE_P(OverEachTransport, SquatterBeforeStart,
                         ::testing::Values("local", "tcp"));

// A squatter registers the program on another netid (tcp6: the server
// holds tcp) while the server runs; the heartbeat's check removes it.
TEST_F(RpcbindRegistration, ASquatterWhileRunningIsRemovedAtTheNextCheck) {
  StartRpcbind();
  if (const std::string why = WithoutOwners(); !why.empty()) GTEST_SKIP() << why;
  const int ours = StartServer();
  ASSERT_TRUE(OnlyMapping(ours, root_owner_)) << Describe(*LocalioMappings());
  HostilePeer squatter;
  ASSERT_TRUE(squatter.Listen({"--register", "local", "--netid", "tcp6"}).ok());
  ASSERT_TRUE(squatter.registered());

  EXPECT_TRUE(AfterRpcbindCheck([&] { return OnlyMapping(ours, root_owner_); }))
      << Describe(*LocalioMappings()) << "\n" << Log();
  EXPECT_NE(LoggedLine({"owner \"1001\"", "port " + std::to_string(squatter.port()), "removed it"}),
            "")
      << Log();
  EXPECT_EQ(ProbeHere(), "local port=" + std::to_string(ours) + "\n");
  EXPECT_EQ(HostilePeer::Field(squatter.Stop(), "uuid_is_local"), 0);
}

// A mapping this uid made at another port is another server's: the check
// leaves it, and the server's stop removes only its own.
TEST_F(RpcbindRegistration, AnotherServerOfThisUidIsLeftAloneAndStopRemovesOnlyOurs) {
  StartRpcbind();
  const int ours = StartServer();
  ASSERT_TRUE(OnlyMapping(ours, root_owner_));
  const uint16_t other = ours == 1 ? 2 : 1;
  const rpc::RpcbindClient rpcbind;
  bool done = false;
  ASSERT_TRUE(rpcbind.Unset(rpc::kLocalioProgram, rpc::kLocalioVersion, "tcp", &done).ok());
  ASSERT_TRUE(rpcbind.Set(rpc::kLocalioProgram, rpc::kLocalioVersion, "tcp",
                          rpc::UniversalAddress("0.0.0.0", other), &done)
                  .ok());
  ASSERT_TRUE(done);
  EXPECT_TRUE(AfterRpcbindCheck([&] {
    return LoggedLine({"port " + std::to_string(other), "another server's of this uid"}) != "";
  })) << Log();
  localio_server_stop();
  EXPECT_TRUE(OnlyMapping(other, root_owner_)) << Describe(*LocalioMappings());
}

// A client whose network namespace is not the server's: it runs
// localio_handshake_probe through `unshare --net`, wired to this namespace
// by a veth pair (10.231.7.1 here, .2 there), and talks to the listener
// and to rpcbind at 10.231.7.1.
class OtherNamespaceClient : public RpcbindRegistration {
 protected:
  // "local port=P" or "not local (CODE): SENTENCE".
  std::string Probe() {
    const std::string setup =
        "for _ in $(seq 100); do ip link show lio-c >/dev/null 2>&1 && break; sleep 0.05; done\n"
        "ip link set lo up && ip addr add " + std::string(kClientSide) + "/24 dev lio-c &&\n"
        "ip link set lio-c up && exec \"$@\"\n";
    const std::string output = std::string(kMapDir) + "/probe.out";
    unlink(output.c_str());
    harness::ChildProcess client;
    Status s = client.Spawn({"unshare", "--net", "--", "/bin/sh", "-c", setup, "probe",
                             LOCALIO_HANDSHAKE_PROBE, map_path_, kServerSide, "0"},
                            output);
    if (!s.ok()) return s.message;
    // Once the client is in its own namespace, hand it its end of the pair.
    const std::string ours = NetNamespaceOf("self");
    harness::WaitUntil([&] { return NetNamespaceOf(std::to_string(client.pid())) != ours; },
                       seconds(10), milliseconds(5));
    harness::CommandResult ip;
    harness::RunCommand({"ip", "link", "add", "lio-s", "type", "veth", "peer", "name", "lio-c",
                         "netns", std::to_string(client.pid())},
                        seconds(10), &ip);
    if (!ip.Succeeded()) return "ip link add: " + ip.Describe();
    for (const std::vector<std::string>& cmd :
         {std::vector<std::string>{"ip", "addr", "add", std::string(kServerSide) + "/24", "dev",
                                   "lio-s"},
          std::vector<std::string>{"ip", "link", "set", "lio-s", "up"}}) {
      harness::RunCommand(cmd, seconds(10), &ip);
      if (!ip.Succeeded()) return cmd[1] + ": " + ip.Describe();
    }
    client.WaitExit(seconds(30));
    client.Terminate(milliseconds(100));
    harness::RunCommand({"ip", "link", "del", "lio-s"}, seconds(10), &ip);
    return harness::FileTail(output, 1);
  }

  static std::string NetNamespaceOf(const std::string& pid) {
    char target[128] = "";
    const std::string link = "/proc/" + pid + "/ns/net";
    const ssize_t n = readlink(link.c_str(), target, sizeof target - 1);
    return n > 0 ? std::string(target, static_cast<size_t>(n)) : "";
  }
};

TEST_F(OtherNamespaceClient, TrustsTheListenerOnlyFromARegistrationByTheServersUid) {
  StartRpcbind();
  // Registered by hand below: the server's own checks would race the probes.
  const int ours = StartServer("0.0.0.0", /*register_rpcbind=*/false);
  ASSERT_GT(ours, 0);
  const std::string port = std::to_string(ours);

  std::string probe = Probe();
  EXPECT_NE(probe.find("not local (-1): "), std::string::npos) << probe;
  EXPECT_NE(probe.find("is not in this network namespace"), std::string::npos) << probe;
  EXPECT_NE(probe.find("lists no registration of program 400122 at port " + port +
                       " by the server's uid 0"),
            std::string::npos)
      << probe;

  // uid 1001 registers the server's own port: still not the server's uid.
  {
    HostilePeer squatter;
    ASSERT_TRUE(squatter.Listen({"--register", "local", "--register-port", port}).ok());
    ASSERT_TRUE(squatter.registered());
    probe = Probe();
    EXPECT_NE(probe.find("not local (-1): "), std::string::npos) << probe;
    const std::string squatter_owner =
        harness::RpcbindRecordsOwners() ? std::to_string(HostilePeer::kUid) : root_owner_;
    EXPECT_NE(probe.find("it lists tcp port " + port + " by \"" + squatter_owner + "\""),
              std::string::npos)
        << probe;
    bool done = false;
    ASSERT_TRUE(
        rpc::RpcbindClient().Unset(rpc::kLocalioProgram, rpc::kLocalioVersion, "", &done).ok());
  }

  // Registered by root over the local socket, as the server does.
  bool done = false;
  ASSERT_TRUE(rpc::RpcbindClient()
                  .Set(rpc::kLocalioProgram, rpc::kLocalioVersion, "tcp",
                       rpc::UniversalAddress("0.0.0.0", static_cast<uint16_t>(ours)), &done)
                  .ok());
  ASSERT_TRUE(done);
  probe = Probe();
  if (harness::RpcbindRecordsOwners()) {
    EXPECT_EQ(probe, "local port=" + port + "\n");
  } else {
    // The same "unknown" as anyone's: not the server's uid.
    EXPECT_NE(probe.find("it lists tcp port " + port + " by \"unknown\""), std::string::npos)
        << probe;
  }
}

}  // namespace
}  // namespace localio
