// SPDX-License-Identifier: LGPL-3.0-or-later
// The server dies under a client that holds a local fd (kill -9) and comes
// back (a new instance, a new map renamed into place): the next I/O falls
// back to RPC with the reason "server_changed", the client re-handshakes
// after its backoff and bypasses again, and every read in between gives
// the file's data. Prints how long each step took.
#include <gtest/gtest.h>
#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <thread>

#include "client.h"  // Client::kMapCheckEveryMs
#include "harness/clock.h"
#include "harness/files.h"
#include "harness/gtest_support.h"
#include "safety_support.h"

namespace localio::harness {
namespace {

using std::chrono::milliseconds;
using std::chrono::steady_clock;

constexpr uint16_t kExport = 1;

long long MsSince(steady_clock::time_point t) {
  return std::chrono::duration_cast<milliseconds>(steady_clock::now() - t).count();
}

class SafetyRestart : public OneExportServerTest {
 protected:
  // kill -9 and restart under a client with a local fd, NFS version `v`.
  void RestartUnderAClient(int v);
  // The same for a client that only reads with localio_pread_async.
  void RestartUnderAnAsyncClient(int v);

  // A LOCALIO client, and a plain client with the same file open: what the
  // wire says after the restart (NFSv4 opens do not survive it: libnfs 4.0
  // reclaims nothing).
  struct Clients {
    std::unique_ptr<LocalioMount> m;
    std::unique_ptr<NfsSession> plain;
    nfsfh* fh = nullptr;
    nfsfh* pfh = nullptr;
    localio_counters before{};  // after the first read, which bypassed
    std::string data;  // the file's
  };
  // Writes `size` bytes of Pattern(name) to export file `name`, mounts both
  // clients (NFS version `v`; the LOCALIO one on `clock`), opens it in each
  // (`flags` for the LOCALIO one), and reads it all once through the bypass
  // (localio_pread, or localio_pread_async).
  void OpenBypassing(const std::string& name, size_t size, int v, int flags, bool async,
                     Clients* c, const Clock& clock = SystemClock());
};

void SafetyRestart::OpenBypassing(const std::string& name, size_t size, int v, int flags,
                                  bool async, Clients* c, const Clock& clock) {
  c->data = Pattern(name, size);
  const std::string& data = c->data;
  ASSERT_TRUE(WriteLocalFile(server_->ExportDir(kExport) + "/" + name, data).ok());
  Status s = MountLocalAndPlain(*server_, kExport, v, &c->m, &c->plain, clock);
  ASSERT_TRUE(s.ok()) << s.message;
  ASSERT_EQ(localio_open(c->m->ctx(), ("/" + name).c_str(), flags, &c->fh), 0) << c->m->Error();
  ASSERT_EQ(nfs_open(c->plain->context(), ("/" + name).c_str(), O_RDONLY, &c->pfh), 0);
  const ReadOutcome got = async ? ReadThroughLocalioAsync(c->m->ctx(), c->fh)
                                : ReadThroughLocalio(c->m->ctx(), c->fh);
  ASSERT_EQ(got, (ReadOutcome{0, data})) << c->m->Error();
  c->before = c->m->Counters();
  ASSERT_GE(c->before.read_ops, 1u) << "not bypassing before the restart: " << Describe(c->before);
}

void SafetyRestart::RestartUnderAClient(int v) {
  const std::string name = "restart-v" + std::to_string(v);
  const std::string path = server_->ExportDir(kExport) + "/" + name;
  Clients clients;
  ASSERT_NO_FATAL_FAILURE(OpenBypassing(name, 50000, v, O_RDWR, /*async=*/false, &clients));
  auto& [m, plain, fh, pfh, before, data] = clients;

  const auto kill_at = steady_clock::now();
  server_->Kill9();
  Status s = server_->Restart();
  ASSERT_TRUE(s.ok()) << s.message;
  const long long restart_ms = MsSince(kill_at);

  // Until the client notices (at most ~100 ms after the new map appears),
  // reads may still come from the local fd: the same inode, the right
  // data. Once it noticed, every read gives what the wire gives.
  const auto back_at = steady_clock::now();
  long long noticed_ms = -1;
  int bypassed_meanwhile = 0;
  while (MsSince(back_at) < 3000) {
    const uint64_t reads = m->Counters().read_ops;
    const ReadOutcome got = ReadThroughLocalio(m->ctx(), fh);
    if (m->Counters().fallbacks[LOCALIO_FALLBACK_SERVER_CHANGED] > 0) {
      noticed_ms = MsSince(back_at);
      // The rest of this read may bypass again, but only through a new
      // session (the new map is already there, so the client handshakes at
      // once) and, for the old open, after an RPC read honoured it.
      EXPECT_TRUE(m->Counters().read_ops == reads ||
                  m->Counters().handshakes_ok > before.handshakes_ok)
          << "bypassed after noticing, without a new handshake: " << Describe(m->Counters());
      EXPECT_EQ(got, ReadThroughRpc(plain->context(), pfh)) << m->Error();
      break;
    }
    ++bypassed_meanwhile;
    ASSERT_EQ(got, (ReadOutcome{0, data})) << "a bypassed read before noticing";
    std::this_thread::sleep_for(milliseconds(10));
  }
  ASSERT_GE(noticed_ms, 0) << "never noticed the restart: " << Describe(m->Counters());

  // Re-handshake once the new map is seen. The open from before the restart
  // bypasses again only once the wire honoured it (NFSv3: the next RPC
  // read; NFSv4: never, its state is gone); until then, and for NFSv4
  // after, the same answer as the plain client's.
  long long local_ms = -1, bypass_ms = -1;
  while (MsSince(back_at) < 10000 && bypass_ms < 0) {
    const ReadOutcome rpc = ReadThroughRpc(plain->context(), pfh);
    const uint64_t reads = m->Counters().read_ops;
    const ReadOutcome got = ReadThroughLocalio(m->ctx(), fh);
    if (m->Counters().read_ops > reads) {
      bypass_ms = MsSince(back_at);
      EXPECT_EQ(got, (ReadOutcome{0, data})) << "the bypass is back with other data";
    } else {
      ASSERT_EQ(got, rpc) << "a read while the client comes back differs from RPC's";
    }
    if (local_ms < 0 && localio_is_local(m->ctx()) == 1) local_ms = MsSince(back_at);
    if (v == 4 && local_ms >= 0 && MsSince(back_at) > local_ms + 300) break;
    std::this_thread::sleep_for(milliseconds(50));
  }
  localio_counters c = m->Counters();
  std::printf("NFSv%d: kill -9 + restart %lld ms; %d reads from the old fd, then fallback "
              "(server_changed) %lld ms after the restart; handshake again at %lld ms; the old "
              "open bypasses again at %lld ms; %s\n",
              v, restart_ms, bypassed_meanwhile, noticed_ms, local_ms, bypass_ms,
              Describe(c).c_str());
  ASSERT_GE(local_ms, 0) << "never local again: " << m->Error();
  EXPECT_EQ(c.handshakes_ok, 2u);
  if (v == 3) {
    EXPECT_GE(bypass_ms, 0) << "a v3 open never bypassed again";
  } else {
    EXPECT_LT(bypass_ms, 0) << "a v4 open the server forgot was served locally";
    // libnfs 4.0 never renews its NFSv4 client id: the context cannot open
    // anything on the new instance, through either client alike.
    EXPECT_EQ(localio_close(m->ctx(), fh), nfs_close(plain->context(), pfh));
    pfh = nullptr;
    fh = nullptr;
    nfsfh* again = nullptr;
    const int rpc_open = nfs_open(plain->context(), ("/" + name).c_str(), O_RDONLY, &again);
    if (again != nullptr) nfs_close(plain->context(), again);
    const int open = localio_open(m->ctx(), ("/" + name).c_str(), O_RDWR, &fh);
    std::printf("NFSv4: open on the old context after the restart: plain libnfs %d, localio %d\n",
                rpc_open, open);
    EXPECT_EQ(open, rpc_open) << m->Error();
    if (fh != nullptr) localio_close(m->ctx(), fh);
    // A new mount is the new instance's client: it bypasses.
    m.reset();
    s = LocalioMount::Attach(server_->Url(kExport, v, ""), ConfigWithMap(server_->map_path()),
                             &m);
    ASSERT_TRUE(s.ok()) << s.message;
    ASSERT_EQ(localio_is_local(m->ctx()), 1) << m->Error();
    ASSERT_EQ(localio_open(m->ctx(), ("/" + name).c_str(), O_RDWR, &fh), 0) << m->Error();
    EXPECT_EQ(ReadThroughLocalio(m->ctx(), fh), (ReadOutcome{0, data})) << m->Error();
    EXPECT_GE(m->Counters().read_ops, 1u) << Describe(m->Counters());
  }

  // Writes bypass on the new session and land in the file.
  const std::string update = Pattern("after the restart", 3000);
  const localio_counters w0 = m->Counters();
  ASSERT_EQ(WriteThroughLocalio(m->ctx(), fh, 1000, update), 0) << m->Error();
  EXPECT_EQ(m->Counters().write_ops, w0.write_ops + WriteCalls(update.size()))
      << Describe(m->Counters());
  ASSERT_EQ(localio_close(m->ctx(), fh), 0) << m->Error();
  if (pfh != nullptr) nfs_close(plain->context(), pfh);
  std::string want = data;
  want.replace(1000, update.size(), update);
  EXPECT_TRUE(ReadFile(path) == want);
}

void SafetyRestart::RestartUnderAnAsyncClient(int v) {
  Clients clients;
  ASSERT_NO_FATAL_FAILURE(OpenBypassing("restart-async-v" + std::to_string(v), 50000, v,
                                        O_RDONLY, /*async=*/true, &clients));
  auto& [m, plain, fh, pfh, before, data] = clients;

  server_->Kill9();
  Status s = server_->Restart();
  ASSERT_TRUE(s.ok()) << s.message;

  // Until the client notices, reads may come from the old local fd (the
  // same inode); after, each gives what the wire gives, until an async RPC
  // read honoured the old open on the new instance (NFSv3; never NFSv4)
  // and the new session serves it again.
  const auto back_at = steady_clock::now();
  long long local_ms = -1, bypass_ms = -1;
  bool noticed = false;
  while (MsSince(back_at) < 10000 && bypass_ms < 0) {
    const ReadOutcome rpc = ReadThroughRpc(plain->context(), pfh);
    const localio_counters c0 = m->Counters();
    const ReadOutcome got = ReadThroughLocalioAsync(m->ctx(), fh);
    const localio_counters c = m->Counters();
    const bool bypassed = c.read_ops > c0.read_ops;
    if (!noticed && c.fallbacks[LOCALIO_FALLBACK_SERVER_CHANGED] > 0) {
      noticed = true;
    } else if (!noticed) {
      ASSERT_EQ(got, (ReadOutcome{0, data})) << "a bypassed read before noticing";
    } else if (bypassed && c0.handshakes_ok > before.handshakes_ok) {
      bypass_ms = MsSince(back_at);
      EXPECT_EQ(got, (ReadOutcome{0, data})) << "the bypass is back with other data";
    } else {
      ASSERT_FALSE(bypassed) << "bypassed after noticing, without a new handshake: "
                             << Describe(c);
      // libnfs 4.0 fails an async NFSv4 READ with another errno than the
      // sync call (-EFAULT, not -EIO): a failure matches a failure.
      if (rpc.rc < 0)
        ASSERT_LT(got.rc, 0) << "a read RPC fails was answered";
      else
        ASSERT_EQ(got, rpc) << "a read while the client comes back differs from RPC's";
    }
    if (local_ms < 0 && localio_is_local(m->ctx()) == 1 && c.handshakes_ok > before.handshakes_ok)
      local_ms = MsSince(back_at);
    if (v == 4 && local_ms >= 0 && MsSince(back_at) > local_ms + 300) break;
    std::this_thread::sleep_for(milliseconds(50));
  }
  std::printf("NFSv%d async: handshake again at %lld ms; the old open bypasses again at %lld ms; "
              "%s\n",
              v, local_ms, bypass_ms, Describe(m->Counters()).c_str());
  ASSERT_TRUE(noticed) << "never noticed the restart: " << Describe(m->Counters());
  ASSERT_GE(local_ms, 0) << "never local again: " << m->Error();
  if (v == 3)
    EXPECT_GE(bypass_ms, 0) << "a v3 open read asynchronously never bypassed again";
  else
    EXPECT_LT(bypass_ms, 0) << "a v4 open the server forgot was served locally";
  EXPECT_EQ(localio_close(m->ctx(), fh), nfs_close(plain->context(), pfh));
}

TEST_F(SafetyRestart, NFSv3ClientFallsBackOnRestartAndReturns) { RestartUnderAClient(3); }
TEST_F(SafetyRestart, NFSv4ClientFallsBackOnRestartAndReturns) { RestartUnderAClient(4); }
TEST_F(SafetyRestart, NFSv3AsyncClientFallsBackOnRestartAndReturns) {
  RestartUnderAnAsyncClient(3);
}
TEST_F(SafetyRestart, NFSv4AsyncClientFallsBackOnRestartAndReturns) {
  RestartUnderAnAsyncClient(4);
}

// The client's periods run on its clock (localio/clock.h): here one that
// stands still unless the test moves it. Moved a minute on, the server's
// heartbeat (real, still beating) is stale to the client: the next read
// drops the session and goes by RPC; handshakes are tried again after 1 s,
// 1 s, 2 s, 4 s of that clock, never a millisecond sooner, and each fails
// on the stale heartbeat. No real wait: a client that read another clock
// would never see the heartbeat go stale.
TEST_F(SafetyRestart, StaleHeartbeatAndBackoffRunOnTheClientsClock) {
  ManualClock clock;
  Clients clients;
  ASSERT_NO_FATAL_FAILURE(
      OpenBypassing("client-clock", 8192, 3, O_RDONLY, /*async=*/false, &clients, clock));
  LocalioMount& m = *clients.m;
  // Every read gives the file, served locally or not.
  const auto read = [&] { return ReadThroughLocalio(m.ctx(), clients.fh); };
  const ReadOutcome file{0, clients.data};

  clock.Advance(60000);
  const localio_counters at_drop = m.Counters();
  ASSERT_EQ(read(), file) << m.Error();
  localio_counters c = m.Counters();
  EXPECT_EQ(c.read_ops, at_drop.read_ops) << "served locally past a stale heartbeat";
  EXPECT_GT(c.fallbacks[LOCALIO_FALLBACK_SERVER_CHANGED],
            at_drop.fallbacks[LOCALIO_FALLBACK_SERVER_CHANGED]) << Describe(c);
  EXPECT_EQ(localio_is_local(m.ctx()), 0);
  EXPECT_NE(m.Error().find("heartbeat"), std::string::npos) << m.Error();

  // A read at every step: one millisecond before the wait ends no
  // handshake is tried, at its end one is.
  uint64_t tries = c.handshakes;
  for (const uint64_t wait : {1000u, 1000u, 2000u, 4000u}) {
    clock.Advance(wait - 1);
    ASSERT_EQ(read(), file) << m.Error();
    EXPECT_EQ(m.Counters().handshakes, tries) << "tried before its " << wait << " ms backoff";
    clock.Advance(1);
    ASSERT_EQ(read(), file) << m.Error();
    EXPECT_EQ(m.Counters().handshakes, ++tries) << "not tried after its " << wait << " ms";
    EXPECT_NE(m.Error().find("heartbeat"), std::string::npos) << m.Error();
  }
  c = m.Counters();
  EXPECT_EQ(c.handshakes_ok, 1u) << Describe(c);
  EXPECT_EQ(c.read_ops, at_drop.read_ops) << Describe(c);
  EXPECT_EQ(localio_close(m.ctx(), clients.fh), 0) << m.Error();
  nfs_close(clients.plain->context(), clients.pfh);
}

// The read that notices the restart goes through libnfs carrying the
// proof of its open; the application detaches before it completes. libnfs
// still runs the callback (from nfs_service on the bare context), with the
// data, and nothing of the detached client is touched.
TEST_F(SafetyRestart, DetachWhileAnAsyncReadProvingAnOpenIsInFlight) {
  AheadClock clock;
  Clients clients;
  ASSERT_NO_FATAL_FAILURE(
      OpenBypassing("restart-detach", 20000, 3, O_RDONLY, /*async=*/true, &clients, clock));
  auto& [m, plain, fh, pfh, before, data] = clients;

  server_->Kill9();
  const Status s = server_->Restart();
  ASSERT_TRUE(s.ok()) << s.message;
  // Past the client's map check period: the next I/O notices.
  clock.Advance(client::Client::kMapCheckEveryMs);
  struct Seen {
    int calls = 0;
    int err = 0;
    std::string data;
  } seen;
  ASSERT_EQ(localio_pread_async(
                m->ctx(), fh, 0, data.size(),
                [](int err, nfs_context*, void* bytes, void* private_data) {
                  auto* out = static_cast<Seen*>(private_data);
                  ++out->calls;
                  out->err = err;
                  if (err > 0) out->data.assign(static_cast<const char*>(bytes), err);
                },
                &seen),
            0)
      << m->Error();
  const localio_counters c = m->Counters();
  ASSERT_EQ(c.fallbacks[LOCALIO_FALLBACK_SERVER_CHANGED], 1u)
      << "the read did not notice the restart: " << Describe(c);
  m->Detach();
  const auto deadline = steady_clock::now() + std::chrono::seconds(30);
  while (seen.calls == 0 && steady_clock::now() < deadline) {
    pollfd pfd{nfs_get_fd(m->nfs()), static_cast<short>(nfs_which_events(m->nfs())), 0};
    ASSERT_GE(poll(&pfd, 1, 100), 0);
    ASSERT_GE(nfs_service(m->nfs(), pfd.revents), 0) << nfs_get_error(m->nfs());
  }
  ASSERT_EQ(seen.calls, 1);
  EXPECT_EQ(seen.err, static_cast<int>(data.size())) << nfs_get_error(m->nfs());
  EXPECT_TRUE(seen.data == data);
  EXPECT_EQ(nfs_close(m->nfs(), fh), 0) << nfs_get_error(m->nfs());
  nfs_close(plain->context(), pfh);
}

}  // namespace
}  // namespace localio::harness
