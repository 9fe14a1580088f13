// SPDX-License-Identifier: LGPL-3.0-or-later
// The C API against the stock ganesha.nfsd with a LOCALIO-over-VFS export,
// over NFSv3 and NFSv4: a local client must bypass RPC for its reads and
// writes (proved from outside the plugin: the loopback interface and the
// NFS connection's own TCP byte counts barely move), and keep the data
// exactly as a model says; a disabled or map-less client must work over
// RPC, where the same meters see all the data.
#include <sys/time.h>

#include <nfsc/libnfs.h>

#include <gtest/gtest.h>
#include <fcntl.h>
#include <linux/tcp.h>  // tcp_info with byte counts (glibc's lacks them)
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "harness/files.h"
#include "harness/libnfs_limits.h"
#include "harness/loopback.h"
#include "harness/gtest_support.h"
#include "harness/process.h"
#include "harness/random_file.h"
#include "harness/temp_dir.h"
#include "localio/hello_area.h"
#include "localio/localio_client.h"
#include "safety_support.h"

namespace localio::harness {
namespace {

namespace fs = std::filesystem;
using std::chrono::milliseconds;
using std::chrono::steady_clock;

constexpr uint16_t kExport = 1;
using harness::kMaxV4RpcWrite;

// Bytes this TCP connection sent (and had acknowledged) plus received.
uint64_t ConnectionBytes(int fd) {
  tcp_info info{};
  socklen_t len = sizeof info;
  if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &info, &len) != 0) return 0;
  return info.tcpi_bytes_acked + info.tcpi_bytes_received;
}

// The file as it must be: contents and size.
struct Model {
  std::vector<uint8_t> bytes;
  uint64_t size = 0;
};

class LocalioClientIntegration
    : public SuiteServerTest<LocalioClientIntegration, ::testing::TestWithParam<int>> {
 protected:
  static void SetUpTestSuite() { StartSuiteServer(OneExport(), "localio-client-it"); }

  void TearDown() override {
    mount_.reset();
    SuiteServerTest::TearDown();
  }

  int Version() const { return GetParam(); }
  std::string Name(const std::string& base) const {
    return base + "-v" + std::to_string(Version()) + ".bin";
  }
  std::string InExport(const std::string& name) const {
    return server_->ExportDir(kExport) + "/" + name;
  }

  // Mounts the export and attaches a client with `cfg`.
  void Attach(const localio_config& cfg) {
    const Status s = LocalioMount::Attach(server_->Url(kExport, Version(), ""), cfg, &mount_);
    ASSERT_TRUE(s.ok()) << s.message;
    nfs_ = mount_->nfs();
    ctx_ = mount_->ctx();
  }

  localio_config Config() const { return ConfigWithMap(server_->map_path()); }

  // Attaches with the server's map: the client must be local.
  void AttachLocal() {
    ASSERT_NO_FATAL_FAILURE(Attach(Config()));
    ASSERT_EQ(localio_is_local(ctx_), 1) << localio_get_error(ctx_);
  }

  // Creates the export's file `name` afresh and opens it read-write.
  void Create(const std::string& name, nfsfh** fh) {
    fs::remove(InExport(name));
    ASSERT_EQ(localio_open(ctx_, ("/" + name).c_str(), O_CREAT | O_RDWR, fh), 0)
        << localio_get_error(ctx_);
  }

  // Writes all of `data` at `offset`, in pieces libnfs can send when the
  // call may go over NFSv4 RPC.
  void WriteAll(nfsfh* fh, uint64_t offset, const uint8_t* data, uint64_t len, bool rpc) {
    const uint64_t piece = rpc && Version() == 4 ? kMaxV4RpcWrite : len;
    for (uint64_t done = 0; done < len;) {
      const uint64_t n = std::min(piece, len - done);
      const int rc = localio_pwrite(ctx_, fh, offset + done, n, data + done);
      ASSERT_GT(rc, 0) << "pwrite at " << offset + done << ": " << localio_get_error(ctx_);
      done += static_cast<uint64_t>(rc);
    }
  }

  // What a RandomIo run moved: the bytes read and written, and the bytes
  // the loopback interface and the NFS connection carried meanwhile.
  struct Traffic {
    uint64_t moved = 0;
    uint64_t loopback = 0;
    uint64_t connection = 0;
  };

  // Random preads and pwrites of 1 .. max_io bytes at random offsets below
  // `span`, each read checked against the model, then an fsync; *t is what
  // they moved (a read past the end moves fewer bytes than asked).
  void RandomIo(nfsfh* fh, Model* model, uint64_t span, uint64_t max_io, int ops, uint64_t seed,
                bool rpc, Traffic* t) {
    const int sock = nfs_get_fd(nfs_);
    const uint64_t lo_before = LoopbackBytes();
    const uint64_t conn_before = ConnectionBytes(sock);
    std::mt19937_64 rng(seed);
    std::vector<uint8_t> buf(max_io);
    for (int i = 0; i < ops && !HasFatalFailure(); ++i) {
      const uint64_t len = 1 + rng() % max_io;
      const uint64_t offset = rng() % (span - len + 1);
      if (i % 2 == 0) {
        for (uint64_t k = 0; k < len; k += 8) {
          const uint64_t w = rng();
          std::memcpy(buf.data() + k, &w, std::min<uint64_t>(8, len - k));
        }
        WriteAll(fh, offset, buf.data(), len, rpc);
        std::copy_n(buf.data(), len, model->bytes.begin() + static_cast<ptrdiff_t>(offset));
        model->size = std::max(model->size, offset + len);
      } else {
        const uint64_t want = offset >= model->size ? 0 : std::min(len, model->size - offset);
        const int rc = localio_pread(ctx_, fh, offset, len, buf.data());
        EXPECT_EQ(rc, static_cast<int>(want)) << "pread " << len << " at " << offset;
        EXPECT_TRUE(std::equal(buf.begin(), buf.begin() + std::max(rc, 0),
                               model->bytes.begin() + static_cast<ptrdiff_t>(offset)))
            << "pread " << len << " at " << offset << " differs from the model";
        t->moved += static_cast<uint64_t>(std::max(rc, 0));
        continue;
      }
      t->moved += len;
    }
    ASSERT_FALSE(HasFatalFailure());
    ASSERT_EQ(localio_fsync(ctx_, fh), 0) << localio_get_error(ctx_);
    t->loopback = LoopbackBytes() - lo_before;
    t->connection = ConnectionBytes(sock) - conn_before;
    std::printf("NFSv%d %s: %llu bytes read+written, loopback moved %llu, the NFS "
                "connection %llu\n",
                Version(), rpc ? "RPC" : "bypass", static_cast<unsigned long long>(t->moved),
                static_cast<unsigned long long>(t->loopback),
                static_cast<unsigned long long>(t->connection));
  }

  // Reads the whole file sequentially (localio_read: the current offset)
  // and compares it with the model.
  void ReadBackSequentially(nfsfh* fh, const Model& model) {
    std::vector<uint8_t> all;
    std::vector<uint8_t> buf(1 << 20);
    for (;;) {
      const int rc = localio_read(ctx_, fh, buf.size(), buf.data());
      ASSERT_GE(rc, 0) << localio_get_error(ctx_);
      if (rc == 0) break;
      all.insert(all.end(), buf.begin(), buf.begin() + rc);
    }
    ASSERT_EQ(all.size(), model.size);
    EXPECT_TRUE(std::equal(all.begin(), all.end(), model.bytes.begin()));
  }

  std::string ModelSha(const Model& model, const std::string& name) {
    const std::string path = scratch_->path() + "/" + name;
    EXPECT_TRUE(WriteFile(
        path, std::string_view(reinterpret_cast<const char*>(model.bytes.data()), model.size)))
        << path;
    const std::string sha = Sha256File(path);
    fs::remove(path);
    return sha;
  }

  std::unique_ptr<LocalioMount> mount_;
  nfs_context* nfs_ = nullptr;       // mount_'s
  localio_context* ctx_ = nullptr;  // mount_'s
};

TEST_P(LocalioClientIntegration, LocalClientBypassesRpcAndKeepsTheDataExact) {
  constexpr uint64_t kSpan = 32ull << 20;
  constexpr uint64_t kMaxIo = 1ull << 20;
  constexpr int kOps = 160;
  ASSERT_NO_FATAL_FAILURE(AttachLocal());

  const std::string name = Name("bypass");
  nfsfh* fh = nullptr;
  ASSERT_NO_FATAL_FAILURE(Create(name, &fh));
  Model model{std::vector<uint8_t>(kSpan), 0};
  // The slot's counters before our I/O (a reused slot starts where its last
  // owner left it).
  std::vector<HelloSlotView> slots;
  ASSERT_TRUE(ReadHelloSlots(server_->map_path() + ".hello", LOCALIO_DEFAULT_SERVER_UID, &slots).ok());
  ASSERT_EQ(slots.size(), 1u) << "one client, one slot";
  const HelloSlotView slot_before = slots[0];

  Traffic t;
  ASSERT_NO_FATAL_FAILURE(RandomIo(fh, &model, kSpan, kMaxIo, kOps, 42 + Version(), false, &t));

  // Close-to-open coherence: the server sees the size the bypass wrote.
  nfs_stat_64 st{};
  ASSERT_EQ(localio_fstat64(ctx_, fh, &st), 0) << localio_get_error(ctx_);
  EXPECT_EQ(st.nfs_size, model.size);

  localio_counters c{};
  ASSERT_EQ(localio_get_counters(ctx_, &c), 0);
  EXPECT_EQ(c.read_ops + c.write_ops, static_cast<uint64_t>(kOps)) << "every I/O bypassed";
  for (int r = 0; r < LOCALIO_FALLBACK_REASONS; ++r)
    EXPECT_EQ(c.fallbacks[r], 0u) << localio_fallback_reason_name(r);
  EXPECT_EQ(c.handshakes_ok, 1u);
  // The same counters in the hello slot, as tools read them.
  ASSERT_TRUE(ReadHelloSlots(server_->map_path() + ".hello", LOCALIO_DEFAULT_SERVER_UID, &slots).ok());
  ASSERT_EQ(slots.size(), 1u);
  EXPECT_EQ(slots[0].index, slot_before.index);
  EXPECT_EQ(slots[0].read_ops - slot_before.read_ops, c.read_ops);
  EXPECT_EQ(slots[0].read_bytes - slot_before.read_bytes, c.read_bytes);
  EXPECT_EQ(slots[0].write_ops - slot_before.write_ops, c.write_ops);
  EXPECT_EQ(slots[0].write_bytes - slot_before.write_bytes, c.write_bytes);

  EXPECT_LT(t.connection, t.moved / 20) << "the data went through the NFS connection";
  EXPECT_LT(t.loopback, t.moved / 20) << "the data went over loopback";

  ASSERT_EQ(localio_close(ctx_, fh), 0) << localio_get_error(ctx_);
  EXPECT_EQ(Sha256File(InExport(name)), ModelSha(model, name + ".model"))
      << "the server's file differs from the model";

  ASSERT_EQ(localio_open(ctx_, ("/" + name).c_str(), O_RDONLY, &fh), 0);
  ReadBackSequentially(fh, model);
  ASSERT_EQ(localio_close(ctx_, fh), 0) << localio_get_error(ctx_);

  mount_->Detach();
  ctx_ = nullptr;
  ASSERT_TRUE(ReadHelloSlots(server_->map_path() + ".hello", LOCALIO_DEFAULT_SERVER_UID, &slots).ok());
  EXPECT_TRUE(slots.empty()) << "detach frees the handshake slot";
  fs::remove(InExport(name));
}

TEST_P(LocalioClientIntegration, DisabledClientWorksOverRpcAndTheMetersSeeTheData) {
  constexpr uint64_t kSpan = 4ull << 20;
  constexpr uint64_t kMaxIo = 256ull << 10;
  constexpr int kOps = 40;
  localio_config cfg = Config();
  cfg.disable = 1;
  ASSERT_NO_FATAL_FAILURE(Attach(cfg));
  EXPECT_EQ(localio_is_local(ctx_), 0);
  EXPECT_NE(std::string(localio_get_error(ctx_)).find("disabled"), std::string::npos)
      << localio_get_error(ctx_);

  const std::string name = Name("rpc");
  nfsfh* fh = nullptr;
  ASSERT_NO_FATAL_FAILURE(Create(name, &fh));
  Model model{std::vector<uint8_t>(kSpan), 0};
  Traffic t;
  ASSERT_NO_FATAL_FAILURE(RandomIo(fh, &model, kSpan, kMaxIo, kOps, 7 + Version(), true, &t));
  EXPECT_GT(t.connection, t.moved) << "the connection meter missed the data";
  EXPECT_GT(t.loopback, t.moved) << "the loopback meter missed the data";

  localio_counters c{};
  ASSERT_EQ(localio_get_counters(ctx_, &c), 0);
  EXPECT_EQ(c.read_ops + c.write_ops, 0u);
  EXPECT_GE(c.fallbacks[LOCALIO_FALLBACK_NOT_LOCAL], static_cast<uint64_t>(kOps));
  EXPECT_EQ(c.handshakes, 0u) << "a disabled client never probes";

  ASSERT_EQ(localio_close(ctx_, fh), 0) << localio_get_error(ctx_);
  EXPECT_EQ(Sha256File(InExport(name)), ModelSha(model, name + ".model"));
  fs::remove(InExport(name));
}

TEST_P(LocalioClientIntegration, MissingMapAttachesAtOnceNotLocalAndStillWorks) {
  const std::string missing = scratch_->path() + "/no-such-map";
  localio_config cfg = Config();
  cfg.map_path = missing.c_str();
  const auto start = steady_clock::now();
  ASSERT_NO_FATAL_FAILURE(Attach(cfg));
  const auto attach_time = steady_clock::now() - start;
  EXPECT_EQ(localio_is_local(ctx_), 0);
  EXPECT_NE(std::string(localio_get_error(ctx_)).find(missing), std::string::npos)
      << localio_get_error(ctx_);
  // Mount included: the failed probe itself costs well under this.
  EXPECT_LT(attach_time, milliseconds(2000));

  const std::string name = Name("nomap");
  nfsfh* fh = nullptr;
  ASSERT_NO_FATAL_FAILURE(Create(name, &fh));
  const std::string text = "written over RPC by a client without a map\n";
  WriteAll(fh, 0, reinterpret_cast<const uint8_t*>(text.data()), text.size(), true);
  std::vector<char> back(text.size());
  EXPECT_EQ(localio_pread(ctx_, fh, 0, back.size(), back.data()), static_cast<int>(text.size()));
  EXPECT_EQ(std::string(back.begin(), back.end()), text);
  ASSERT_EQ(localio_close(ctx_, fh), 0) << localio_get_error(ctx_);
  EXPECT_EQ(ReadFile(InExport(name)), text);
  fs::remove(InExport(name));
}

// A local read or write that fails is the call's -errno, and its sentence
// names the call, the failed local operation, where, and the errno.
TEST_P(LocalioClientIntegration, AFailedLocalReadOrWriteSaysWhatFailedAndWhere) {
  ASSERT_NO_FATAL_FAILURE(AttachLocal());
  const std::string name = Name("failing");
  nfsfh* fh = nullptr;
  ASSERT_NO_FATAL_FAILURE(Create(name, &fh));
  char buf[4] = {'a', 'b', 'c', 'd'};
  ASSERT_EQ(localio_pwrite(ctx_, fh, 0, sizeof buf, buf), 4) << localio_get_error(ctx_);
  // Beyond what off_t holds: the local file refuses it.
  constexpr uint64_t kFar = 1ull << 63;
  EXPECT_EQ(localio_pread(ctx_, fh, kFar, sizeof buf, buf), -EINVAL);
  EXPECT_EQ(std::string(localio_get_error(ctx_)),
            "localio_pread: local pread of 4 bytes at offset 9223372036854775808 failed: " +
                std::string(std::strerror(EINVAL)));
  EXPECT_EQ(localio_pwrite(ctx_, fh, kFar, sizeof buf, buf), -EINVAL);
  EXPECT_EQ(std::string(localio_get_error(ctx_)),
            "localio_pwrite: local pwrite of 4 bytes at offset 9223372036854775808 failed: " +
                std::string(std::strerror(EINVAL)));
  localio_counters c{};
  ASSERT_EQ(localio_get_counters(ctx_, &c), 0);
  for (int r = 0; r < LOCALIO_FALLBACK_REASONS; ++r)
    EXPECT_EQ(c.fallbacks[r], 0u) << "went by RPC: " << localio_fallback_reason_name(r);
  ASSERT_EQ(localio_close(ctx_, fh), 0) << localio_get_error(ctx_);
  fs::remove(InExport(name));
}

// The async calls (localio_*_async), driven as a libnfs program drives
// nfs_*_async: a poll on localio_get_fd / localio_which_events, then
// localio_service. A callback must never run inside the *_async call.
struct AsyncRun {
  localio_context* ctx = nullptr;
  nfs_context* nfs = nullptr;
  nfsfh* fh = nullptr;
  std::vector<uint8_t> model;  // what the file must hold
  uint64_t chunk = 0;
  int pending = 0;             // calls taken whose callback has not run
  bool in_call = false;        // inside a localio_*_async call
  uint64_t next_read = 0;      // the chained reads' next chunk
  uint64_t chunks = 0;
  std::string failure;         // the first problem seen
  void Fail(const std::string& why) {
    if (failure.empty()) failure = why;
  }
};

// Marks the span of one async call; a callback seen inside it fails.
template <class Call>
int Issue(AsyncRun* run, Call&& call) {
  run->in_call = true;
  const int rc = call();
  run->in_call = false;
  if (rc == 0) ++run->pending;
  return rc;
}

void Entered(AsyncRun* run, const char* what) {
  if (run->in_call) run->Fail(std::string(what) + ": the callback ran inside the *_async call");
  --run->pending;
}

void WriteDone(int err, nfs_context*, void* data, void* private_data) {
  auto* run = static_cast<AsyncRun*>(private_data);
  Entered(run, "pwrite");
  if (err != static_cast<int>(run->chunk))
    run->Fail("pwrite_async: " + std::to_string(err) + " " +
              (err < 0 ? static_cast<const char*>(data) : ""));
}

bool IssueNextRead(AsyncRun* run);

// A chained read: checks its chunk, then issues the next from here.
void ReadDone(int err, nfs_context*, void* data, void* private_data) {
  auto* run = static_cast<AsyncRun*>(private_data);
  Entered(run, "pread");
  const uint64_t offset = (run->next_read - 1) * run->chunk;
  if (err != static_cast<int>(run->chunk)) {
    run->Fail("pread_async at " + std::to_string(offset) + ": " + std::to_string(err) + " " +
              (err < 0 ? static_cast<const char*>(data) : ""));
    return;
  }
  if (std::memcmp(data, run->model.data() + offset, run->chunk) != 0)
    run->Fail("pread_async at " + std::to_string(offset) + " differs from the model");
  IssueNextRead(run);
}

bool IssueNextRead(AsyncRun* run) {
  if (run->next_read == run->chunks) return true;
  const uint64_t offset = run->next_read++ * run->chunk;
  const int rc = Issue(run, [&] {
    return localio_pread_async(run->ctx, run->fh, offset, run->chunk, ReadDone, run);
  });
  if (rc != 0) run->Fail("pread_async refused: " + std::string(localio_get_error(run->ctx)));
  return rc == 0;
}

// At the file offset: read_async/write_async of one chunk each.
void CursorDone(int err, nfs_context*, void* data, void* private_data) {
  auto* run = static_cast<AsyncRun*>(private_data);
  Entered(run, "read/write at the offset");
  if (err != static_cast<int>(run->chunk)) {
    run->Fail("read/write_async: " + std::to_string(err) + " " +
              (err < 0 ? static_cast<const char*>(data) : ""));
    return;
  }
  if (data != nullptr && std::memcmp(data, run->model.data() + run->chunk, run->chunk) != 0)
    run->Fail("read_async at the offset differs from the model");
}

void FsyncDone(int err, nfs_context*, void* data, void* private_data) {
  auto* run = static_cast<AsyncRun*>(private_data);
  Entered(run, "fsync");
  if (err != 0) run->Fail("fsync_async: " + std::to_string(err) + " " +
                          (err < 0 ? static_cast<const char*>(data) : ""));
}

// Services the context, as an application's loop does, until `done` (or
// 30 s passed).
void ServiceUntil(localio_context* ctx, const std::function<bool()>& done) {
  const auto deadline = steady_clock::now() + std::chrono::seconds(30);
  while (!done() && steady_clock::now() < deadline) {
    pollfd pfd{localio_get_fd(ctx), static_cast<short>(localio_which_events(ctx)), 0};
    ASSERT_GE(pfd.fd, 0) << localio_get_error(ctx);
    ASSERT_GE(poll(&pfd, 1, 100), 0);
    ASSERT_GE(localio_service(ctx, pfd.revents), 0) << localio_get_error(ctx);
  }
}

// Services the context until no callback is pending (or 30 s passed).
void Drive(AsyncRun* run) {
  ASSERT_NO_FATAL_FAILURE(ServiceUntil(run->ctx, [run] { return run->pending == 0; }));
  ASSERT_EQ(run->pending, 0) << "callbacks still pending after 30 s";
}

// Writes `chunks` chunks with pwrite_async (all in flight at once), reads
// them back with chained pread_async, rewrites chunk 1 with write_async at
// the file offset and reads it with read_async, fsync_async, and checks
// the server's file. Returns the I/O calls made.
void AsyncRoundTrip(localio_context* ctx, nfs_context* nfs, const std::string& path_in_export,
                    const std::string& server_path, uint64_t chunk, uint64_t chunks,
                    uint64_t* calls) {
  AsyncRun run;
  run.ctx = ctx;
  run.nfs = nfs;
  run.chunk = chunk;
  run.chunks = chunks;
  run.model.resize(chunk * chunks);
  std::mt19937_64 rng(99);
  for (auto& b : run.model) b = static_cast<uint8_t>(rng());
  fs::remove(server_path);
  ASSERT_EQ(localio_open(ctx, path_in_export.c_str(), O_CREAT | O_RDWR, &run.fh), 0)
      << localio_get_error(ctx);
  for (uint64_t i = 0; i < chunks; ++i)
    ASSERT_EQ(Issue(&run, [&] {
                return localio_pwrite_async(ctx, run.fh, i * chunk, chunk,
                                            run.model.data() + i * chunk, WriteDone, &run);
              }),
              0)
        << localio_get_error(ctx);
  ASSERT_NO_FATAL_FAILURE(Drive(&run));
  ASSERT_EQ(run.failure, "");
  ASSERT_TRUE(IssueNextRead(&run));
  ASSERT_NO_FATAL_FAILURE(Drive(&run));
  ASSERT_EQ(run.failure, "");
  EXPECT_EQ(run.next_read, chunks) << "the chain stopped";

  // Chunk 1 again, at the file offset: write it changed, then read it.
  for (uint64_t k = 0; k < chunk; ++k) run.model[chunk + k] ^= 0x5a;
  ASSERT_EQ(nfs_lseek(nfs, run.fh, static_cast<int64_t>(chunk), SEEK_SET, nullptr), 0);
  ASSERT_EQ(Issue(&run, [&] {
              return localio_write_async(ctx, run.fh, chunk, run.model.data() + chunk, CursorDone,
                                         &run);
            }),
            0)
      << localio_get_error(ctx);
  ASSERT_NO_FATAL_FAILURE(Drive(&run));
  uint64_t at = 0;
  ASSERT_EQ(nfs_lseek(nfs, run.fh, 0, SEEK_CUR, &at), 0);
  EXPECT_EQ(at, 2 * chunk) << "write_async did not move the file offset";
  ASSERT_EQ(nfs_lseek(nfs, run.fh, static_cast<int64_t>(chunk), SEEK_SET, nullptr), 0);
  ASSERT_EQ(Issue(&run, [&] { return localio_read_async(ctx, run.fh, chunk, CursorDone, &run); }),
            0)
      << localio_get_error(ctx);
  ASSERT_NO_FATAL_FAILURE(Drive(&run));
  ASSERT_EQ(nfs_lseek(nfs, run.fh, 0, SEEK_CUR, &at), 0);
  EXPECT_EQ(at, 2 * chunk) << "read_async did not move the file offset";
  ASSERT_EQ(Issue(&run, [&] { return localio_fsync_async(ctx, run.fh, FsyncDone, &run); }), 0)
      << localio_get_error(ctx);
  ASSERT_NO_FATAL_FAILURE(Drive(&run));
  ASSERT_EQ(run.failure, "");
  ASSERT_EQ(localio_close(ctx, run.fh), 0) << localio_get_error(ctx);
  const std::string got = ReadFile(server_path);
  ASSERT_EQ(got.size(), run.model.size());
  EXPECT_EQ(std::memcmp(got.data(), run.model.data(), got.size()), 0)
      << "the server's file differs from the model";
  *calls = 2 * chunks + 2;
}

TEST_P(LocalioClientIntegration, AsyncCallsBypassKeepTheDataExactAndCompleteFromService) {
  ASSERT_NO_FATAL_FAILURE(AttachLocal());
  uint64_t calls = 0;
  ASSERT_NO_FATAL_FAILURE(AsyncRoundTrip(ctx_, nfs_, "/" + Name("async"),
                                         InExport(Name("async")), 64 << 10, 64, &calls));
  localio_counters c{};
  ASSERT_EQ(localio_get_counters(ctx_, &c), 0);
  EXPECT_EQ(c.read_ops + c.write_ops, calls) << "every async read and write bypassed";
  for (int r = 0; r < LOCALIO_FALLBACK_REASONS; ++r)
    EXPECT_EQ(c.fallbacks[r], 0u) << localio_fallback_reason_name(r);
  fs::remove(InExport(Name("async")));
}

TEST_P(LocalioClientIntegration, AsyncCallsWithoutTheBypassGoThroughLibnfsAndKeepTheData) {
  localio_config cfg = Config();
  cfg.disable = 1;
  ASSERT_NO_FATAL_FAILURE(Attach(cfg));
  ASSERT_EQ(localio_is_local(ctx_), 0);
  uint64_t calls = 0;
  const uint64_t chunk = Version() == 4 ? std::min<uint64_t>(kMaxV4RpcWrite, 64 << 10) : 64 << 10;
  ASSERT_NO_FATAL_FAILURE(AsyncRoundTrip(ctx_, nfs_, "/" + Name("async-rpc"),
                                         InExport(Name("async-rpc")), chunk, 32, &calls));
  localio_counters c{};
  ASSERT_EQ(localio_get_counters(ctx_, &c), 0);
  EXPECT_EQ(c.read_ops + c.write_ops, 0u);
  EXPECT_EQ(c.fallbacks[LOCALIO_FALLBACK_NOT_LOCAL], calls) << "each went by RPC";
  fs::remove(InExport(Name("async-rpc")));
}

struct ErrorSeen {
  localio_context* ctx = nullptr;
  bool in_call = false;
  int calls = 0;
  int err = 1;
  std::string data;
  std::string sentence;  // localio_get_error inside the callback
  bool inline_call = false;
};

void RecordError(int err, nfs_context*, void* data, void* private_data) {
  auto* seen = static_cast<ErrorSeen*>(private_data);
  ++seen->calls;
  seen->inline_call = seen->inline_call || seen->in_call;
  seen->err = err;
  seen->data = err < 0 && data != nullptr ? static_cast<const char*>(data) : "";
  seen->sentence = localio_get_error(seen->ctx);
}

// A local failure of an async call is its callback's err and data (the
// sentence), and localio_get_error during the callback; a callback still
// waiting when the context is detached runs once, with -EINTR.
TEST_P(LocalioClientIntegration, AsyncErrorsComeThroughTheCallbackAndDetachCancels) {
  ASSERT_NO_FATAL_FAILURE(AttachLocal());
  const std::string name = Name("async-error");
  nfsfh* fh = nullptr;
  ASSERT_NO_FATAL_FAILURE(Create(name, &fh));
  ErrorSeen seen;
  seen.ctx = ctx_;
  seen.in_call = true;
  ASSERT_EQ(localio_pread_async(ctx_, fh, 1ull << 63, 16, RecordError, &seen), 0)
      << localio_get_error(ctx_);
  seen.in_call = false;
  EXPECT_EQ(seen.calls, 0) << "completed inside the call";
  EXPECT_NE(localio_which_events(ctx_) & POLLOUT, 0) << "a waiting callback must wake the poll";
  ASSERT_EQ(localio_service(ctx_, POLLOUT), 0) << localio_get_error(ctx_);
  ASSERT_EQ(seen.calls, 1);
  EXPECT_FALSE(seen.inline_call);
  EXPECT_EQ(seen.err, -EINVAL);
  const std::string want = "local pread of 16 bytes at offset 9223372036854775808 failed: " +
                           std::string(std::strerror(EINVAL));
  EXPECT_EQ(seen.data, want);
  EXPECT_EQ(seen.sentence, want);
  EXPECT_EQ(localio_which_events(ctx_) & POLLOUT, 0) << "nothing waits any more";

  // Bad arguments are refused at the call, and their callback never runs.
  EXPECT_EQ(localio_pread_async(ctx_, fh, 0, 16, nullptr, &seen), -EINVAL);
  EXPECT_EQ(std::string(localio_get_error(ctx_)), "localio_pread_async: no callback (NULL)");
  EXPECT_EQ(localio_pwrite_async(ctx_, nullptr, 0, 16, "x", RecordError, &seen), -EINVAL);
  EXPECT_EQ(std::string(localio_get_error(ctx_)), "localio_pwrite_async: no file (NULL nfsfh)");
  EXPECT_EQ(seen.calls, 1);

  // Served locally, waiting: detach cancels it.
  ASSERT_EQ(localio_pread_async(ctx_, fh, 0, 16, RecordError, &seen), 0)
      << localio_get_error(ctx_);
  EXPECT_EQ(seen.calls, 1);
  ASSERT_EQ(localio_close(ctx_, fh), 0) << localio_get_error(ctx_);
  seen.ctx = nullptr;  // the sentence asked in the callback is then the thread's
  mount_->Detach();  // localio_detach, once (the mount's teardown no longer does)
  ctx_ = nullptr;
  EXPECT_EQ(seen.calls, 2);
  EXPECT_EQ(seen.err, -EINTR);
  EXPECT_EQ(seen.data, "Command was cancelled");
  fs::remove(InExport(name));
}

struct LibnfsErrorSeen {
  int calls = 0;
  int err = 1;
  std::string sentence;  // nfs_get_error inside the callback
};

void RecordLibnfsError(int err, nfs_context* nfs, void*, void* private_data) {
  auto* seen = static_cast<LibnfsErrorSeen*>(private_data);
  ++seen->calls;
  seen->err = err;
  seen->sentence = nfs_get_error(nfs);
}

// An async call that goes to libnfs fails as libnfs reports it, completed
// from localio_service: err < 0 and nfs_get_error's sentence. A WRITE past
// the largest offset the export takes fails with FBIG on every Ganesha (a
// READ there is an error on 4.3 and 6.5 but a plain end of file on 9.14).
TEST_P(LocalioClientIntegration, AsyncLibnfsErrorsComeThroughTheCallback) {
  localio_config cfg = Config();
  cfg.disable = 1;
  ASSERT_NO_FATAL_FAILURE(Attach(cfg));
  const std::string name = Name("async-rpc-error");
  nfsfh* fh = nullptr;
  ASSERT_NO_FATAL_FAILURE(Create(name, &fh));
  LibnfsErrorSeen seen;
  // Past the largest offset the server takes: NFS3ERR_FBIG / NFS4ERR_FBIG.
  const char data[16] = "past the end";
  ASSERT_EQ(localio_pwrite_async(ctx_, fh, 1ull << 63, sizeof data, data, RecordLibnfsError, &seen), 0)
      << localio_get_error(ctx_);
  EXPECT_EQ(seen.calls, 0) << "completed inside the call";
  ASSERT_NO_FATAL_FAILURE(ServiceUntil(ctx_, [&seen] { return seen.calls > 0; }));
  ASSERT_EQ(seen.calls, 1);
  EXPECT_LT(seen.err, 0);
  EXPECT_NE(seen.sentence.find("ERR_FBIG"), std::string::npos) << seen.sentence;
  localio_counters c{};
  ASSERT_EQ(localio_get_counters(ctx_, &c), 0);
  EXPECT_EQ(c.fallbacks[LOCALIO_FALLBACK_NOT_LOCAL], 1u) << "the write went by RPC";
  ASSERT_EQ(localio_close(ctx_, fh), 0) << localio_get_error(ctx_);
  fs::remove(InExport(name));
}

INSTANTIATE_TEST_SUITE_P(Versions, LocalioClientIntegration, ::testing::Values(3, 4),
                         [](const ::testing::TestParamInfo<int>& param) {
                           return "NFSv" + std::to_string(param.param);
                         });

// libnfs returns a bare -1 where a call fails beside its RPC (here its
// service after a socket error, with reconnection off): the C API says
// -EIO with libnfs's sentence, not -1, which a caller would read as EPERM.
// NFSv4 only: libnfs 4.0 reconnects an NFSv3 context after the error even
// with reconnection off (service returns 0 there: nothing to map).
class LibnfsFailure : public LocalioClientIntegration {};

TEST_P(LibnfsFailure, ABareMinusOneIsEioWithLibnfsSentence) {
  localio_config cfg = Config();
  cfg.disable = 1;
  ASSERT_NO_FATAL_FAILURE(Attach(cfg));
  nfs_set_autoreconnect(nfs_, 0);
  const int rc = localio_service(ctx_, POLLERR);
  const std::string sentence = localio_get_error(ctx_);
  EXPECT_EQ(rc, -EIO) << sentence;
  // libnfs 4.0's sentence ("rpc_service: POLLERR, Unknown socket error.");
  // libnfs 5.0.2 leaves none there, and the core says "libnfs call failed".
  EXPECT_EQ(sentence.rfind("localio_service: ", 0), 0u) << sentence;
  EXPECT_GT(sentence.size(), std::string("localio_service: ").size()) << sentence;
}

INSTANTIATE_TEST_SUITE_P(Versions, LibnfsFailure, ::testing::Values(4),
                         [](const ::testing::TestParamInfo<int>& param) {
                           return "NFSv" + std::to_string(param.param);
                         });

}  // namespace
}  // namespace localio::harness
