// SPDX-License-Identifier: LGPL-3.0-or-later
// The map scribbled on or truncated under running client processes (NFSv3
// and NFSv4, write+verify loops): no client dies (a truncated mapping would
// raise SIGBUS without the mapping guard), every client falls back to RPC,
// the server keeps serving, and every acknowledged write is in the files.
#include <gtest/gtest.h>
#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "fault_support.h"
#include "harness/ganesha_server.h"
#include "localio/hello_area.h"
#include "localio/map_reader.h"
#include "localio/mapping_guard.h"

namespace localio::fault {
namespace {

class FaultMapDamage : public OneExportServerTest {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(OneExportServerTest::SetUp());
    stop_ = server_->dir() + "/stop";
    for (int i = 0; i < kClients; ++i) {
      clients_.emplace_back();
      const Status c = StartWriter(
          *server_, stop_, {.id = static_cast<uint32_t>(i), .version = i % 2 ? 4 : 3, .seconds = 60},
          &clients_.back());
      ASSERT_TRUE(c.ok()) << c.message;
    }
    ASSERT_TRUE(AllReady(clients_));
  }
  void TearDown() override {
    TouchFile(stop_);
    clients_.clear();
    OneExportServerTest::TearDown();
  }

  // Every client noticed (its session ended) after `since_ms`, keeps
  // running on RPC, stops cleanly, and its file holds what it acknowledged.
  void ExpectFallbackAndData(uint64_t since_ms) {
    for (int i = 0; i < kClients; ++i) {
      const auto off = clients_[i]->WaitFor("event local 0", since_ms, seconds(8));
      EXPECT_TRUE(off) << "client " << i << " kept its session:\n" << clients_[i]->Output();
      if (off) std::printf("client %d (NFSv%d): bypass off %lld ms after the damage\n", i,
                           i % 2 ? 4 : 3, static_cast<long long>(*off - since_ms));
    }
    std::this_thread::sleep_for(milliseconds(700));  // a while on RPC
    EXPECT_TRUE(server_->Running()) << "ganesha.nfsd died";
    TouchFile(stop_);
    for (int i = 0; i < kClients; ++i) {
      FaultClient& c = *clients_[i];
      ASSERT_TRUE(c.WaitExit(seconds(60))) << "client " << i << " did not stop";
      EXPECT_EQ(c.exit_description(), "exit 0") << "client " << i << ":\n" << c.Output();
      EXPECT_EQ(c.BadLines(), "") << "client " << i;
      EXPECT_EQ(CheckAcknowledgedBlocks(server_->ExportDir(kExport) + "/f" + std::to_string(i),
                                        i, c.Output()),
                "")
          << "client " << i;
    }
  }

  std::string stop_;
  std::vector<std::unique_ptr<FaultClient>> clients_;
};

TEST_F(FaultMapDamage, RandomBytesInHeaderAndEntries) {
  const int fd = open(server_->map_path().c_str(), O_WRONLY | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  const off_t size = lseek(fd, 0, SEEK_END);
  std::mt19937_64 rng(99);
  std::vector<uint8_t> noise(4096);
  for (auto& b : noise) b = static_cast<uint8_t>(rng());
  const uint64_t at = NowMs();
  ASSERT_EQ(pwrite(fd, noise.data(), noise.size(), 0), 4096);  // the header page
  for (int i = 0; i < 2000; ++i) {  // and entries
    for (int k = 0; k < 64; ++k) noise[k] = static_cast<uint8_t>(rng());
    ASSERT_EQ(pwrite(fd, noise.data(), 64, static_cast<off_t>(rng() % static_cast<uint64_t>(size - 64))), 64);
  }
  close(fd);
  ExpectFallbackAndData(at);
}

TEST_F(FaultMapDamage, TruncatedMapAndHelloFile) {
  // A reader of our own, to prove the guard turns the lost pages to zeros.
  std::unique_ptr<MapReader> reader;
  ASSERT_TRUE(MapReader::Open(server_->map_path(), LOCALIO_DEFAULT_SERVER_UID, &reader).ok());
  size_t before = 0;
  reader->ForEachEntry([&](const MapEntry&) { ++before; });
  ASSERT_GT(before, 0u);
  const uint64_t faults = GuardedFaults();

  const uint64_t at = NowMs();
  ASSERT_EQ(truncate(server_->map_path().c_str(), 0), 0);
  ASSERT_EQ(truncate((server_->map_path() + ".hello").c_str(), 0), 0);

  size_t after = 0;
  reader->ForEachEntry([&](const MapEntry&) { ++after; });  // would SIGBUS unguarded
  EXPECT_EQ(after, 0u);
  EXPECT_FALSE(reader->Alive());
  EXPECT_FALSE(reader->Refresh().ok());
  EXPECT_GT(GuardedFaults(), faults);
  ExpectFallbackAndData(at);
}

}  // namespace
}  // namespace localio::fault
