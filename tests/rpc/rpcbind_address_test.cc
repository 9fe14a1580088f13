// SPDX-License-Identifier: LGPL-3.0-or-later
// Universal addresses (RFC 1833) and rpcbind's owner names: what the LOCALIO
// registration writes and what a client reads back from rpcbind's DUMP.
#include <gtest/gtest.h>

#include "localio/rpcbind_client.h"

namespace localio::rpc {
namespace {

TEST(UniversalAddress, CarriesThePortAsTwoOctetsAfterTheHost) {
  EXPECT_EQ(UniversalAddress("127.0.0.1", 40011), "127.0.0.1.156.75");
  EXPECT_EQ(UniversalAddress("0.0.0.0", 111), "0.0.0.0.0.111");
  EXPECT_EQ(UniversalAddress("::", 2049), "::.8.1");
}

TEST(UniversalAddress, PortIsReadBackFromWhatRpcbindLists) {
  for (const uint16_t port : {0, 1, 111, 255, 256, 40011, 65535}) {
    uint16_t got = 1;
    EXPECT_TRUE(PortOfUniversalAddress(UniversalAddress("10.1.2.3", port), &got)) << port;
    EXPECT_EQ(got, port);
    EXPECT_TRUE(PortOfUniversalAddress(UniversalAddress("fe80::1", port), &got)) << port;
    EXPECT_EQ(got, port);
  }
}

TEST(UniversalAddress, WhatIsNotOneIsRefused) {
  uint16_t port = 7;
  for (const char* bad : {"", "40011", "1.2", ".1.2x", "127.0.0.1.256.1", "127.0.0.1.1.1000",
                          "127.0.0.1.-1.2", "127.0.0.1..2", "/run/rpcbind.sock"})
    EXPECT_FALSE(PortOfUniversalAddress(bad, &port)) << bad;
  EXPECT_EQ(port, 7) << "untouched on failure";
}

TEST(RpcbindOwner, RootIsSuperuserAndOthersTheirDecimalUid) {
  EXPECT_EQ(RpcbindOwnerOf(0), "superuser");
  EXPECT_EQ(RpcbindOwnerOf(1001), "1001");
  EXPECT_EQ(RpcbindOwnerOf(4294967294u), "4294967294");
}

}  // namespace
}  // namespace localio::rpc
