// SPDX-License-Identifier: LGPL-3.0-or-later
// The LOCALIO listener under a flood (issue 22, point 7): three processes of
// uid 1001 (harness/hostile_peer.h) send UUID_IS_LOCAL with random nonces as
// fast as the listener answers, over 120 connections each, while honest
// clients hand-shake one after another with the default probe timeout.
// Every honest handshake must succeed: the listener serves a few records per
// connection per round, stops reading a connection whose replies are unsent,
// serves every new connection at once and parks the flooders' beyond their
// uid's share (common/localio_service.h). The
// server side is the one the FSAL runs (a MapWriter confirming nonces and
// the LocalioService), in this process. Needs root (setpriv). Nothing here
// asserts on time: localio-listener-bench prints the latencies.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "handshake.h"
#include "harness/hostile_peer.h"
#include "harness/wait.h"
#include "localio/localio_service.h"
#include "localio/map_writer.h"
#include "map_test_util.h"

namespace localio {
namespace {

using harness::HostilePeer;
using namespace std::chrono_literals;

constexpr int kFlooders = 3;
constexpr int kFloodConnections = 120;
constexpr int kHonestHandshakes = 12;

TEST(ListenerFlood, EveryHonestHandshakeSucceedsWhileThreeProcessesOfAnotherUidFlood) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root to flood as uid " << HostilePeer::kUid;
  harness::TempDir dir = test::MapTempDir();
  std::unique_ptr<MapWriter> writer;
  ASSERT_TRUE(MapWriter::Create(test::ConfigIn(dir), &writer).ok());
  writer->Heartbeat();
  MapWriter* map = writer.get();
  rpc::LocalioService service({}, [map](const Nonce& nonce) { map->ConfirmNonce(nonce); });
  ASSERT_TRUE(service.Start().ok());
  writer->SetPort(service.port());
  std::atomic<bool> beating{true};
  std::thread heartbeat([&] {
    while (beating) {
      map->Heartbeat();
      std::this_thread::sleep_for(200ms);
    }
  });

  std::vector<std::unique_ptr<HostilePeer>> flooders;
  for (int i = 0; i < kFlooders; ++i) {
    flooders.push_back(std::make_unique<HostilePeer>());
    const Status s = flooders.back()->Flood(service.port(), kFloodConnections, 60);
    ASSERT_TRUE(s.ok()) << s.message;
  }
  // The flood is on once the listener has served many of its calls.
  const uint64_t before = service.counters().uuid_is_local_calls;
  harness::WaitUntil([&] { return service.counters().uuid_is_local_calls >= before + 20000; },
                     20s);
  ASSERT_GE(service.counters().uuid_is_local_calls, before + 20000) << "no flood came";

  client::HandshakeRequest request;
  request.map_path = writer->path();
  request.server_address = "127.0.0.1";
  request.server_uid = geteuid();
  std::vector<std::string> failures;
  for (int i = 0; i < kHonestHandshakes; ++i) {
    client::Session session;
    const Status st = client::Handshake(request, &session);
    if (!st.ok()) failures.push_back(st.message);
  }
  const rpc::LocalioServiceCounters c = service.counters();
  // One peer (uid 1001) for the listener: one process may have had all its
  // connections parked, so only their sum says the flood was answered.
  long long flood_replies = 0;
  for (auto& flooder : flooders)
    flood_replies += std::max(0LL, HostilePeer::Field(flooder->Stop(), "calls"));
  EXPECT_GT(flood_replies, 0);
  beating = false;
  heartbeat.join();
  EXPECT_TRUE(failures.empty()) << failures.size() << " of " << kHonestHandshakes
                                << " honest handshakes failed, the first: " << failures.front();
  std::printf("listener: %llu calls, %llu connections accepted, %llu evicted\n",
              static_cast<unsigned long long>(c.calls),
              static_cast<unsigned long long>(c.connections),
              static_cast<unsigned long long>(c.connections_evicted));
}

}  // namespace
}  // namespace localio
