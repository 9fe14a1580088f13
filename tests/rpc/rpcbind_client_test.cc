// SPDX-License-Identifier: LGPL-3.0-or-later
// Against the real rpcbind, over its local socket and over TCP to
// 127.0.0.1:111 (label integration; run inside /work/tools/isolated or
// start `rpcbind -f -w` as root). What it checks is what the LOCALIO trust
// rests on: rpcbind records the uid of whoever sets a mapping over its local
// socket ("superuser" for root), "unknown" over TCP, and lets only that
// owner or root unset it.
#include "localio/rpcbind_client.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <optional>
#include <sstream>
#include <string>

#include "harness/rpcbind.h"
#include "localio/localio_service.h"

namespace localio::rpc {
namespace {

constexpr uid_t kOtherUid = 1001;

// A program number in the transient range 0x40000000-0x5fffffff, distinct
// per test process so parallel runs do not collide.
uint32_t TestProgram() { return 0x4c000000u + (static_cast<uint32_t>(getpid()) & 0xffffu); }

RpcbindOptions OverTcp() { return {.address = "127.0.0.1"}; }

// The mapping of prog/vers/netid in rpcbind's DUMP, if any.
std::optional<RpcbMapping> Find(uint32_t prog, const std::string& netid) {
  std::vector<RpcbMapping> all;
  const Status st = RpcbindClient().Dump(&all);
  EXPECT_TRUE(st.ok()) << st.message;
  for (const RpcbMapping& m : all)
    if (m.prog == prog && m.vers == 1 && m.netid == netid) return m;
  return std::nullopt;
}

// True when `rpcinfo -p 127.0.0.1` lists prog/vers over TCP on `port`.
bool RpcinfoLists(uint32_t prog, uint32_t vers, uint16_t port) {
  FILE* pipe = popen("rpcinfo -p 127.0.0.1 2>&1", "r");
  if (!pipe) return false;
  char line[512];
  bool found = false;
  while (fgets(line, sizeof line, pipe)) {
    std::istringstream fields(line);
    uint64_t p = 0, v = 0, listed_port = 0;
    std::string proto;
    if (fields >> p >> v >> proto >> listed_port && p == prog && v == vers &&
        proto == "tcp" && listed_port == port)
      found = true;
  }
  pclose(pipe);
  return found;
}

// Runs `body` (returning an exit status) in a child of uid 1001; its exit
// status, or -1.
template <class Body>
int AsOtherUid(Body body) {
  const pid_t pid = fork();
  if (pid == 0) {
    if (setresgid(kOtherUid, kOtherUid, kOtherUid) != 0 ||
        setresuid(kOtherUid, kOtherUid, kOtherUid) != 0)
      _exit(100);
    _exit(body());
  }
  int status = 0;
  if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status)) return -1;
  return WEXITSTATUS(status);
}

class RpcbindClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::vector<RpcbMapping> all;
    const Status status = RpcbindClient().Dump(&all);
    ASSERT_TRUE(status.ok()) << status.message
                             << " (is rpcbind running? start `rpcbind -f -w` as root)";
    ASSERT_TRUE(std::any_of(all.begin(), all.end(),
                            [](const RpcbMapping& m) { return m.prog == kRpcbindProgram; }))
        << "rpcbind lists itself";
    bool done = false;
    RpcbindClient().Unset(prog_, 1, "", &done);  // leftovers of a crashed earlier run
  }
  void TearDown() override {
    bool done = false;
    RpcbindClient().Unset(prog_, 1, "", &done);
  }

  const uint32_t prog_ = TestProgram();
  const uint16_t port_ = static_cast<uint16_t>(40000 + getpid() % 20000);
};

TEST_F(RpcbindClientTest, SetOverTheLocalSocketIsOwnedBySuperuserListedAndUnset) {
  if (geteuid() != 0) GTEST_SKIP() << "the owner rpcbind records is this uid's, not root's";
  const RpcbindClient rpcbind;
  bool done = false;
  ASSERT_TRUE(rpcbind.Set(prog_, 1, "tcp", UniversalAddress("0.0.0.0", port_), &done).ok());
  EXPECT_TRUE(done);
  const std::optional<RpcbMapping> m = Find(prog_, "tcp");
  ASSERT_TRUE(m);
  // "unknown" where rpcbind's libtirpc cannot read its callers'
  // credentials (harness::RpcbindRecordedOwner says which).
  EXPECT_EQ(m->owner, harness::RpcbindRecordsOwners() ? "superuser" : kRpcbindUnknownOwner);
  EXPECT_EQ(m->addr, UniversalAddress("0.0.0.0", port_));
  EXPECT_TRUE(RpcinfoLists(prog_, 1, port_));

  // SET of a registered program/version/netid is refused, not overwritten.
  ASSERT_TRUE(rpcbind.Set(prog_, 1, "tcp", UniversalAddress("0.0.0.0", port_ + 1), &done).ok());
  EXPECT_FALSE(done);

  ASSERT_TRUE(rpcbind.Unset(prog_, 1, "tcp", &done).ok());
  EXPECT_TRUE(done);
  EXPECT_FALSE(Find(prog_, "tcp"));
  EXPECT_FALSE(RpcinfoLists(prog_, 1, port_));
}

TEST_F(RpcbindClientTest, SetOverTcpHasNoKnownOwnerAndAnyoneOverTcpMayUnsetIt) {
  bool done = false;
  ASSERT_TRUE(
      RpcbindClient(OverTcp()).Set(prog_, 1, "tcp6", UniversalAddress("::", port_), &done).ok());
  ASSERT_TRUE(done);
  const std::optional<RpcbMapping> m = Find(prog_, "tcp6");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->owner, kRpcbindUnknownOwner);
  uint16_t port = 0;
  EXPECT_TRUE(PortOfUniversalAddress(m->addr, &port));
  EXPECT_EQ(port, port_);
  if (geteuid() != 0) return;
  // Which is why the LOCALIO server does not register over TCP.
  EXPECT_EQ(AsOtherUid([&] {
              bool unset = false;
              return RpcbindClient(OverTcp()).Unset(prog_, 1, "", &unset).ok() && unset ? 0 : 1;
            }),
            0);
  EXPECT_FALSE(Find(prog_, "tcp6")) << "uid " << kOtherUid << " removed it";
}

TEST_F(RpcbindClientTest, AnotherUidOwnsWhatItSetsAndCannotUnsetRootsMapping) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root to run a child as uid " << kOtherUid;
  bool done = false;
  ASSERT_TRUE(RpcbindClient().Set(prog_, 1, "tcp", UniversalAddress("0.0.0.0", port_), &done).ok());
  ASSERT_TRUE(done);
  if (!harness::RpcbindRecordsOwners()) {
    // An rpcbind that knows no owner lets anyone unset anything: why the
    // LOCALIO server logs it and clients in another network namespace do
    // not trust its registrations.
    EXPECT_EQ(AsOtherUid([&] {
                bool unset = false;
                return RpcbindClient().Unset(prog_, 1, "", &unset).ok() && unset ? 0 : 1;
              }),
              0);
    EXPECT_FALSE(Find(prog_, "tcp"));
    return;
  }
  // 1: the call failed; 2: rpcbind said yes. Over either transport.
  for (const RpcbindOptions& how : {RpcbindOptions{}, OverTcp()}) {
    EXPECT_EQ(AsOtherUid([&] {
                bool unset = true;
                if (!RpcbindClient(how).Unset(prog_, 1, "", &unset).ok()) return 1;
                return unset ? 2 : 0;
              }),
              0)
        << how.address;
    const std::optional<RpcbMapping> m = Find(prog_, "tcp");
    ASSERT_TRUE(m) << "uid " << kOtherUid << " removed root's mapping over " << how.address;
    EXPECT_EQ(m->owner, "superuser");
  }

  ASSERT_TRUE(RpcbindClient().Unset(prog_, 1, "", &done).ok());
  ASSERT_EQ(AsOtherUid([&] {
              bool set = false;
              return RpcbindClient().Set(prog_, 1, "tcp", UniversalAddress("0.0.0.0", port_), &set)
                             .ok() && set ? 0 : 1;
            }),
            0);
  const std::optional<RpcbMapping> m = Find(prog_, "tcp");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->owner, std::to_string(kOtherUid));
  // Root removes anyone's.
  ASSERT_TRUE(RpcbindClient().Unset(prog_, 1, "", &done).ok());
  EXPECT_TRUE(done);
  EXPECT_FALSE(Find(prog_, "tcp"));
}

TEST(RpcbindClient, NoRpcbindThereIsANamedError) {
  std::vector<RpcbMapping> all;
  Status status = RpcbindClient({.address = "/nonexistent/rpcbind.sock"}).Dump(&all);
  EXPECT_EQ(status.code, -ENOENT);
  EXPECT_NE(status.message.find("rpcbind"), std::string::npos) << status.message;
  EXPECT_NE(status.message.find("/nonexistent/rpcbind.sock"), std::string::npos) << status.message;

  uint16_t unused = 0;
  {
    LocalioService service({}, nullptr);
    ASSERT_TRUE(service.Start().ok());
    unused = service.port();
  }
  status = RpcbindClient({.address = "127.0.0.1", .port = unused}).Dump(&all);
  EXPECT_EQ(status.code, -ECONNREFUSED);
  EXPECT_NE(status.message.find("rpcbind"), std::string::npos) << status.message;
}

}  // namespace
}  // namespace localio::rpc
