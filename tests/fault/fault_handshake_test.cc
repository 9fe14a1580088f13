// SPDX-License-Identifier: LGPL-3.0-or-later
// Handshakes that fail against the real ganesha.nfsd, and come back:
// - a server that does not answer the first handshake (stopped with
//   SIGSTOP while the client attaches) is found local later, on the same
//   mount;
// - a failed handshake is tried again at once when a new map appears at the
//   path (a restart), not at the end of the client's backoff;
// - a hostile client of the map's group (another uid, setpriv) that
//   scribbles on, zeroes or truncates the hello file, or claims every slot
//   "forever", stops new handshakes only until the server's next heartbeat
//   repairs the file (docs/DESIGN.md, "The handshake slot").
// Prints how long each took; the deadlines are far above the stated bound.
#include <gtest/gtest.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "fault_support.h"
#include "harness/files.h"
#include "localio/hello_area.h"
#include "safety_support.h"

namespace localio::fault {
namespace {

using harness::ConfigWithMap;
using harness::Describe;
using std::chrono::steady_clock;

constexpr uid_t kHostileUid = 1001;
constexpr auto kPoll = milliseconds(20);

long long MsSince(steady_clock::time_point t) {
  return std::chrono::duration_cast<milliseconds>(steady_clock::now() - t).count();
}

// A localio_context, detached on destruction.
struct Detach {
  void operator()(localio_context* ctx) const { localio_detach(ctx); }
};
using Context = std::unique_ptr<localio_context, Detach>;

localio_counters CountersOf(localio_context* ctx) {
  localio_counters c{};
  localio_get_counters(ctx, &c);
  return c;
}

// The server stopped (SIGSTOP) for the scope: its listener takes
// connections (the kernel's backlog) and answers nothing.
// SIGSTOP is delivered asynchronously: a thread of the server (its
// listener) may still run for a moment after kill() returns. The guard
// returns once every thread of the process is stopped (bounded: 10 s).
class Stopped {
 public:
  explicit Stopped(pid_t pid) : pid_(pid) {
    kill(pid_, SIGSTOP);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!AllStopped() && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ~Stopped() { kill(pid_, SIGCONT); }

 private:
  // Every /proc/PID/task/TID/stat in state T (stopped).
  bool AllStopped() const {
    const std::string tasks = "/proc/" + std::to_string(pid_) + "/task";
    std::error_code ec;
    for (const auto& task : std::filesystem::directory_iterator(tasks, ec)) {
      const std::string stat = harness::ReadFile((task.path() / "stat").string());
      const size_t paren = stat.rfind(')');
      if (paren == std::string::npos || paren + 2 >= stat.size() || stat[paren + 2] != 'T')
        return false;
    }
    return !ec;
  }

  pid_t pid_;
};

class FaultHandshake : public OneExportServerTest {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(OneExportServerTest::SetUp());
    data_ = harness::Pattern("handshake", 8192);
    ASSERT_TRUE(harness::WriteLocalFile(server_->ExportDir(kExport) + "/hs", data_).ok());
    const Status s = harness::NfsSession::Mount(server_->Url(kExport, 3, ""), &session_);
    ASSERT_TRUE(s.ok()) << s.message;
    hello_path_ = server_->map_path() + ".hello";
    // The hostile client must reach the hello file: the map's directory
    // lets others through (it is the server's temp dir, 0700).
    const std::string dir = server_->map_path().substr(0, server_->map_path().rfind('/'));
    ASSERT_EQ(chmod(dir.c_str(), 0711), 0);
  }
  void TearDown() override {
    session_.reset();
    OneExportServerTest::TearDown();
  }

  // A LOCALIO context on the mount, with the server's map.
  Context Attach() {
    const localio_config cfg = ConfigWithMap(server_->map_path());
    localio_context* ctx = nullptr;
    EXPECT_EQ(localio_attach(session_->context(), &cfg, &ctx), 0);
    return Context(ctx);
  }

  // Reads the file through `ctx` (its open `fh`) until `done()` (asked
  // after each read) or `deadline`; every read must give the file's data.
  // True when done.
  bool ReadUntil(localio_context* ctx, nfsfh* fh, steady_clock::time_point deadline,
                 const std::function<bool()>& done) {
    std::string buf(data_.size(), '\0');
    do {
      const int n = localio_pread(ctx, fh, 0, buf.size(), buf.data());
      EXPECT_EQ(n, static_cast<int>(buf.size())) << localio_get_error(ctx);
      EXPECT_EQ(buf, data_);
      if (done()) return true;
      std::this_thread::sleep_for(kPoll);
    } while (steady_clock::now() < deadline);
    return false;
  }
  // ... until a read bypassed.
  bool ReadUntilLocal(localio_context* ctx, nfsfh* fh, steady_clock::time_point deadline) {
    return ReadUntil(ctx, fh, deadline, [ctx] { return CountersOf(ctx).read_ops > 0; });
  }

  // Runs localio-hello-vandal MODE on the hello file as uid kHostileUid in
  // the file's group: a client of the map's group that is not this one.
  void Vandalise(const std::string& mode) {
    struct stat st;
    ASSERT_EQ(stat(hello_path_.c_str(), &st), 0);
    harness::CommandResult r;
    const Status s = harness::RunCommand(
        {"setpriv", "--reuid=" + std::to_string(kHostileUid), "--regid=" + std::to_string(st.st_gid),
         "--clear-groups", "--", LOCALIO_HELLO_VANDAL, hello_path_, mode},
        seconds(10), &r);
    ASSERT_TRUE(s.ok()) << s.message;
    ASSERT_TRUE(r.Succeeded()) << mode << ": " << r.Describe();
  }

  // Attaches new contexts until one is local: the ms it took, or -1 when
  // none was by `limit` (*error: the last one's sentence).
  long long NewHandshakeSucceedsWithin(milliseconds limit, std::string* error) {
    const auto start = steady_clock::now();
    do {
      Context ctx = Attach();
      if (localio_is_local(ctx.get()) == 1) return MsSince(start);
      *error = localio_get_error(ctx.get());
      std::this_thread::sleep_for(kPoll);
    } while (steady_clock::now() - start < limit);
    return -1;
  }

  // Waits until the server's log has `text`.
  bool LogSays(const std::string& text, milliseconds limit) {
    const auto start = steady_clock::now();
    do {
      if (harness::ReadFile(server_->log_path()).find(text) != std::string::npos) return true;
      std::this_thread::sleep_for(kPoll);
    } while (steady_clock::now() - start < limit);
    return false;
  }

  // The damage in `mode` stops new handshakes only until the server
  // repaired it; the server says so in its log.
  void ExpectRepaired(const std::vector<std::string>& modes) {
    std::string error;
    ASSERT_GE(NewHandshakeSucceedsWithin(seconds(10), &error), 0) << "control: " << error;
    for (const std::string& mode : modes) {
      ASSERT_NO_FATAL_FAILURE(Vandalise(mode));
      const long long ms = NewHandshakeSucceedsWithin(seconds(15), &error);
      ASSERT_GE(ms, 0) << "after " << mode << ", no new handshake succeeded: " << error;
      std::printf("%s: a new handshake succeeded %lld ms after the damage\n", mode.c_str(), ms);
    }
    EXPECT_TRUE(LogSays("was damaged by a client; repaired", seconds(10)));
  }

  std::string data_;
  std::string hello_path_;
  std::unique_ptr<harness::NfsSession> session_;
};

TEST_F(FaultHandshake, AServerThatDidNotAnswerTheFirstHandshakeIsFoundLocalLater) {
  Context ctx;
  std::string why;
  {
    Stopped stopped(server_->pid());
    ctx = Attach();
    ASSERT_NE(ctx, nullptr);
    ASSERT_EQ(localio_is_local(ctx.get()), 0) << "a stopped server answered";
    why = localio_get_error(ctx.get());
  }
  nfsfh* fh = nullptr;
  ASSERT_EQ(localio_open(ctx.get(), "/hs", O_RDONLY, &fh), 0) << localio_get_error(ctx.get());
  const auto resumed = steady_clock::now();
  const bool local = ReadUntilLocal(ctx.get(), fh, resumed + seconds(20));
  const localio_counters c = CountersOf(ctx.get());
  std::printf("first handshake: %s; local again %lld ms after SIGCONT; %s\n", why.c_str(),
              MsSince(resumed), Describe(c).c_str());
  EXPECT_TRUE(local) << "never local on this mount: " << localio_get_error(ctx.get());
  EXPECT_GE(c.handshakes, 2u);
  EXPECT_EQ(c.handshakes_ok, 1u);
  EXPECT_EQ(localio_close(ctx.get(), fh), 0);
}

TEST_F(FaultHandshake, AFailedHandshakeIsTriedAgainAtOnceWhenANewMapAppears) {
  Context ctx;
  {
    Stopped stopped(server_->pid());
    ctx = Attach();
    ASSERT_NE(ctx, nullptr);
    ASSERT_EQ(localio_is_local(ctx.get()), 0) << "a stopped server answered";
  }
  // Every hello slot held by a live client: the client's next attempts
  // fail too, at growing intervals (1, 2, 4, 8 s).
  std::vector<std::unique_ptr<HelloClient>> holders(kHelloSlots);
  for (auto& h : holders) {
    const Status s = HelloClient::Open(hello_path_, 0, &h);
    ASSERT_TRUE(s.ok()) << s.message;
    ASSERT_EQ(h->Claim(), 0);
  }
  nfsfh* fh = nullptr;
  ASSERT_EQ(localio_open(ctx.get(), "/hs", O_RDONLY, &fh), 0) << localio_get_error(ctx.get());
  // The attach and four timed attempts (at about +1, +3, +7 and +15 s)
  // failed: the next one is due 16 s after the last.
  constexpr uint64_t kFailures = 5;
  const auto attached = steady_clock::now();
  ASSERT_TRUE(ReadUntil(ctx.get(), fh, attached + seconds(40), [&] {
    for (auto& h : holders) h->Touch();
    return CountersOf(ctx.get()).handshakes >= kFailures;
  })) << "not tried again: " << Describe(CountersOf(ctx.get())) << ", "
      << localio_get_error(ctx.get());
  const auto last_failure = steady_clock::now();
  EXPECT_EQ(CountersOf(ctx.get()).handshakes_ok, 0u);
  EXPECT_NE(std::string(localio_get_error(ctx.get())).find("no free handshake slot"),
            std::string::npos)
      << localio_get_error(ctx.get());

  // A restart puts a new map (and hello file) at the path.
  server_->Kill9();
  const Status r = server_->Restart();
  ASSERT_TRUE(r.ok()) << r.message;
  const long long restart_ms = MsSince(last_failure);
  const auto up = steady_clock::now();
  const bool local = ReadUntilLocal(ctx.get(), fh, last_failure + seconds(12));
  const localio_counters c = CountersOf(ctx.get());
  std::printf("%llu failed attempts over %lld ms; server back %lld ms after the last; local "
              "%lld ms after that; %s\n",
              static_cast<unsigned long long>(kFailures), MsSince(attached) - MsSince(last_failure),
              restart_ms, MsSince(up), Describe(c).c_str());
  EXPECT_TRUE(local) << "not local before the backoff's next attempt would come: "
                     << localio_get_error(ctx.get());
  EXPECT_EQ(c.handshakes, kFailures + 1) << "one attempt, when the new map appeared";
  EXPECT_EQ(c.handshakes_ok, 1u);
  EXPECT_EQ(localio_close(ctx.get(), fh), 0);
}

TEST_F(FaultHandshake, AScribbledOrZeroedHelloHeaderIsRepairedByTheServer) {
  ExpectRepaired({"header-random", "header-zero"});
}

TEST_F(FaultHandshake, ATruncatedHelloFileIsRepairedByTheServer) {
  ExpectRepaired({"truncate"});
}

TEST_F(FaultHandshake, SlotsClaimedForeverAreTakenBack) {
  ExpectRepaired({"leases-forever"});
  // The server expired every lease no honest client wrote.
  const auto start = steady_clock::now();
  size_t implausible = 0;
  do {
    std::vector<HelloSlotView> slots;
    ASSERT_TRUE(ReadHelloSlots(hello_path_, 0, &slots).ok());
    implausible = 0;
    for (const HelloSlotView& v : slots)
      if (HelloLeaseImplausible(v.lease_ms, NowMs())) ++implausible;
    if (implausible == 0) break;
    std::this_thread::sleep_for(kPoll);
  } while (steady_clock::now() - start < seconds(10));
  EXPECT_EQ(implausible, 0u) << "slots still claimed forever";
}

}  // namespace
}  // namespace localio::fault
