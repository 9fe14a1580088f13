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
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "harness/libnfs_limits.h"
#include "harness/loopback.h"
#include "harness/gtest_support.h"
#include "harness/process.h"
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

std::string Sha256(const std::string& path) {
  CommandResult r;
  Status s = RunCommand({"sha256sum", path}, std::chrono::seconds(60), &r);
  EXPECT_TRUE(s.ok() && r.Succeeded()) << s.message << r.Describe();
  return r.out.substr(0, r.out.find(' '));
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

  // Random preads and pwrites of 1 .. max_io bytes at random offsets below
  // `span`, each read checked against the model. Returns the bytes read and
  // written (a read past the end moves fewer than asked).
  uint64_t RandomIo(nfsfh* fh, Model* model, uint64_t span, uint64_t max_io, int ops,
                    uint64_t seed, bool rpc) {
    std::mt19937_64 rng(seed);
    std::vector<uint8_t> buf(max_io);
    uint64_t moved = 0;
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
        moved += static_cast<uint64_t>(std::max(rc, 0));
        continue;
      }
      moved += len;
    }
    return moved;
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
    std::ofstream(path, std::ios::binary)
        .write(reinterpret_cast<const char*>(model.bytes.data()),
               static_cast<std::streamsize>(model.size));
    const std::string sha = Sha256(path);
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
  ASSERT_NO_FATAL_FAILURE(Attach(Config()));
  ASSERT_EQ(localio_is_local(ctx_), 1) << localio_get_error(ctx_);

  const std::string name = Name("bypass");
  fs::remove(InExport(name));
  nfsfh* fh = nullptr;
  ASSERT_EQ(localio_open(ctx_, ("/" + name).c_str(), O_CREAT | O_RDWR, &fh), 0)
      << localio_get_error(ctx_);
  Model model{std::vector<uint8_t>(kSpan), 0};
  // The slot's counters before our I/O (a reused slot starts where its last
  // owner left it).
  std::vector<HelloSlotView> slots;
  ASSERT_TRUE(ReadHelloSlots(server_->map_path() + ".hello", &slots).ok());
  ASSERT_EQ(slots.size(), 1u) << "one client, one slot";
  const HelloSlotView slot_before = slots[0];

  const int sock = nfs_get_fd(nfs_);
  const uint64_t lo_before = LoopbackBytes();
  const uint64_t conn_before = ConnectionBytes(sock);
  const uint64_t moved = RandomIo(fh, &model, kSpan, kMaxIo, kOps, 42 + Version(), false);
  ASSERT_FALSE(HasFatalFailure());
  ASSERT_EQ(localio_fsync(ctx_, fh), 0) << localio_get_error(ctx_);
  const uint64_t lo_delta = LoopbackBytes() - lo_before;
  const uint64_t conn_delta = ConnectionBytes(sock) - conn_before;

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
  ASSERT_TRUE(ReadHelloSlots(server_->map_path() + ".hello", &slots).ok());
  ASSERT_EQ(slots.size(), 1u);
  EXPECT_EQ(slots[0].index, slot_before.index);
  EXPECT_EQ(slots[0].read_ops - slot_before.read_ops, c.read_ops);
  EXPECT_EQ(slots[0].read_bytes - slot_before.read_bytes, c.read_bytes);
  EXPECT_EQ(slots[0].write_ops - slot_before.write_ops, c.write_ops);
  EXPECT_EQ(slots[0].write_bytes - slot_before.write_bytes, c.write_bytes);

  std::printf("NFSv%d bypass: %llu bytes read+written, loopback moved %llu, the NFS "
              "connection %llu\n",
              Version(), static_cast<unsigned long long>(moved),
              static_cast<unsigned long long>(lo_delta),
              static_cast<unsigned long long>(conn_delta));
  EXPECT_LT(conn_delta, moved / 20) << "the data went through the NFS connection";
  EXPECT_LT(lo_delta, moved / 20) << "the data went over loopback";

  ASSERT_EQ(localio_close(ctx_, fh), 0) << localio_get_error(ctx_);
  EXPECT_EQ(Sha256(InExport(name)), ModelSha(model, name + ".model"))
      << "the server's file differs from the model";

  ASSERT_EQ(localio_open(ctx_, ("/" + name).c_str(), O_RDONLY, &fh), 0);
  ReadBackSequentially(fh, model);
  ASSERT_EQ(localio_close(ctx_, fh), 0) << localio_get_error(ctx_);

  mount_->Detach();
  ctx_ = nullptr;
  ASSERT_TRUE(ReadHelloSlots(server_->map_path() + ".hello", &slots).ok());
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
  fs::remove(InExport(name));
  nfsfh* fh = nullptr;
  ASSERT_EQ(localio_open(ctx_, ("/" + name).c_str(), O_CREAT | O_RDWR, &fh), 0)
      << localio_get_error(ctx_);
  Model model{std::vector<uint8_t>(kSpan), 0};
  const int sock = nfs_get_fd(nfs_);
  const uint64_t lo_before = LoopbackBytes();
  const uint64_t conn_before = ConnectionBytes(sock);
  const uint64_t moved = RandomIo(fh, &model, kSpan, kMaxIo, kOps, 7 + Version(), true);
  ASSERT_FALSE(HasFatalFailure());
  ASSERT_EQ(localio_fsync(ctx_, fh), 0) << localio_get_error(ctx_);
  const uint64_t lo_delta = LoopbackBytes() - lo_before;
  const uint64_t conn_delta = ConnectionBytes(sock) - conn_before;
  std::printf("NFSv%d RPC: %llu bytes read+written, loopback moved %llu, the NFS "
              "connection %llu\n",
              Version(), static_cast<unsigned long long>(moved),
              static_cast<unsigned long long>(lo_delta),
              static_cast<unsigned long long>(conn_delta));
  EXPECT_GT(conn_delta, moved) << "the connection meter missed the data";
  EXPECT_GT(lo_delta, moved) << "the loopback meter missed the data";

  localio_counters c{};
  ASSERT_EQ(localio_get_counters(ctx_, &c), 0);
  EXPECT_EQ(c.read_ops + c.write_ops, 0u);
  EXPECT_GE(c.fallbacks[LOCALIO_FALLBACK_NOT_LOCAL], static_cast<uint64_t>(kOps));
  EXPECT_EQ(c.handshakes, 0u) << "a disabled client never probes";

  ASSERT_EQ(localio_close(ctx_, fh), 0) << localio_get_error(ctx_);
  EXPECT_EQ(Sha256(InExport(name)), ModelSha(model, name + ".model"));
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
  fs::remove(InExport(name));
  nfsfh* fh = nullptr;
  ASSERT_EQ(localio_open(ctx_, ("/" + name).c_str(), O_CREAT | O_RDWR, &fh), 0)
      << localio_get_error(ctx_);
  const std::string text = "written over RPC by a client without a map\n";
  WriteAll(fh, 0, reinterpret_cast<const uint8_t*>(text.data()), text.size(), true);
  std::vector<char> back(text.size());
  EXPECT_EQ(localio_pread(ctx_, fh, 0, back.size(), back.data()), static_cast<int>(text.size()));
  EXPECT_EQ(std::string(back.begin(), back.end()), text);
  ASSERT_EQ(localio_close(ctx_, fh), 0) << localio_get_error(ctx_);
  std::ifstream in(InExport(name));
  EXPECT_EQ(std::string(std::istreambuf_iterator<char>(in), {}), text);
  fs::remove(InExport(name));
}

INSTANTIATE_TEST_SUITE_P(Versions, LocalioClientIntegration, ::testing::Values(3, 4),
                         [](const ::testing::TestParamInfo<int>& param) {
                           return "NFSv" + std::to_string(param.param);
                         });

}  // namespace
}  // namespace localio::harness
