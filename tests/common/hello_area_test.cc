// SPDX-License-Identifier: LGPL-3.0-or-later
#include "localio/hello_area.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <cinttypes>
#include <cstdio>
#include <chrono>
#include <cstring>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "localio/map_writer.h"
#include "map_test_util.h"

namespace localio {
namespace {

using test::TempDir;

Nonce NonceOf(uint8_t seed) {
  Nonce n;
  for (size_t i = 0; i < n.size(); ++i) n[i] = static_cast<uint8_t>(seed + i * 7 + 1);
  return n;
}

// A nonce no other seed gives (the seed in its first 8 bytes).
Nonce UniqueNonce(uint64_t seed) {
  Nonce n{};
  std::memcpy(n.data(), &seed, sizeof seed);
  n[15] = 0x5a;
  return n;
}

class HelloTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(MapWriter::Create(test::ConfigIn(dir_), &server_).ok());
  }
  std::unique_ptr<HelloClient> Client() {
    std::unique_ptr<HelloClient> c;
    Status st = HelloClient::Open(server_->hello_path(), geteuid(), &c);
    EXPECT_TRUE(st.ok()) << st.message;
    return c;
  }
  // A client holding a slot, with the nonce of `seed` set.
  std::unique_ptr<HelloClient> ClientWithNonce(uint8_t seed) {
    auto c = Client();
    EXPECT_EQ(c->Claim(), 0);
    EXPECT_EQ(c->SetNonce(NonceOf(seed)), 0);
    return c;
  }
  // The slots in use, as the tools read them.
  std::vector<HelloSlotView> SlotsInUse() {
    std::vector<HelloSlotView> slots;
    const Status st = ReadHelloSlots(server_->hello_path(), geteuid(), &slots);
    EXPECT_TRUE(st.ok()) << st.message;
    return slots;
  }
  // Sets the lease of slot `i` to long ago, as a dead client leaves it.
  void AgeSlot(int i) {
    SharedFile f;
    ASSERT_TRUE(OpenSharedFile(server_->hello_path(), true, nullptr, &f).ok());
    auto* s = reinterpret_cast<HelloSlot*>(f.base() + sizeof(HelloHeader)) + i;
    s->lease_ms = MapMonotonicMs() - 2 * kHelloLeaseMs;
  }

  TempDir dir_;
  std::unique_ptr<MapWriter> server_;
};

TEST_F(HelloTest, ClaimNonceConfirmHandsTheClientTheServersInstance) {
  auto c = Client();
  ASSERT_EQ(c->Claim(), 0);
  EXPECT_GE(c->slot(), 0);
  InstanceId got{};
  EXPECT_EQ(c->ReadConfirmation(&got), 0);
  ASSERT_EQ(c->SetNonce(NonceOf(1)), 0);
  EXPECT_EQ(c->ReadConfirmation(&got), 0) << "not confirmed before the server saw it";
  EXPECT_TRUE(server_->ConfirmNonce(NonceOf(1)));
  ASSERT_EQ(c->ReadConfirmation(&got), 1);
  EXPECT_EQ(got, server_->instance_id());
}

TEST_F(HelloTest, ANonceConfirmsOnlyOnceAndIsConsumed) {
  auto c = ClientWithNonce(2);
  EXPECT_TRUE(server_->ConfirmNonce(NonceOf(2)));
  EXPECT_FALSE(server_->ConfirmNonce(NonceOf(2))) << "replayed nonce";
  std::vector<uint8_t> bytes = test::ReadFile(server_->hello_path());
  const auto* s = reinterpret_cast<const HelloSlot*>(bytes.data() + sizeof(HelloHeader)) + c->slot();
  EXPECT_EQ(std::memcmp(s->nonce, Nonce{}.data(), 16), 0) << "nonce zeroed after use";
  // A new handshake on the same slot needs a new nonce.
  ASSERT_EQ(c->SetNonce(NonceOf(3)), 0);
  InstanceId got;
  EXPECT_EQ(c->ReadConfirmation(&got), 0);
  EXPECT_TRUE(server_->ConfirmNonce(NonceOf(3)));
  EXPECT_EQ(c->ReadConfirmation(&got), 1);
}

TEST_F(HelloTest, UnknownAndZeroNoncesConfirmNothing) {
  auto c = Client();
  ASSERT_EQ(c->Claim(), 0);
  EXPECT_FALSE(server_->ConfirmNonce(NonceOf(9))) << "slot claimed but no nonce set";
  ASSERT_EQ(c->SetNonce(NonceOf(4)), 0);
  EXPECT_FALSE(server_->ConfirmNonce(NonceOf(5)));
  EXPECT_FALSE(server_->ConfirmNonce(Nonce{}));
  EXPECT_EQ(c->SetNonce(Nonce{}), -EINVAL);
  InstanceId got;
  EXPECT_EQ(c->ReadConfirmation(&got), 0);
}

TEST_F(HelloTest, AReleasedSlotCannotBeConfirmedAndIsFreeAgain) {
  auto a = Client();
  ASSERT_EQ(a->Claim(), 0);
  const int slot = a->slot();
  ASSERT_EQ(a->SetNonce(NonceOf(6)), 0);
  a->Release();
  EXPECT_FALSE(server_->ConfirmNonce(NonceOf(6)));
  auto b = Client();
  ASSERT_EQ(b->Claim(), 0);
  EXPECT_EQ(b->slot(), slot);
  EXPECT_EQ(a->SetNonce(NonceOf(7)), -EINVAL) << "a no longer holds a slot";
}

// Clients that give up (release) while the server confirms their nonce:
// the server reads a slot in NONCE_SET and writes its answer a moment
// later, when the slot may be free or claimed again. No slot may be left
// in use, and no claim may take another claim's (or another nonce's)
// confirmation for its own.
TEST_F(HelloTest, ConfirmationsRacingReleasesLeakNoSlotAndConfirmNoOneElse) {
  auto c = Client();
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> latest{0};  // seed of the nonce last set
  std::atomic<uint64_t> confirmed{0};
  std::thread server([&] {
    while (!stop.load()) {
      const uint64_t seed = latest.load();
      if (seed != 0 && server_->ConfirmNonce(UniqueNonce(seed))) ++confirmed;
    }
  });
  // Waits `us` microseconds (busy: the race is at that scale).
  const auto wait_us = [](int us) {
    const auto until = std::chrono::steady_clock::now() + std::chrono::microseconds(us);
    while (std::chrono::steady_clock::now() < until) {
    }
  };
  uint64_t wrong = 0, accepted = 0;
  std::string failure;  // the first step that failed (the server thread must be joined)
  constexpr int kRounds = 40000;
  std::mt19937 rng(7);
  for (int i = 1; i <= kRounds && failure.empty(); ++i) {
    if (c->Claim() != 0) {
      failure = "round " + std::to_string(i) + ": every slot in use (leaked)";
      break;
    }
    // Two nonces per claim: a confirmation of the first must not count for
    // the second.
    const uint64_t seed = 2 * static_cast<uint64_t>(i);  // never used twice
    if (c->SetNonce(UniqueNonce(seed)) != 0) failure = "round " + std::to_string(i) + ": SetNonce";
    latest.store(seed);
    wait_us(static_cast<int>(rng() % 40));  // about one Confirm, which reads every slot
    InstanceId got;
    if (i % 3 == 0) {
      // The server never touches the state: a second nonce always goes in.
      if (c->SetNonce(UniqueNonce(seed + 1)) != 0)
        failure = "round " + std::to_string(i) + ": the server's answer took the slot";
      wait_us(static_cast<int>(rng() % 40));
      if (c->ReadConfirmation(&got) == 1) ++wrong;  // nobody confirms the second
    } else if (c->ReadConfirmation(&got) == 1) {
      ++accepted;
      if (got != server_->instance_id()) failure = "another instance id";
    }
    c->Release();
  }
  stop = true;
  server.join();
  EXPECT_EQ(failure, "");
  EXPECT_EQ(wrong, 0u) << "a confirmation of one nonce was taken for another";
  EXPECT_EQ(SlotsInUse().size(), 0u) << "slots left in use after every client released";
  std::printf("%d rounds: %" PRIu64 " confirmations, %" PRIu64 " accepted by the client\n", kRounds,
              confirmed.load(), accepted);
}

TEST_F(HelloTest, EverySlotLiveMeansBusyAStaleSlotIsReclaimed) {
  std::vector<std::unique_ptr<HelloClient>> clients;
  for (uint32_t i = 0; i < kHelloSlots; ++i) {
    clients.push_back(Client());
    ASSERT_EQ(clients.back()->Claim(), 0);
  }
  auto late = Client();
  EXPECT_EQ(late->Claim(), -EBUSY);
  // Client 17 died mid-handshake: its lease runs out.
  ASSERT_EQ(clients[17]->SetNonce(NonceOf(17)), 0);
  AgeSlot(clients[17]->slot());
  ASSERT_EQ(late->Claim(), 0);
  EXPECT_EQ(late->slot(), clients[17]->slot());
  // The old owner's claim is gone: it can neither set a nonce nor be
  // confirmed by its old nonce.
  EXPECT_FALSE(server_->ConfirmNonce(NonceOf(17)));
  EXPECT_EQ(clients[17]->SetNonce(NonceOf(18)), -ESTALE);
  InstanceId got;
  EXPECT_EQ(clients[17]->ReadConfirmation(&got), -ESTALE);
  ASSERT_EQ(late->SetNonce(NonceOf(19)), 0);
  EXPECT_TRUE(server_->ConfirmNonce(NonceOf(19)));
  EXPECT_EQ(late->ReadConfirmation(&got), 1);
  clients[17]->Release();  // must not free the slot it lost
  EXPECT_EQ(late->ReadConfirmation(&got), 1);
}

TEST_F(HelloTest, CountersAreVisibleToTools) {
  auto c = ClientWithNonce(1);
  c->CountRead(4096);
  c->CountRead(100);
  c->CountWrite(512);
  c->CountFallback(2);
  c->CountFallback(kHelloFallbackReasons);  // out of range: ignored
  const std::vector<HelloSlotView> slots = SlotsInUse();
  ASSERT_EQ(slots.size(), 1u);
  const HelloSlotView& v = slots[0];
  EXPECT_EQ(v.index, static_cast<uint32_t>(c->slot()));
  EXPECT_EQ(v.state, kHelloNonceSet);
  EXPECT_EQ(v.client_pid, static_cast<uint32_t>(getpid()));
  EXPECT_EQ(v.handshakes, 1u);
  EXPECT_EQ(v.read_ops, 2u);
  EXPECT_EQ(v.read_bytes, 4196u);
  EXPECT_EQ(v.write_ops, 1u);
  EXPECT_EQ(v.write_bytes, 512u);
  EXPECT_EQ(v.fallbacks[2], 1u);
}

TEST_F(HelloTest, AReusedSlotStartsWithZeroCounters) {
  auto first = ClientWithNonce(1);
  first->CountRead(4096);
  first->CountWrite(512);
  for (uint32_t r = 0; r < kHelloFallbackReasons; ++r) first->CountFallback(r);
  const int slot = first->slot();
  first->Release();

  // Free slots are taken first, lowest index first: the next claim reuses it.
  auto second = Client();
  ASSERT_EQ(second->Claim(), 0);
  ASSERT_EQ(second->slot(), slot);
  std::vector<HelloSlotView> slots = SlotsInUse();
  ASSERT_EQ(slots.size(), 1u);
  const HelloSlotView& v = slots[0];
  EXPECT_EQ(v.handshakes, 0u);
  EXPECT_EQ(v.read_ops, 0u);
  EXPECT_EQ(v.read_bytes, 0u);
  EXPECT_EQ(v.write_ops, 0u);
  EXPECT_EQ(v.write_bytes, 0u);
  for (uint32_t r = 0; r < kHelloFallbackReasons; ++r)
    EXPECT_EQ(v.fallbacks[r], 0u) << "fallback reason " << r;

  // The same for a stale slot taken over from a client that died.
  second->CountRead(1);
  second->CountFallback(3);
  AgeSlot(slot);
  std::vector<std::unique_ptr<HelloClient>> others;
  for (uint32_t i = 1; i < kHelloSlots; ++i) {
    others.push_back(Client());
    ASSERT_EQ(others.back()->Claim(), 0);
  }
  auto third = Client();
  ASSERT_EQ(third->Claim(), 0);
  ASSERT_EQ(third->slot(), slot);
  slots = SlotsInUse();
  bool found = false;
  for (const HelloSlotView& s : slots) {
    if (s.index != static_cast<uint32_t>(slot)) continue;
    found = true;
    EXPECT_EQ(s.read_ops, 0u);
    EXPECT_EQ(s.read_bytes, 0u);
    EXPECT_EQ(s.fallbacks[3], 0u);
  }
  EXPECT_TRUE(found);
}

TEST_F(HelloTest, AHostileOrTruncatedHelloFileNeverCrashesTheServer) {
  auto c = ClientWithNonce(1);
  {
    SharedFile f;
    ASSERT_TRUE(OpenSharedFile(server_->hello_path(), true, nullptr, &f).ok());
    auto* slots = reinterpret_cast<HelloSlot*>(f.base() + sizeof(HelloHeader));
    for (uint32_t i = 0; i < kHelloSlots; ++i)
      if (static_cast<int>(i) != c->slot()) std::memset(&slots[i], 0xff, sizeof slots[i]);
  }
  EXPECT_FALSE(server_->ConfirmNonce(NonceOf(2)));
  // A client shortens the file below the slot: the server reads (pread), it
  // does not map, so this is a refusal rather than SIGBUS.
  const off_t cut = static_cast<off_t>(sizeof(HelloHeader) + c->slot() * sizeof(HelloSlot) + 8);
  c.reset();  // its mapping would fault now; drop it first
  ASSERT_EQ(truncate(server_->hello_path().c_str(), cut), 0);
  EXPECT_FALSE(server_->ConfirmNonce(NonceOf(1)));
  ASSERT_EQ(truncate(server_->hello_path().c_str(), 0), 0);
  EXPECT_FALSE(server_->ConfirmNonce(NonceOf(1)));
  std::unique_ptr<HelloClient> late;
  EXPECT_FALSE(HelloClient::Open(server_->hello_path(), geteuid(), &late).ok());
  std::vector<HelloSlotView> v;
  EXPECT_FALSE(ReadHelloSlots(server_->hello_path(), geteuid(), &v).ok());
}

TEST_F(HelloTest, AFileThatIsNotAHelloAreaIsRefused) {
  const std::string bogus = dir_.File("bogus.hello");
  test::WriteFile(bogus, std::vector<uint8_t>(kHelloTotalSize, 0x5a));
  std::unique_ptr<HelloClient> c;
  Status st = HelloClient::Open(bogus, geteuid(), &c);
  EXPECT_EQ(st.code, -EPROTO);
  EXPECT_NE(st.message.find("bad magic"), std::string::npos) << st.message;
}

}  // namespace
}  // namespace localio
