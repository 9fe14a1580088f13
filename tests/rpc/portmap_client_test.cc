// SPDX-License-Identifier: LGPL-3.0-or-later
// Against the real rpcbind on 127.0.0.1:111 (label integration; start it
// with `rpcbind -f -w &` as root when `rpcinfo -p 127.0.0.1` fails).
#include "localio/portmap_client.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <sstream>
#include <string>

#include "localio/localio_caller.h"
#include "localio/localio_service.h"

namespace localio::rpc {
namespace {

// A program number in the transient range 0x40000000-0x5fffffff, distinct
// per test process so parallel runs do not collide.
uint32_t TestProgram() { return 0x4c000000u + (static_cast<uint32_t>(getpid()) & 0xffffu); }

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

class PortmapClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    uint16_t port = 0;
    const Status status = portmap_.GetPort(kPortmapProgram, kPortmapVersion, &port);
    ASSERT_TRUE(status.ok()) << status.message
                             << " (is rpcbind running? start `rpcbind -f -w` as root)";
    ASSERT_EQ(port, 111);  // rpcbind lists itself
  }

  PortmapClient portmap_;
};

TEST_F(PortmapClientTest, SetGetPortUnsetRoundTripIsSeenByRpcinfo) {
  const uint32_t prog = TestProgram();
  const uint16_t port = 40000 + static_cast<uint16_t>(getpid() % 20000);
  bool done = false;
  portmap_.Unset(prog, 1, &done);  // leftovers of a crashed earlier run

  ASSERT_TRUE(portmap_.Set(prog, 1, port, &done).ok());
  EXPECT_TRUE(done);
  uint16_t found = 0;
  ASSERT_TRUE(portmap_.GetPort(prog, 1, &found).ok());
  EXPECT_EQ(found, port);
  EXPECT_TRUE(RpcinfoLists(prog, 1, port));

  // SET of a registered program/version is refused, not overwritten.
  ASSERT_TRUE(portmap_.Set(prog, 1, port + 1, &done).ok());
  EXPECT_FALSE(done);

  ASSERT_TRUE(portmap_.Unset(prog, 1, &done).ok());
  EXPECT_TRUE(done);
  ASSERT_TRUE(portmap_.GetPort(prog, 1, &found).ok());
  EXPECT_EQ(found, 0);
  EXPECT_FALSE(RpcinfoLists(prog, 1, port));
}

TEST_F(PortmapClientTest, UnknownProgramHasPortZero) {
  uint16_t found = 1;
  ASSERT_TRUE(portmap_.GetPort(TestProgram() + 1, 7, &found).ok());
  EXPECT_EQ(found, 0);
}

TEST_F(PortmapClientTest, ClientFindsARegisteredLocalioServiceThroughRpcbind) {
  uint16_t existing = 0;
  ASSERT_TRUE(portmap_.GetPort(kLocalioProgram, kLocalioVersion, &existing).ok());
  if (existing != 0)
    GTEST_SKIP() << "a LOCALIO server is registered on this host (port " << existing
                 << "); not touching its registration";
  LocalioService service({}, nullptr);
  ASSERT_TRUE(service.Start().ok());
  Status status = RegisterWithRpcbind(service.port());
  ASSERT_TRUE(status.ok()) << status.message;
  EXPECT_TRUE(RpcinfoLists(kLocalioProgram, kLocalioVersion, service.port()));

  uint16_t port = 0;
  ASSERT_TRUE(portmap_.GetPort(kLocalioProgram, kLocalioVersion, &port).ok());
  EXPECT_EQ(port, service.port());
  EXPECT_TRUE(LocalioCaller().Null("127.0.0.1", port).ok());

  status = UnregisterFromRpcbind();
  EXPECT_TRUE(status.ok()) << status.message;
  ASSERT_TRUE(portmap_.GetPort(kLocalioProgram, kLocalioVersion, &port).ok());
  EXPECT_EQ(port, 0);
}

TEST(PortmapClient, NoRpcbindThereIsANamedError) {
  uint16_t unused = 0;
  {
    LocalioService service({}, nullptr);
    ASSERT_TRUE(service.Start().ok());
    unused = service.port();
  }
  PortmapOptions options;
  options.port = unused;
  uint16_t port = 0;
  const Status status = PortmapClient(options).GetPort(kLocalioProgram, 1, &port);
  EXPECT_EQ(status.code, -ECONNREFUSED);
  EXPECT_NE(status.message.find("rpcbind"), std::string::npos) << status.message;
}

}  // namespace
}  // namespace localio::rpc
