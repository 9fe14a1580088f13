// SPDX-License-Identifier: LGPL-3.0-or-later
#include "localio/localio_service.h"

#include <gtest/gtest.h>
#include <poll.h>

#include <cerrno>
#include <mutex>
#include <random>
#include <thread>
#include <vector>

#include "call_bytes.h"
#include "localio/localio_caller.h"
#include "raw_peer.h"

namespace localio::rpc {
namespace {

using namespace std::chrono_literals;
using testing::RawCall;
using testing::RawPeer;
using testing::SampleNonce;

// UUID_IS_LOCAL's arguments: SampleNonce().
std::vector<uint8_t> SampleNonceArgs() {
  const Nonce nonce = SampleNonce();
  return {nonce.begin(), nonce.end()};
}

class LocalioServiceTest : public ::testing::Test {
 protected:
  // `wrote`: WROTE's callback (none: WROTE is PROC_UNAVAIL).
  void StartService(LocalioServiceOptions options = {},
                    LocalioService::WroteCallback wrote = nullptr) {
    service_ = std::make_unique<LocalioService>(
        options,
        [this](const Nonce& nonce) {
          std::lock_guard<std::mutex> lock(mutex_);
          nonces_.push_back(nonce);
        },
        std::move(wrote));
    const Status status = service_->Start();
    ASSERT_TRUE(status.ok()) << status.message;
    ASSERT_NE(service_->port(), 0);
  }
  void SetUp() override {}
  void TearDown() override { if (service_) service_->Stop(); }

  std::vector<Nonce> Nonces() {
    std::lock_guard<std::mutex> lock(mutex_);
    return nonces_;
  }

  // Sends `raw` on a fresh connection and decodes the reply.
  std::optional<DecodedReply> Exchange(const RawCall& raw) {
    RawPeer peer(service_->port());
    EXPECT_TRUE(peer.connected());
    EXPECT_TRUE(peer.SendRecord(raw.Bytes()));
    reply_bytes_ = peer.ReceiveRecord();
    if (!reply_bytes_) return std::nullopt;
    auto reply = DecodeReply(*reply_bytes_);
    if (reply) {
      EXPECT_EQ(reply->xid, raw.xid);
    }
    return reply;
  }

  // A new connection, once the service has accepted its `n`th in all;
  // null when it could not connect or was not accepted.
  std::unique_ptr<RawPeer> Accepted(uint64_t n) {
    auto peer = std::make_unique<RawPeer>(service_->port());
    if (!peer->connected() || !Eventually([&] { return service_->counters().connections == n; }))
      return nullptr;
    return peer;
  }

  // Waits (bounded by 20 s, far beyond any wait on an idle machine, so that
  // a loaded CI machine does not fail it) until `done` holds; the service
  // works on its own thread.
  template <class Predicate>
  bool Eventually(Predicate done) {
    for (int i = 0; i < 4000; ++i) {
      if (done()) return true;
      std::this_thread::sleep_for(5ms);
    }
    return done();
  }

  std::unique_ptr<LocalioService> service_;
  std::optional<std::vector<uint8_t>> reply_bytes_;
  std::mutex mutex_;
  std::vector<Nonce> nonces_;
};

TEST_F(LocalioServiceTest, NullSucceeds) {
  StartService();
  const Status status = LocalioCaller().Null("127.0.0.1", service_->port());
  EXPECT_TRUE(status.ok()) << status.message;
  EXPECT_TRUE(Nonces().empty());
}

TEST_F(LocalioServiceTest, UuidIsLocalHandsTheExactNonceToTheCallback) {
  StartService();
  const LocalioCaller caller(ProcessAuthSys());
  const Status status = caller.UuidIsLocal("127.0.0.1", service_->port(), SampleNonce());
  ASSERT_TRUE(status.ok()) << status.message;
  ASSERT_EQ(Nonces().size(), 1u);
  EXPECT_EQ(Nonces()[0], SampleNonce());
  EXPECT_EQ(service_->counters().uuid_is_local_calls, 1u);
}

TEST_F(LocalioServiceTest, AuthNoneAndAuthSysAreBothAccepted) {
  StartService();
  RawCall raw;
  raw.proc = kLocalioProcUuidIsLocal;
  raw.args = SampleNonceArgs();
  auto reply = Exchange(raw);
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->accept_stat, AcceptStat::kSuccess);

  raw.cred_flavor = 1;
  raw.cred_body = testing::AuthSysBody(testing::SampleAuthSys());
  reply = Exchange(raw);
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->reply_stat, ReplyStat::kAccepted);
  EXPECT_EQ(reply->accept_stat, AcceptStat::kSuccess);
  EXPECT_EQ(Nonces().size(), 2u);
}

// A call the service refuses from its header alone (`edit` makes it from a
// valid NULL call), and its whole reply as DescribeReply says it: the reply,
// accept or reject stat and any mismatch range.
struct RefusedCall {
  const char* name;
  void (*edit)(RawCall&);
  const char* reply;
};

void PrintTo(const RefusedCall& call, std::ostream* os) { *os << call.name; }

class LocalioServiceRefusalTest : public LocalioServiceTest,
                                  public ::testing::WithParamInterface<RefusedCall> {};

TEST_P(LocalioServiceRefusalTest, RepliesWithTheErrorAndNeverReachesTheCallback) {
  StartService();
  RawCall raw;
  GetParam().edit(raw);
  const auto reply = Exchange(raw);
  ASSERT_TRUE(reply);
  EXPECT_EQ(DescribeReply(*reply), GetParam().reply);
  EXPECT_TRUE(Nonces().empty());
}

INSTANTIATE_TEST_SUITE_P(
    Header, LocalioServiceRefusalTest,
    ::testing::Values(
        RefusedCall{"WrongProgramIsProgUnavail", [](RawCall& c) { c.prog = 100003; },
                    "PROG_UNAVAIL"},
        RefusedCall{"WrongVersionIsProgMismatchOneToOne", [](RawCall& c) { c.vers = 2; },
                    "PROG_MISMATCH 1..1"},
        RefusedCall{"UnknownProcedureIsProcUnavail", [](RawCall& c) { c.proc = 2; },
                    "PROC_UNAVAIL"},
        RefusedCall{"OtherRpcVersionIsDeniedWithRpcMismatch", [](RawCall& c) { c.rpcvers = 4; },
                    "MSG_DENIED RPC_MISMATCH 2..2"},
        RefusedCall{"UnknownFlavourIsDeniedWithBadCred",
                    [](RawCall& c) {
                      c.proc = kLocalioProcUuidIsLocal;
                      c.cred_flavor = 6;  // RPCSEC_GSS
                      c.cred_body = {0, 0, 0, 1};
                      c.args = SampleNonceArgs();
                    },
                    "MSG_DENIED AUTH_ERROR AUTH_BADCRED"}));

TEST_F(LocalioServiceTest, WroteHandsEveryHandleToTheCallbackAndReturnsItsResult) {
  std::vector<std::pair<uint16_t, std::vector<uint8_t>>> seen;
  StartService({}, [&](const WroteArgs& args) {
    for (std::span<const uint8_t> h : args.handles)
      seen.emplace_back(args.export_id, std::vector<uint8_t>(h.begin(), h.end()));
    return uint32_t{ENOENT};
  });
  const std::vector<uint8_t> a(20, 0xa1), b(kMapMaxHandleLen, 0xb2);
  const std::span<const uint8_t> handles[] = {a, b};
  uint32_t result = 0;
  RpcConnection connection("127.0.0.1", service_->port());
  const Status st = LocalioCaller().Wrote(&connection, 77, handles, &result);
  ASSERT_TRUE(st.ok()) << st.message;
  EXPECT_EQ(result, uint32_t{ENOENT});
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0], std::make_pair(uint16_t{77}, a));
  EXPECT_EQ(seen[1], std::make_pair(uint16_t{77}, b));
  EXPECT_EQ(service_->counters().wrote_calls, 1u);
  // The connection stays for the next call.
  EXPECT_TRUE(connection.connected());
  ASSERT_TRUE(LocalioCaller().Wrote(&connection, 78, handles, &result).ok());
  EXPECT_EQ(service_->counters().connections, 1u);
  EXPECT_EQ(service_->counters().wrote_calls, 2u);
}

TEST_F(LocalioServiceTest, AKeptConnectionTheServiceClosedIsOpenedAgainAtTheNextCall) {
  LocalioServiceOptions options;
  options.idle_timeout = 50ms;
  StartService(options, [](const WroteArgs&) { return kWroteOk; });
  const std::vector<uint8_t> a(20, 0xa1);
  const std::span<const uint8_t> handles[] = {a};
  uint32_t result = 1;
  RpcConnection connection("127.0.0.1", service_->port());
  ASSERT_TRUE(LocalioCaller().Wrote(&connection, 1, handles, &result).ok());
  ASSERT_TRUE(Eventually([&] { return service_->counters().open_connections == 0; }));
  // The first call after the close fails (and closes our end), the next
  // connects again: a caller retries once.
  Status st = LocalioCaller().Wrote(&connection, 1, handles, &result);
  if (!st.ok()) {
    EXPECT_FALSE(connection.connected()) << st.message;
    st = LocalioCaller().Wrote(&connection, 1, handles, &result);
  }
  ASSERT_TRUE(st.ok()) << st.message;
  EXPECT_EQ(result, kWroteOk);
  EXPECT_EQ(service_->counters().connections, 2u);
}

TEST_F(LocalioServiceTest, WroteWithoutACallbackIsProcUnavail) {
  StartService();
  const std::vector<uint8_t> a(20, 0xa1);
  const std::span<const uint8_t> handles[] = {a};
  uint32_t result = 0;
  RpcConnection connection("127.0.0.1", service_->port());
  const Status st = LocalioCaller().Wrote(&connection, 1, handles, &result);
  EXPECT_EQ(st.code, -EOPNOTSUPP) << st.message;
}

TEST_F(LocalioServiceTest, MalformedWroteIsGarbageArgsAndNeverReachesTheCallback) {
  int calls = 0;
  StartService({}, [&](const WroteArgs&) {
    ++calls;
    return kWroteOk;
  });
  auto encode = [](uint32_t export_id, uint32_t count, std::vector<std::vector<uint8_t>> hs) {
    XdrEncoder e;
    e.U32(export_id);
    e.U32(count);
    for (const auto& h : hs) {
      e.U32(static_cast<uint32_t>(h.size()));
      e.FixedOpaque(h);
    }
    return std::vector<uint8_t>(e.bytes().begin(), e.bytes().end());
  };
  const std::vector<uint8_t> h(20, 1);
  const std::vector<std::vector<uint8_t>> bad = {
      encode(0x10000, 1, {h}),                                  // export id beyond 16 bits
      encode(1, kWroteMaxHandles + 1,
             std::vector<std::vector<uint8_t>>(kWroteMaxHandles + 1, h)),  // too many
      encode(1, 1, {std::vector<uint8_t>(kMapMaxHandleLen + 1, 1)}),  // handle too long
      encode(1, 1, {std::vector<uint8_t>()}),                   // empty handle
      encode(1, 2, {h}),                                        // fewer than counted
  };
  for (size_t i = 0; i < bad.size(); ++i) {
    RawCall raw;
    raw.proc = kLocalioProcWrote;
    raw.args = bad[i];
    const auto reply = Exchange(raw);
    ASSERT_TRUE(reply) << i;
    EXPECT_EQ(reply->accept_stat, AcceptStat::kGarbageArgs) << i;
  }
  EXPECT_EQ(calls, 0);
}

TEST_F(LocalioServiceTest, ShortOrLongNonceIsGarbageArgsAndNeverReachesTheCallback) {
  StartService();
  for (size_t size : {0u, 12u, 20u}) {
    RawCall raw;
    raw.proc = kLocalioProcUuidIsLocal;
    raw.args.assign(size, 0x55);
    const auto reply = Exchange(raw);
    ASSERT_TRUE(reply) << size;
    EXPECT_EQ(reply->accept_stat, AcceptStat::kGarbageArgs) << size;
  }
  EXPECT_TRUE(Nonces().empty());
}

TEST_F(LocalioServiceTest, RequiredAuthSysMakesAuthNoneTooWeakForUuidIsLocalOnly) {
  LocalioServiceOptions options;
  options.require_auth_sys = true;
  StartService(options);
  const Status weak = LocalioCaller().UuidIsLocal("127.0.0.1", service_->port(), SampleNonce());
  EXPECT_EQ(weak.code, -EACCES);
  EXPECT_NE(weak.message.find("AUTH_TOOWEAK"), std::string::npos) << weak.message;
  EXPECT_TRUE(LocalioCaller().Null("127.0.0.1", service_->port()).ok());
  EXPECT_TRUE(LocalioCaller(ProcessAuthSys()).UuidIsLocal("127.0.0.1", service_->port(), SampleNonce()).ok());
  EXPECT_EQ(Nonces().size(), 1u);
}

TEST_F(LocalioServiceTest, UnparsableRecordClosesTheConnection) {
  StartService();
  RawPeer peer(service_->port());
  XdrEncoder reply;  // a REPLY where a CALL belongs
  EncodeAcceptedReply(1, AcceptStat::kSuccess, &reply);
  ASSERT_TRUE(peer.SendRecord(reply.bytes()));
  EXPECT_TRUE(peer.ClosedByServer());
  EXPECT_TRUE(Eventually([&] { return service_->counters().rejected_records == 1; }));
}

TEST_F(LocalioServiceTest, OversizedRecordClosesTheConnection) {
  StartService();
  RawPeer peer(service_->port());
  std::vector<uint8_t> big(8192, 0);
  ASSERT_TRUE(peer.SendRecord(big));  // over the default 4 KiB
  EXPECT_TRUE(peer.ClosedByServer());
}

TEST_F(LocalioServiceTest, PipelinedCallsAreAnsweredInOrder) {
  StartService();
  RawPeer peer(service_->port());
  std::vector<uint8_t> wire;
  for (uint32_t xid = 100; xid < 105; ++xid) {
    RawCall raw;
    raw.xid = xid;
    FrameRecord(raw.Bytes(), &wire, 7);  // small fragments too
  }
  ASSERT_TRUE(peer.Send(wire));
  for (uint32_t xid = 100; xid < 105; ++xid) {
    const auto bytes = peer.ReceiveRecord();
    ASSERT_TRUE(bytes);
    const auto reply = DecodeReply(*bytes);
    ASSERT_TRUE(reply);
    EXPECT_EQ(reply->xid, xid);
    EXPECT_EQ(reply->accept_stat, AcceptStat::kSuccess);
  }
}

// A peer that pipelines calls and reads no replies: once its replies fill
// the socket, the listener stops reading it (rather than holding its
// replies, or closing it), others are served meanwhile, and once it reads,
// every call it sent is answered, in order.
TEST_F(LocalioServiceTest, APeerThatReadsNoRepliesIsNotReadUntilItDoesAndLosesNoCall) {
  StartService();
  RawPeer slow(service_->port(), 4096);  // its replies back up soon
  ASSERT_TRUE(slow.connected());
  std::vector<uint8_t> wire;
  size_t record_size = 0;
  for (uint32_t xid = 0; xid < 400000; ++xid) {
    RawCall raw;
    raw.xid = xid;
    const size_t before = wire.size();
    FrameRecord(raw.Bytes(), &wire);
    record_size = wire.size() - before;
  }
  // Sends until the listener takes no more (for a second) or gives up.
  size_t sent = 0;
  while (sent < wire.size()) {
    sent += slow.SendWithoutBlocking(std::span(wire).subspan(sent));
    pollfd p{slow.fd(), POLLOUT, 0};
    if (poll(&p, 1, 1000) <= 0 || (p.revents & (POLLERR | POLLHUP))) break;
  }
  ASSERT_LT(sent, wire.size()) << "the listener read every call while none was answered";
  const size_t calls = sent / record_size;  // the last one may be cut
  ASSERT_GT(calls, 1000u);

  EXPECT_TRUE(LocalioCaller().Null("127.0.0.1", service_->port(), 2000ms).ok());

  for (uint32_t xid = 0; xid < calls; ++xid) {
    const auto bytes = slow.ReceiveRecord();
    ASSERT_TRUE(bytes) << "reply " << xid << " of " << calls << " never came";
    const auto reply = DecodeReply(*bytes);
    ASSERT_TRUE(reply);
    ASSERT_EQ(reply->xid, xid);
  }
}

TEST_F(LocalioServiceTest, ServiceSurvivesTwoThousandMalformedRecords) {
  StartService();
  std::mt19937 random(1234);
  auto byte = [&] { return static_cast<uint8_t>(random()); };
  const std::vector<uint8_t> valid = [] {
    RawCall raw;
    raw.proc = kLocalioProcUuidIsLocal;
    raw.cred_flavor = 1;
    raw.cred_body = testing::AuthSysBody(testing::SampleAuthSys());
    raw.args = SampleNonceArgs();
    return raw.Bytes();
  }();
  int sent = 0;
  uint64_t connections = 0;
  for (int connection = 0; sent < 2000; ++connection, ++connections) {
    RawPeer peer(service_->port());
    ASSERT_TRUE(peer.connected()) << "connection " << connection;
    std::vector<uint8_t> wire;
    for (int i = 0; i < 5; ++i, ++sent) {
      switch ((connection + i) % 4) {
        case 0: {  // random bytes as a record
          std::vector<uint8_t> junk(random() % 200);
          for (auto& b : junk) b = byte();
          FrameRecord(junk, &wire, 1 + random() % 64);
          break;
        }
        case 1: {  // a huge fragment length
          const uint32_t mark = static_cast<uint32_t>(random()) | 0x00100000u;
          for (int shift = 24; shift >= 0; shift -= 8)
            wire.push_back(static_cast<uint8_t>(mark >> shift));
          break;
        }
        case 2: {  // a valid call truncated inside its header, then framed
          const size_t cut = random() % 40;
          FrameRecord(std::span(valid).first(cut), &wire);
          break;
        }
        case 3: {  // a valid call with random bytes flipped
          std::vector<uint8_t> bent = valid;
          for (int flips = 0; flips < 3; ++flips) bent[random() % bent.size()] = byte();
          FrameRecord(bent, &wire);
          break;
        }
      }
    }
    if (connection % 3 == 0) wire.resize(wire.size() - wire.size() / 3);  // cut mid-stream
    peer.Send(wire);  // the server may close early: errors are expected
  }
  // Every malformed connection was served to its end (and closed) before
  // the valid call: none of their records is still queued behind it.
  ASSERT_TRUE(Eventually([&] {
    const LocalioServiceCounters c = service_->counters();
    return c.connections == connections && c.open_connections == 0;
  }));
  // Some bent calls stay valid (a flipped stamp or nonce byte): count from here.
  const size_t nonces_before = Nonces().size();
  const Status status = LocalioCaller(ProcessAuthSys())
                            .UuidIsLocal("127.0.0.1", service_->port(), SampleNonce(), 10s);
  EXPECT_TRUE(status.ok()) << status.message;
  ASSERT_EQ(Nonces().size(), nonces_before + 1);
  EXPECT_EQ(Nonces().back(), SampleNonce());
  EXPECT_GT(service_->counters().rejected_records, 100u);
}

// A NULL call on `peer`, answered?
bool Answered(RawPeer* peer, uint32_t xid) {
  RawCall raw;
  raw.xid = xid;
  if (!peer->SendRecord(raw.Bytes())) return false;
  const auto bytes = peer->ReceiveRecord();
  const auto reply = bytes ? DecodeReply(*bytes) : std::nullopt;
  return reply && reply->xid == xid;
}

// A peer's new connection is served at once; its least recently active one
// is parked (held, not read) and served again once a slot frees.
TEST_F(LocalioServiceTest, APeerBeyondItsLimitHasItsIdlestConnectionParkedUntilASlotFrees) {
  LocalioServiceOptions options;
  options.max_connections = 8;
  options.max_connections_per_peer = 2;  // this process's uid is one peer
  StartService(options);
  std::unique_ptr<RawPeer> first = Accepted(1), second = Accepted(2), third = Accepted(3);
  ASSERT_TRUE(first && second && third);
  ASSERT_TRUE(Eventually([&] { return service_->counters().parked_connections == 1; }));
  EXPECT_TRUE(Answered(third.get(), 3)) << "the newest connection is served";
  EXPECT_TRUE(Answered(second.get(), 2));
  RawCall raw;
  raw.xid = 1;
  ASSERT_TRUE(first->SendRecord(raw.Bytes()));  // parked: waits
  third.reset();  // a served one closes
  const auto bytes = first->ReceiveRecord();
  ASSERT_TRUE(bytes) << "the parked connection was never served again";
  EXPECT_EQ(DecodeReply(*bytes)->xid, 1u);
  EXPECT_EQ(service_->counters().connections_evicted, 0u) << "nothing is closed for the limits";
}

// Beyond max_connections the peer serving the most has one parked, even
// when another peer's connection is older and idler.
TEST_F(LocalioServiceTest, BeyondTheLimitThePeerServingTheMostHasOneParked) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root to connect as another uid";
  LocalioServiceOptions options;
  options.max_connections = 4;
  StartService(options);
  std::unique_ptr<RawPeer> first = Accepted(1);  // this uid's, oldest and idle
  ASSERT_TRUE(first);
  testing::ConnectionsOfAnotherUid others(1001, service_->port(), 5);
  ASSERT_TRUE(others.connected());
  ASSERT_TRUE(Eventually([&] { return service_->counters().connections == 6; }));
  ASSERT_TRUE(Eventually([&] { return service_->counters().parked_connections == 2; }));
  EXPECT_TRUE(Answered(first.get(), 7)) << "the idlest connection was parked, but its peer has one";
}

// Parked connections are bounded: beyond, the peer holding the most parked
// loses its oldest.
TEST_F(LocalioServiceTest, BeyondTheParkedLimitTheOldestParkedConnectionCloses) {
  LocalioServiceOptions options;
  options.max_connections = 1;
  options.max_parked_connections = 2;
  StartService(options);
  std::vector<std::unique_ptr<RawPeer>> peers;
  for (uint64_t i = 1; i <= 5; ++i) {
    peers.push_back(Accepted(i));
    ASSERT_TRUE(peers.back());
  }
  ASSERT_TRUE(Eventually([&] { return service_->counters().connections_evicted == 2; }));
  EXPECT_TRUE(peers[0]->ClosedByServer());
  EXPECT_TRUE(peers[1]->ClosedByServer());
  EXPECT_FALSE(peers[2]->ClosedByServer(50));
  EXPECT_EQ(service_->counters().open_connections, 3u);
  EXPECT_EQ(service_->counters().parked_connections, 2u);
  EXPECT_TRUE(Answered(peers[4].get(), 5));
}

TEST_F(LocalioServiceTest, IdleConnectionsAreClosed) {
  LocalioServiceOptions options;
  options.idle_timeout = 50ms;
  StartService(options);
  RawPeer peer(service_->port());
  ASSERT_TRUE(peer.connected());
  EXPECT_TRUE(peer.ClosedByServer(2000));
}

TEST_F(LocalioServiceTest, StopClosesConnectedClientsAndIsIdempotent) {
  StartService();
  RawPeer idle(service_->port());
  RawPeer partial(service_->port());
  ASSERT_TRUE(partial.Send(std::vector<uint8_t>{0x80, 0, 0, 40, 1, 2}));  // half a record
  ASSERT_TRUE(Eventually([&] { return service_->counters().open_connections == 2; }));
  service_->Stop();
  EXPECT_TRUE(idle.ClosedByServer());
  EXPECT_TRUE(partial.ClosedByServer());
  service_->Stop();
  EXPECT_EQ(service_->counters().open_connections, 0u);
  EXPECT_FALSE(LocalioCaller().Null("127.0.0.1", service_->port()).ok());
}

TEST_F(LocalioServiceTest, BusyPortIsNamedInTheError) {
  StartService();
  LocalioServiceOptions options;
  options.port = service_->port();
  LocalioService second(options, nullptr);
  const Status status = second.Start();
  EXPECT_EQ(status.code, -EADDRINUSE);
  const std::string expected = "LOCALIO Port " + std::to_string(service_->port()) + ": address in use";
  EXPECT_NE(status.message.find(expected), std::string::npos) << status.message;
  second.Stop();
}

TEST_F(LocalioServiceTest, BadBindAddressIsRefused) {
  LocalioServiceOptions options;
  options.bind_address = "not-an-address";
  LocalioService service(options, nullptr);
  const Status status = service.Start();
  EXPECT_EQ(status.code, -EINVAL);
  EXPECT_NE(status.message.find("not-an-address"), std::string::npos);
}

TEST(LocalioCaller, NothingListeningIsConnectionRefused) {
  uint16_t port = 0;
  {  // an ephemeral port that nobody listens on once this service stops
    LocalioService service({}, nullptr);
    ASSERT_TRUE(service.Start().ok());
    port = service.port();
  }
  const Status status = LocalioCaller().Null("127.0.0.1", port);
  EXPECT_EQ(status.code, -ECONNREFUSED) << status.message;
  EXPECT_NE(status.message.find("127.0.0.1:" + std::to_string(port)), std::string::npos);
}

TEST(LocalioCaller, SilentServerTimesOut) {
  // A listener that never accepts: the connection completes in the
  // backlog, the reply never comes.
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(listen(fd, 4), 0);
  socklen_t len = sizeof addr;
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  const Status status = LocalioCaller().Null("127.0.0.1", ntohs(addr.sin_port), 50ms);
  EXPECT_EQ(status.code, -ETIMEDOUT) << status.message;
  close(fd);
}

TEST(LocalioCaller, BadAddressIsInvalid) {
  EXPECT_EQ(LocalioCaller().Null("localhost.invalid", 1).code, -EINVAL);
}

TEST(LocalioCaller, ProcessAuthSysFitsTheBounds) {
  const Credential cred = ProcessAuthSys();
  EXPECT_EQ(cred.flavor, AuthFlavor::kSys);
  EXPECT_EQ(cred.sys.uid, geteuid());
  EXPECT_LE(cred.sys.gids.size(), kMaxAuthSysGids);
  EXPECT_LE(cred.sys.machine_name.size(), kMaxMachineName);
}

}  // namespace
}  // namespace localio::rpc
