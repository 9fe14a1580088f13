// SPDX-License-Identifier: LGPL-3.0-or-later
// kill -9 of ganesha.nfsd under four client processes (one nfs_context
// each) that run write+verify loops through the bypass, then a restart: the
// clients fall back (reason server_changed), re-handshake (NFSv3) and
// bypass again, and every write an fsync or close acknowledged is in the
// files afterwards. Prints the fallback and re-handshake times.
// NFSv3 only: libnfs 4.0 never renews an NFSv4 client id, so an NFSv4
// context cannot go on after a restart at all (safety_restart_test).
#include <gtest/gtest.h>

#include <cinttypes>
#include <cstdio>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "fault_support.h"
#include "harness/ganesha_server.h"

namespace localio::fault {
namespace {

class FaultRestart : public OneExportServerTest {};

TEST_F(FaultRestart, Kill9UnderFourWritersLosesNoAcknowledgedWrite) {
  const std::string dir = server_->ExportDir(kExport);
  const std::string stop = server_->dir() + "/stop";
  std::vector<std::unique_ptr<FaultClient>> clients(kClients);
  for (int i = 0; i < kClients; ++i) {
    const Status s = StartWriter(
        *server_, stop, {.id = static_cast<uint32_t>(i), .blocks = 32, .fsync = 8}, &clients[i]);
    ASSERT_TRUE(s.ok()) << s.message;
  }
  ASSERT_TRUE(AllReady(clients));
  std::this_thread::sleep_for(milliseconds(500));

  const uint64_t kill_ms = NowMs();
  server_->Kill9();
  const Status s = server_->Restart();
  ASSERT_TRUE(s.ok()) << s.message;
  const uint64_t up_ms = NowMs();

  for (int i = 0; i < kClients; ++i) {
    FaultClient& c = *clients[i];
    const auto fallback = c.WaitFor("event fallback_server_changed", kill_ms, seconds(15));
    // After the kill: a client may handshake with the new server before
    // Restart() has seen it ready.
    const auto local = c.WaitFor("event local 1", kill_ms, seconds(20));
    const auto again = c.WaitFor("event bypass_again", kill_ms, seconds(20));
    EXPECT_TRUE(fallback) << "client " << i << " never fell back:\n" << c.Output();
    EXPECT_TRUE(local) << "client " << i << " never re-handshook:\n" << c.Output();
    EXPECT_TRUE(again) << "client " << i << " never bypassed again:\n" << c.Output();
    std::printf("client %d: server back %" PRIu64 " ms after kill -9; fallback (server_changed) "
                "at +%" PRId64 " ms; re-handshake at +%" PRId64 " ms (%" PRId64
                " ms after the server was back); bypassing again at +%" PRId64 " ms\n",
                i, up_ms - kill_ms, fallback ? static_cast<int64_t>(*fallback - kill_ms) : -1,
                local ? static_cast<int64_t>(*local - kill_ms) : -1,
                local ? static_cast<int64_t>(*local) - static_cast<int64_t>(up_ms) : -1,
                again ? static_cast<int64_t>(*again - kill_ms) : -1);
  }
  std::this_thread::sleep_for(milliseconds(500));
  TouchFile(stop);
  for (int i = 0; i < kClients; ++i) {
    FaultClient& c = *clients[i];
    ASSERT_TRUE(c.WaitExit(seconds(60))) << "client " << i << " did not stop";
    EXPECT_EQ(c.exit_description(), "exit 0") << c.Output();
    EXPECT_EQ(c.BadLines(), "") << "client " << i;
    EXPECT_GT(c.Count("write_ops"), 0) << c.Output();
    EXPECT_EQ(CheckAcknowledgedBlocks(dir + "/f" + std::to_string(i), i, c.Output()), "")
        << "client " << i;
  }
}

// A server down long enough for the client's handshake backoff to grow
// (1, 2, 4, 8 s) comes back: the client sees the new map at the path and
// handshakes at once, not at the end of its current wait.
TEST_F(FaultRestart, ClientHandshakesAsSoonAsTheRestartedServersMapAppears) {
  const std::string dir = server_->ExportDir(kExport);
  const std::string stop = server_->dir() + "/stop";
  ASSERT_TRUE(CreateBlockFile(dir + "/g", 9, 8).ok());
  std::unique_ptr<FaultClient> c;
  const Status s = FaultClient::Start(
      "rw", server_->Url(kExport, 3, ""), server_->map_path(), stop,
      {"file=/g", "id=9", "blocks=8", "fsync=4", "seconds=120", "timeout_ms=500"},
      server_->dir() + "/client-g.out", &c);
  ASSERT_TRUE(s.ok()) << s.message;
  ASSERT_TRUE(c->WaitFor("ready", 0, seconds(20))) << "never bypassed:\n" << c->Output();

  const uint64_t kill_ms = NowMs();
  server_->Kill9();
  ASSERT_TRUE(c->WaitFor("event fallback_server_changed", kill_ms, seconds(15))) << c->Output();
  // Four attempts fail (at about +1, +2, +4 and +8 s): the client's next
  // wait is 16 s.
  ASSERT_TRUE(c->WaitFor("event handshakes_failed 4", kill_ms, seconds(20))) << c->Output();
  const Status r = server_->Restart();
  ASSERT_TRUE(r.ok()) << r.message;
  const uint64_t up_ms = NowMs();
  // Without the map check, the next attempt comes about 8 s after the
  // server is back.
  const auto local = c->WaitFor("event local 1", kill_ms, seconds(20));
  ASSERT_TRUE(local) << "never re-handshook:\n" << c->Output();
  const int64_t after_up = static_cast<int64_t>(*local) - static_cast<int64_t>(up_ms);
  std::printf("server back %" PRIu64 " ms after the kill; handshake again %" PRId64
              " ms after that\n", up_ms - kill_ms, after_up);
  EXPECT_LT(after_up, 3000) << c->Output();

  TouchFile(stop);
  ASSERT_TRUE(c->WaitExit(seconds(60)));
  EXPECT_EQ(c->exit_description(), "exit 0") << c->Output();
  EXPECT_EQ(CheckAcknowledgedBlocks(dir + "/g", 9, c->Output()), "");
}

}  // namespace
}  // namespace localio::fault
