// SPDX-License-Identifier: LGPL-3.0-or-later
// Clients claiming, handshaking and releasing hello slots while a hostile
// writer scribbles on and truncates the hello file and the server confirms
// nonces and repairs the file. Nothing may crash (a truncation under a
// client's mapping reads as zeros), a client accepts only a confirmation of
// the nonce it published, and once the hostile writer stops, one repair
// lets every client handshake again. Built as its own binary so CI runs it
// under ThreadSanitizer (the guard's registry, the server's lock).
#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <memory>
#include <random>
#include <thread>
#include <vector>

#include "localio/hello_area.h"
#include "localio/mapping_guard.h"
#include "map_test_util.h"

namespace localio {
namespace {

constexpr int kClients = 4;
constexpr auto kRunFor = std::chrono::milliseconds(2500);

InstanceId ServerInstance() {
  InstanceId id;
  for (size_t i = 0; i < id.size(); ++i) id[i] = static_cast<uint8_t>(0xc0 + i);
  return id;
}

struct Tally {
  std::atomic<uint64_t> opened{0}, refused{0}, claimed{0}, busy{0}, confirmed{0}, lost{0},
      other_instance{0}, wrong{0};
};

// One handshake on `c` (claimed here): publishes a nonce, has the server
// confirm it, reads the answer. A confirmation the server did not give for
// this nonce (it said no) counts as wrong.
void Handshake(HelloClient* c, HelloServer* server, std::mt19937_64* rng, Tally* t) {
  if (c->Claim() != 0) {
    t->busy++;
    return;
  }
  t->claimed++;
  Nonce nonce;
  for (auto& b : nonce) b = static_cast<uint8_t>((*rng)());
  nonce[15] |= 1;
  if (c->SetNonce(&nonce) != 0) {
    t->lost++;
    return;
  }
  const bool said_yes = server->Confirm(nonce, ServerInstance());
  InstanceId got;
  const int rc = c->ReadConfirmation(&got);
  if (rc == 1 && !said_yes) t->wrong++;
  if (rc == 1 && got != ServerInstance()) t->other_instance++;  // the hostile wrote it after
  if (rc == 1) t->confirmed++;
  if (rc < 0) t->lost++;
  if ((*rng)() % 2) c->Release();
}

// What a hostile client of the group does: bytes over the header or a
// slot, leases "forever", and truncations, through its own fd.
void Vandalise(int fd, std::mt19937_64* rng) {
  const uint64_t what = (*rng)() % 100;
  const off_t slot = static_cast<off_t>(sizeof(HelloHeader) +
                                        (*rng)() % kHelloSlots * sizeof(HelloSlot));
  if (what < 40) {
    uint8_t bytes[16];
    for (auto& b : bytes) b = static_cast<uint8_t>((*rng)());
    const off_t at = static_cast<off_t>((*rng)() % kHelloTotalSize);
    (void)!pwrite(fd, bytes, 1 + (*rng)() % sizeof bytes, at);
  } else if (what < 60) {
    const uint64_t lease = (*rng)() % 2 ? uint64_t{1} << 63 : (*rng)();
    (void)!pwrite(fd, &lease, sizeof lease, slot + offsetof(HelloSlot, lease_ms));
  } else if (what < 75) {
    const uint32_t state = static_cast<uint32_t>((*rng)());
    (void)!pwrite(fd, &state, sizeof state, slot + offsetof(HelloSlot, state));
  } else if (what < 90) {
    uint8_t header[sizeof(HelloHeader)];
    for (auto& b : header) b = static_cast<uint8_t>((*rng)() % 4 ? 0 : (*rng)());
    (void)!pwrite(fd, header, sizeof header, 0);
  } else {
    const uint64_t sizes[] = {0, sizeof(HelloHeader) / 2, kHelloTotalSize / 2,
                              kHelloTotalSize - 8, kHelloTotalSize * 2};
    (void)!ftruncate(fd, static_cast<off_t>(sizes[(*rng)() % 5]));
  }
}

TEST(HelloStress, ClientsSurviveAHostileWriterAndHandshakeAgainAfterARepair) {
  harness::TempDir dir = test::MapTempDir();
  const std::string path = dir.Path("map.hello");
  std::unique_ptr<HelloServer> server;
  {
    const int dirfd = open(dir.path().c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
    ASSERT_GE(dirfd, 0);
    const Status st = HelloServer::Create(dirfd, "map.hello", path, 0660, -1, &server);
    close(dirfd);
    ASSERT_TRUE(st.ok()) << st.message;
  }
  const uint64_t faults_before = GuardedFaults();

  std::atomic<bool> stop{false};
  Tally t;
  std::atomic<uint64_t> repairs{0}, vandalisms{0};
  auto client = [&](unsigned seed) {
    std::mt19937_64 rng(seed);
    std::unique_ptr<HelloClient> c;
    while (!stop.load(std::memory_order_relaxed)) {
      // A fresh mapping now and then (the guard registers and forgets it
      // while other threads' faults walk its registry).
      if (c == nullptr || rng() % 8 == 0) {
        c.reset();
        if (!HelloClient::Open(path, geteuid(), &c).ok()) {
          t.refused++;
          continue;
        }
        t.opened++;
      }
      Handshake(c.get(), server.get(), &rng, &t);
    }
  };
  auto hostile = [&] {
    std::mt19937_64 rng(77);
    const int fd = open(path.c_str(), O_WRONLY | O_CLOEXEC);
    ASSERT_GE(fd, 0);
    while (!stop.load(std::memory_order_relaxed)) {
      Vandalise(fd, &rng);
      vandalisms++;
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
    close(fd);
  };
  auto repairer = [&] {
    while (!stop.load(std::memory_order_relaxed)) {
      if (!server->Repair().empty()) repairs++;
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  };

  std::vector<std::thread> threads;
  for (unsigned i = 0; i < kClients; ++i) threads.emplace_back(client, i + 1);
  threads.emplace_back(hostile);
  threads.emplace_back(repairer);
  std::this_thread::sleep_for(kRunFor);
  stop = true;
  for (auto& th : threads) th.join();

  std::printf("%" PRIu64 " vandalisms, %" PRIu64 " repairs, %" PRIu64 " SIGBUS pages; opens %" PRIu64
              " (refused %" PRIu64 "), claims %" PRIu64 " (busy %" PRIu64 "), confirmed %" PRIu64
              " (instance scribbled %" PRIu64 "), lost %" PRIu64 "\n",
              vandalisms.load(), repairs.load(), GuardedFaults() - faults_before, t.opened.load(),
              t.refused.load(), t.claimed.load(), t.busy.load(), t.confirmed.load(),
              t.other_instance.load(), t.lost.load());
  EXPECT_EQ(t.wrong.load(), 0u) << "a client took a confirmation the server did not give";
  EXPECT_GT(repairs.load(), 0u);

  // The hostile writer is gone: one repair, and every client handshakes.
  server->Repair();
  EXPECT_EQ(server->Repair(), "") << "a repaired file needs no second repair";
  std::vector<std::unique_ptr<HelloClient>> clients(kClients);
  for (auto& c : clients) {
    const Status st = HelloClient::Open(path, geteuid(), &c);
    ASSERT_TRUE(st.ok()) << st.message;
    ASSERT_EQ(c->Claim(), 0);
    Nonce nonce{};
    nonce[kHelloNonceKeyBytes - 1] = 1;  // a key, whatever the slot
    ASSERT_EQ(c->SetNonce(&nonce), 0);
    ASSERT_TRUE(server->Confirm(nonce, ServerInstance()));
    InstanceId got;
    ASSERT_EQ(c->ReadConfirmation(&got), 1);
    EXPECT_EQ(got, ServerInstance());
  }
}

}  // namespace
}  // namespace localio
