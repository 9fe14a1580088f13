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

#include "harness/files.h"
#include "localio/clock.h"
#include "localio/map_writer.h"
#include "map_test_util.h"

namespace localio {
namespace {

using harness::TempDir;
using test::MapTempDir;

Nonce NonceOf(uint8_t seed) {
  Nonce n;
  for (size_t i = 0; i < n.size(); ++i) n[i] = static_cast<uint8_t>(seed + i * 7 + 1);
  return n;
}

// A nonce no other seed gives, in its key and in its secret (the seed's
// low bytes after the slot's index, which names `slot`, and the whole seed
// as the secret).
Nonce UniqueNonce(uint64_t seed, uint32_t slot = 0) {
  Nonce n{};
  n[0] = static_cast<uint8_t>(slot >> 8);
  n[1] = static_cast<uint8_t>(slot);
  std::memcpy(n.data() + kHelloNonceSlotBytes, &seed, kHelloNonceKeyBytes - kHelloNonceSlotBytes);
  std::memcpy(n.data() + kHelloNonceKeyBytes, &seed, sizeof seed);
  n[15] ^= 0x5a;
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
  // Publishes `nonce` in c's slot; the nonce as the client sends it (its
  // first bytes naming the slot).
  static Nonce Publish(HelloClient* c, Nonce nonce) {
    EXPECT_EQ(c->SetNonce(&nonce), 0);
    return nonce;
  }
  // A client holding a slot, with the nonce of `seed` set (*sent: as sent).
  std::unique_ptr<HelloClient> ClientWithNonce(uint8_t seed, Nonce* sent = nullptr) {
    auto c = Client();
    if (c == nullptr) return c;
    EXPECT_EQ(c->Claim(), 0);
    const Nonce n = Publish(c.get(), NonceOf(seed));
    if (sent != nullptr) *sent = n;
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
    s->lease_ms = SystemClock().NowMs() - 2 * kHelloLeaseMs;
  }

  TempDir dir_ = MapTempDir();
  std::unique_ptr<MapWriter> server_;
};

TEST_F(HelloTest, ClaimNonceConfirmHandsTheClientTheServersInstance) {
  auto c = Client();
  ASSERT_EQ(c->Claim(), 0);
  EXPECT_GE(c->slot(), 0);
  InstanceId got{};
  EXPECT_EQ(c->ReadConfirmation(&got), 0);
  const Nonce sent = Publish(c.get(), NonceOf(1));
  EXPECT_EQ(HelloNonceSlot(sent), static_cast<uint32_t>(c->slot())) << "the nonce names its slot";
  EXPECT_EQ(c->ReadConfirmation(&got), 0) << "not confirmed before the server saw it";
  EXPECT_TRUE(server_->ConfirmNonce(sent));
  ASSERT_EQ(c->ReadConfirmation(&got), 1);
  EXPECT_EQ(got, server_->instance_id());
}

TEST_F(HelloTest, ANonceConfirmsOnlyOnceAndIsConsumed) {
  Nonce sent;
  auto c = ClientWithNonce(2, &sent);
  EXPECT_TRUE(server_->ConfirmNonce(sent));
  EXPECT_FALSE(server_->ConfirmNonce(sent)) << "replayed nonce";
  const std::string bytes = harness::ReadFile(server_->hello_path());
  const auto* s = reinterpret_cast<const HelloSlot*>(bytes.data() + sizeof(HelloHeader)) + c->slot();
  EXPECT_EQ(std::memcmp(s->nonce, Nonce{}.data(), 16), 0) << "nonce zeroed after use";
  // A new handshake on the same slot needs a new nonce.
  const Nonce again = Publish(c.get(), NonceOf(3));
  InstanceId got;
  EXPECT_EQ(c->ReadConfirmation(&got), 0);
  EXPECT_TRUE(server_->ConfirmNonce(again));
  EXPECT_EQ(c->ReadConfirmation(&got), 1);
}

// What a neighbour who may write the hello file (a client of the map's
// group) sees of someone else's handshake is the slot: it writes the answer
// it can make from that, with the server's instance id (in the map, which
// the group reads), before the server does. The secret half of the nonce
// was never in the file, so the client takes no such answer; the server's
// own, which comes after, it takes.
TEST_F(HelloTest, ANeighbourWhoSeesTheSlotCannotForgeItsAnswer) {
  Nonce sent;
  auto c = ClientWithNonce(6, &sent);
  {
    SharedFile f;
    ASSERT_TRUE(OpenSharedFile(server_->hello_path(), true, nullptr, &f).ok());
    auto* s = reinterpret_cast<HelloSlot*>(f.base() + sizeof(HelloHeader)) + c->slot();
    EXPECT_EQ(std::memcmp(s->nonce, sent.data(), kHelloNonceKeyBytes), 0);
    EXPECT_NE(std::memcmp(s->nonce + kHelloNonceKeyBytes, sent.data() + kHelloNonceKeyBytes,
                          kHelloNonceSecretBytes),
              0)
        << "the nonce's secret is in the shared file";
    std::memcpy(s->confirmed_instance, server_->instance_id().data(), 16);
    // Every answer the slot's bytes give: its second half taken as the
    // secret, and its first (where the answer was made of before).
    for (const uint8_t* guess : {s->nonce + kHelloNonceKeyBytes, s->nonce + kHelloNonceSlotBytes}) {
      __atomic_store_n(&s->confirmation, HelloConfirmation(s->state, guess), __ATOMIC_RELEASE);
      InstanceId got;
      EXPECT_EQ(c->ReadConfirmation(&got), 0) << "took a forged answer";
    }
  }
  EXPECT_TRUE(server_->ConfirmNonce(sent));
  InstanceId got;
  ASSERT_EQ(c->ReadConfirmation(&got), 1);
  EXPECT_EQ(got, server_->instance_id());
}

TEST_F(HelloTest, UnknownAndZeroNoncesConfirmNothing) {
  auto c = Client();
  ASSERT_EQ(c->Claim(), 0);
  Nonce unset = NonceOf(9);
  unset[0] = 0;
  unset[1] = static_cast<uint8_t>(c->slot());
  EXPECT_FALSE(server_->ConfirmNonce(unset)) << "slot claimed but no nonce set";
  const Nonce sent = Publish(c.get(), NonceOf(4));
  Nonce other = NonceOf(5);
  std::memcpy(other.data(), sent.data(), kHelloNonceSlotBytes);  // the same slot
  EXPECT_FALSE(server_->ConfirmNonce(other));
  EXPECT_FALSE(server_->ConfirmNonce(Nonce{}));
  // A nonce naming another slot, or none, with this slot's random bytes.
  Nonce elsewhere = sent;
  elsewhere[1] ^= 1;
  EXPECT_FALSE(server_->ConfirmNonce(elsewhere));
  elsewhere[0] = 0xff;
  EXPECT_FALSE(server_->ConfirmNonce(elsewhere)) << "a slot past the last";
  InstanceId got;
  EXPECT_EQ(c->ReadConfirmation(&got), 0);
}

TEST_F(HelloTest, AReleasedSlotCannotBeConfirmedAndIsFreeAgain) {
  auto a = Client();
  ASSERT_EQ(a->Claim(), 0);
  const int slot = a->slot();
  const Nonce sent = Publish(a.get(), NonceOf(6));
  a->Release();
  EXPECT_FALSE(server_->ConfirmNonce(sent));
  auto b = Client();
  ASSERT_EQ(b->Claim(), 0);
  EXPECT_EQ(b->slot(), slot);
  Nonce late = NonceOf(7);
  EXPECT_EQ(a->SetNonce(&late), -EINVAL) << "a no longer holds a slot";
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
  std::atomic<uint32_t> slot{0};    // and the slot it names
  std::atomic<uint64_t> confirmed{0};
  std::thread server([&] {
    while (!stop.load()) {
      const uint64_t seed = latest.load();
      if (seed != 0 && server_->ConfirmNonce(UniqueNonce(seed, slot.load()))) ++confirmed;
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
    Nonce first = UniqueNonce(seed);
    if (c->SetNonce(&first) != 0) failure = "round " + std::to_string(i) + ": SetNonce";
    slot.store(HelloNonceSlot(first));
    latest.store(seed);
    wait_us(static_cast<int>(rng() % 40));  // about one Confirm
    InstanceId got;
    if (i % 3 == 0) {
      // The server never touches the state: a second nonce always goes in.
      Nonce second = UniqueNonce(seed + 1);
      if (c->SetNonce(&second) != 0)
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
  const Nonce old = Publish(clients[17].get(), NonceOf(17));
  AgeSlot(clients[17]->slot());
  ASSERT_EQ(late->Claim(), 0);
  EXPECT_EQ(late->slot(), clients[17]->slot());
  // The old owner's claim is gone: it can neither set a nonce nor be
  // confirmed by its old nonce.
  EXPECT_FALSE(server_->ConfirmNonce(old));
  Nonce refused = NonceOf(18);
  EXPECT_EQ(clients[17]->SetNonce(&refused), -ESTALE);
  InstanceId got;
  EXPECT_EQ(clients[17]->ReadConfirmation(&got), -ESTALE);
  const Nonce fresh = Publish(late.get(), NonceOf(19));
  EXPECT_TRUE(server_->ConfirmNonce(fresh));
  EXPECT_EQ(late->ReadConfirmation(&got), 1);
  clients[17]->Release();  // must not free the slot it lost
  EXPECT_EQ(late->ReadConfirmation(&got), 1);
}

TEST_F(HelloTest, CountersAreVisibleToTools) {
  auto c = ClientWithNonce(1);
  c->CountRead(7, 4096);
  c->CountRead(7, 100);
  c->CountWrite(9, 512);
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
  // By export, in the order the client first used them.
  ASSERT_EQ(v.exports.size(), 2u);
  EXPECT_EQ(v.exports[0].export_id, 7u);
  EXPECT_EQ(v.exports[0].read_ops, 2u);
  EXPECT_EQ(v.exports[0].read_bytes, 4196u);
  EXPECT_EQ(v.exports[0].write_ops, 0u);
  EXPECT_EQ(v.exports[1].export_id, 9u);
  EXPECT_EQ(v.exports[1].write_ops, 1u);
  EXPECT_EQ(v.exports[1].write_bytes, 512u);
}

// Past kHelloExportRows exports, I/O counts in the slot's totals only;
// export 0 and 65535 are ids like any other.
TEST_F(HelloTest, ExportRowsHoldTheFirstExportsAndTotalsHoldAll) {
  auto c = ClientWithNonce(1);
  c->CountRead(0, 1);
  c->CountRead(65535, 2);
  for (uint16_t id = 100; id < 100 + kHelloExportRows; ++id) c->CountWrite(id, 10);
  const std::vector<HelloSlotView> slots = SlotsInUse();
  ASSERT_EQ(slots.size(), 1u);
  const HelloSlotView& v = slots[0];
  EXPECT_EQ(v.read_bytes, 3u);
  EXPECT_EQ(v.write_ops, kHelloExportRows);
  ASSERT_EQ(v.exports.size(), kHelloExportRows);
  EXPECT_EQ(v.exports[0].export_id, 0u);
  EXPECT_EQ(v.exports[1].export_id, 65535u);
  EXPECT_EQ(v.exports[1].read_bytes, 2u);
  uint64_t in_rows = 0;
  for (const HelloSlotView::Export& e : v.exports) in_rows += e.write_ops;
  EXPECT_EQ(in_rows, kHelloExportRows - 2) << "the rows hold the first exports only";
}

// Any client of the map's group may write the hello file: a scribbled row
// with an export id no export has (> 65535), or a second row of an export
// the slot already has, is not shown (tools would print two series with one
// set of labels, and Prometheus rejects such a scrape whole).
TEST_F(HelloTest, ScribbledExportRowsAreNotShown) {
  auto c = ClientWithNonce(1);
  c->CountWrite(5, 100);
  {
    SharedFile f;
    ASSERT_TRUE(OpenSharedFile(server_->hello_path(), true, nullptr, &f).ok());
    auto* s = reinterpret_cast<HelloSlot*>(f.base() + sizeof(HelloHeader)) + c->slot();
    s->exports[1] = s->exports[0];        // export 5 again
    s->exports[1].write_bytes = 999;
    s->exports[2].export_id_plus1 = 0x10001;  // no such export
    s->exports[3].export_id_plus1 = 8;        // export 7: shown
  }
  const std::vector<HelloSlotView> slots = SlotsInUse();
  ASSERT_EQ(slots.size(), 1u);
  ASSERT_EQ(slots[0].exports.size(), 2u);
  EXPECT_EQ(slots[0].exports[0].export_id, 5u);
  EXPECT_EQ(slots[0].exports[0].write_bytes, 100u);
  EXPECT_EQ(slots[0].exports[1].export_id, 7u);
}

TEST_F(HelloTest, AReusedSlotStartsWithZeroCounters) {
  auto first = ClientWithNonce(1);
  first->CountRead(1, 4096);
  first->CountWrite(1, 512);
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
  EXPECT_TRUE(v.exports.empty()) << "export rows of the slot's previous owner";

  // The same for a stale slot taken over from a client that died.
  second->CountRead(1, 1);
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
  Nonce sent;
  auto c = ClientWithNonce(1, &sent);
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
  EXPECT_FALSE(server_->ConfirmNonce(sent));
  ASSERT_EQ(truncate(server_->hello_path().c_str(), 0), 0);
  EXPECT_FALSE(server_->ConfirmNonce(sent));
  std::unique_ptr<HelloClient> late;
  EXPECT_FALSE(HelloClient::Open(server_->hello_path(), geteuid(), &late).ok());
  std::vector<HelloSlotView> v;
  EXPECT_FALSE(ReadHelloSlots(server_->hello_path(), geteuid(), &v).ok());
}

// UUID_IS_LOCAL costs one slot's read: the server looks only in the slot
// the nonce names, never for the nonce elsewhere.
TEST_F(HelloTest, ConfirmReadsOnlyTheSlotTheNonceNames) {
  auto a = Client();
  ASSERT_EQ(a->Claim(), 0);
  const Nonce sent = Publish(a.get(), NonceOf(1));
  const uint32_t named = HelloNonceSlot(sent);
  ASSERT_EQ(named, static_cast<uint32_t>(a->slot()));
  Publish(a.get(), NonceOf(2));  // the named slot moves on
  // The same bytes, ready to confirm, in another slot.
  const uint32_t other = (named + 5) % kHelloSlots;
  {
    SharedFile f;
    ASSERT_TRUE(OpenSharedFile(server_->hello_path(), true, nullptr, &f).ok());
    auto* s = reinterpret_cast<HelloSlot*>(f.base() + sizeof(HelloHeader)) + other;
    s->lease_ms = SystemClock().NowMs();
    std::memcpy(s->nonce, sent.data(), sizeof s->nonce);
    __atomic_store_n(&s->state, uint32_t{1} << 8 | kHelloNonceSet, __ATOMIC_RELEASE);
  }
  EXPECT_FALSE(server_->ConfirmNonce(sent)) << "confirmed in a slot the nonce does not name";
  const std::string bytes = harness::ReadFile(server_->hello_path());
  const auto* s = reinterpret_cast<const HelloSlot*>(bytes.data() + sizeof(HelloHeader)) + other;
  EXPECT_EQ(s->confirmation, 0u);
}

TEST_F(HelloTest, AClaimTakesASlotWhoseLeaseLiesFurtherAheadThanAnyClientWrites) {
  {
    SharedFile f;
    ASSERT_TRUE(OpenSharedFile(server_->hello_path(), true, nullptr, &f).ok());
    auto* slots = reinterpret_cast<HelloSlot*>(f.base() + sizeof(HelloHeader));
    for (uint32_t i = 0; i < kHelloSlots; ++i) {
      slots[i].state = uint32_t{7} << 8 | kHelloClaimed;
      slots[i].lease_ms = uint64_t{1} << 63;  // "mine forever"
    }
    // One slot claimed a moment ago by an honest client whose clock read
    // came a little after ours: its lease is in the near future, and live.
    slots[3].lease_ms = SystemClock().NowMs() + kHelloLeaseMs / 2;
  }
  std::vector<std::unique_ptr<HelloClient>> clients;
  for (uint32_t i = 0; i + 1 < kHelloSlots; ++i) {
    clients.push_back(Client());
    ASSERT_EQ(clients.back()->Claim(), 0) << "claim " << i;
    EXPECT_NE(clients.back()->slot(), 3) << "took a live slot";
  }
  auto last = Client();
  EXPECT_EQ(last->Claim(), -EBUSY) << "only the live slot is left";
}

TEST_F(HelloTest, RepairLeavesAnIntactFileAlone) {
  auto c = ClientWithNonce(1);
  // The file as the server sees it (read, never through a mapping).
  const std::string before = harness::ReadFile(server_->hello_path());
  EXPECT_EQ(server_->RepairHello(), "");
  EXPECT_EQ(harness::ReadFile(server_->hello_path()), before);
}

TEST_F(HelloTest, RepairRewritesAScribbledOrZeroedHeader) {
  for (const uint8_t fill : {uint8_t{0x00}, uint8_t{0xa5}}) {
    {
      SharedFile f;
      ASSERT_TRUE(OpenSharedFile(server_->hello_path(), true, nullptr, &f).ok());
      std::memset(f.base(), fill, sizeof(HelloHeader));
    }
    std::unique_ptr<HelloClient> refused;
    ASSERT_FALSE(HelloClient::Open(server_->hello_path(), geteuid(), &refused).ok());
    const std::string done = server_->RepairHello();
    EXPECT_NE(done.find("header rewritten"), std::string::npos) << done;
    Nonce sent;
    auto c = ClientWithNonce(1, &sent);
    ASSERT_NE(c, nullptr);
    EXPECT_TRUE(server_->ConfirmNonce(sent));
    InstanceId got;
    EXPECT_EQ(c->ReadConfirmation(&got), 1);
  }
}

TEST_F(HelloTest, RepairSetsATruncatedOrGrownFileBackToItsSize) {
  for (const off_t size : {off_t{0}, off_t{100}, static_cast<off_t>(kHelloTotalSize / 2),
                           static_cast<off_t>(kHelloTotalSize * 3)}) {
    ASSERT_EQ(truncate(server_->hello_path().c_str(), size), 0);
    const std::string done = server_->RepairHello();
    EXPECT_NE(done.find("set back to " + std::to_string(kHelloTotalSize)), std::string::npos)
        << size << ": " << done;
    EXPECT_EQ(harness::ReadFile(server_->hello_path()).size(), kHelloTotalSize);
    EXPECT_EQ(SlotsInUse().size(), 0u);  // and a valid header
    Nonce sent;
    auto c = ClientWithNonce(1, &sent);
    ASSERT_NE(c, nullptr);
    EXPECT_TRUE(server_->ConfirmNonce(sent)) << size;
    c.reset();
  }
}

TEST_F(HelloTest, RepairExpiresOnlyLeasesNoHonestClientWrote) {
  auto live = Client();
  ASSERT_EQ(live->Claim(), 0);
  const uint64_t now = SystemClock().NowMs();
  const uint64_t live_lease = SlotsInUse().at(0).lease_ms;
  {
    SharedFile f;
    ASSERT_TRUE(OpenSharedFile(server_->hello_path(), true, nullptr, &f).ok());
    auto* slots = reinterpret_cast<HelloSlot*>(f.base() + sizeof(HelloHeader));
    for (uint32_t i = 0; i < kHelloSlots; ++i) {
      if (static_cast<int>(i) == live->slot()) continue;
      slots[i].state = uint32_t{9} << 8 | kHelloNonceSet;
      slots[i].lease_ms = i % 2 ? uint64_t{1} << 63 : now + 2 * kHelloLeaseMs + i;
    }
    slots[10].lease_ms = now + kHelloLeaseMs / 2;  // a claim of a moment ago
  }
  const std::string done = server_->RepairHello();
  EXPECT_NE(done.find(std::to_string(kHelloSlots - 2) + " implausible lease(s) expired"),
            std::string::npos)
      << done;
  const std::vector<HelloSlotView> slots = SlotsInUse();
  ASSERT_EQ(slots.size(), kHelloSlots);
  for (const HelloSlotView& v : slots) {
    if (static_cast<int>(v.index) == live->slot()) {
      EXPECT_EQ(v.lease_ms, live_lease) << "the live client's lease was touched";
    } else if (v.index == 10) {
      EXPECT_EQ(v.lease_ms, now + kHelloLeaseMs / 2) << "a plausible lease was expired";
    } else {
      EXPECT_EQ(v.lease_ms, 0u) << "slot " << v.index;
      EXPECT_EQ(v.state, kHelloNonceSet) << "the server never writes the state";
    }
  }
  EXPECT_EQ(server_->RepairHello(), "") << "expired once";
}

TEST_F(HelloTest, AFileThatIsNotAHelloAreaIsRefused) {
  const std::string bogus = dir_.Path("bogus.hello");
  ASSERT_TRUE(harness::WriteFile(bogus, std::string(kHelloTotalSize, '\x5a')));
  std::unique_ptr<HelloClient> c;
  Status st = HelloClient::Open(bogus, geteuid(), &c);
  EXPECT_EQ(st.code, -EPROTO);
  EXPECT_NE(st.message.find("bad magic"), std::string::npos) << st.message;
}

}  // namespace
}  // namespace localio
