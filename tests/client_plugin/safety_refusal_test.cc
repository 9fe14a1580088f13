// SPDX-License-Identifier: LGPL-3.0-or-later
// Refusals of the C API against the real server, NFSv3 and NFSv4: when the
// bypass must not serve an I/O (no map, another server's map, a read-only
// export, root on a root_squash export) it steps aside, the call gives
// exactly what plain libnfs gives (data or errno), and the counters name
// why.
#include <gtest/gtest.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "harness/files.h"
#include "harness/gtest_support.h"
#include "harness/temp_dir.h"
#include "localio/hello_area.h"
#include "safety_support.h"

namespace localio::harness {
namespace {

constexpr uint16_t kRw = 1;
constexpr uint16_t kRo = 2;
constexpr uint16_t kSquash = 3;
constexpr uid_t kAnon = 65534;

// server_ (A) is the server every client mounts; other_ (B) is another
// server on this host.
class SafetyRefusal : public SuiteServerTest<SafetyRefusal, ::testing::TestWithParam<int>> {
 protected:
  static void SetUpTestSuite() {
    // Server B first, then A, the server the clients mount. (The handshake
    // takes the LOCALIO port from the map, so which of them holds the
    // program's one rpcbind entry does not matter.)
    other_ = std::make_unique<GaneshaServer>(OneExport());
    start_ = other_->Start();
    if (!start_.ok()) return;

    ServerOptions a;
    ExportOptions squash;
    squash.id = kSquash;
    squash.squash = "Root_Squash";
    squash.export_lines = {"Anonymous_Uid = 65534;", "Anonymous_Gid = 65534;"};
    a.exports = {MakeExport(kRw), MakeExport(kRo, Fsal::kLocalio, Access::kReadOnly), squash};
    StartSuiteServer(a);
  }
  static void TearDownTestSuite() {
    SuiteServerTest::TearDownTestSuite();
    other_.reset();
  }

  void TearDown() override {
    mount_.reset();
    plain_.reset();
    SuiteServerTest::TearDown();
  }

  int Version() const { return GetParam(); }
  std::string Name(const std::string& base) const {
    return base + "-v" + std::to_string(Version());
  }
  std::string InExport(uint16_t id, const std::string& name) const {
    return server_->ExportDir(id) + "/" + name;
  }

  void Mount(uint16_t id, const localio_config& cfg) {
    Status s = LocalioMount::Attach(server_->Url(id, Version(), ""), cfg, &mount_);
    ASSERT_TRUE(s.ok()) << s.message;
  }
  // Mounts with server A's own map: the client must be local.
  void MountLocal(uint16_t id) {
    ASSERT_NO_FATAL_FAILURE(Mount(id, ConfigWithMap(server_->map_path())));
    ASSERT_EQ(localio_is_local(mount_->ctx()), 1) << mount_->Error();
  }
  void MountPlain(uint16_t id) {
    Status s = NfsSession::Mount(server_->Url(id, Version(), ""), &plain_);
    ASSERT_TRUE(s.ok()) << s.message;
  }

  inline static std::unique_ptr<GaneshaServer> other_;
  std::unique_ptr<LocalioMount> mount_;
  std::unique_ptr<NfsSession> plain_;  // no LOCALIO: what RPC gives
};

// Reads `name` whole and writes `update` over its start through a client
// that must not bypass; both must reach the server's file.
void ExpectIoWorksOverRpc(LocalioMount* m, const std::string& name, const std::string& local,
                          const std::string& want) {
  nfsfh* fh = nullptr;
  ASSERT_EQ(localio_open(m->ctx(), ("/" + name).c_str(), O_RDWR, &fh), 0) << m->Error();
  const ReadOutcome got = ReadThroughLocalio(m->ctx(), fh);
  EXPECT_EQ(got.rc, 0) << m->Error();
  EXPECT_EQ(got.data, want);
  const std::string update = Pattern("rpc-update", 3000);
  EXPECT_EQ(WriteThroughLocalio(m->ctx(), fh, 0, update), 0) << m->Error();
  ASSERT_EQ(localio_close(m->ctx(), fh), 0) << m->Error();
  EXPECT_EQ(ReadFile(local), update + want.substr(update.size()));
  const localio_counters c = m->Counters();
  EXPECT_EQ(c.read_ops + c.write_ops, 0u) << Describe(c);
  EXPECT_GE(c.fallbacks[LOCALIO_FALLBACK_NOT_LOCAL], 3u) << Describe(c);
}

TEST_P(SafetyRefusal, NoMapMeansNotLocalAndRpcCarriesTheIo) {
  const std::string name = Name("nomap");
  const std::string data = Pattern(name, 10000);
  ASSERT_TRUE(WriteLocalFile(InExport(kRw, name), data).ok());
  const std::string missing = server_->dir() + "/no-such-map";
  ASSERT_NO_FATAL_FAILURE(Mount(kRw, ConfigWithMap(missing)));
  EXPECT_EQ(localio_is_local(mount_->ctx()), 0);
  EXPECT_NE(mount_->Error().find(missing), std::string::npos) << mount_->Error();
  EXPECT_EQ(mount_->Counters().handshakes_ok, 0u);
  ExpectIoWorksOverRpc(mount_.get(), name, InExport(kRw, name), data);
}

TEST_P(SafetyRefusal, AnotherServersMapIsNotConfirmedAndRpcCarriesTheIo) {
  const std::string name = Name("othermap");
  const std::string data = Pattern(name, 10000);
  ASSERT_TRUE(WriteLocalFile(InExport(kRw, name), data).ok());
  // Control: with its own server's map the same mount is local, so what
  // follows fails because of the map and nothing else.
  ASSERT_NO_FATAL_FAILURE(MountLocal(kRw));
  mount_.reset();

  ASSERT_NO_FATAL_FAILURE(Mount(kRw, ConfigWithMap(other_->map_path())));
  EXPECT_EQ(localio_is_local(mount_->ctx()), 0)
      << "a client of server A confirmed through server B's map";
  // B's map names B's NFS port; this mount talks to A's, so the nonce went
  // through A's NFS port (a port forward could have been in between), and
  // A did not confirm B's nonce.
  EXPECT_NE(mount_->Error().find("did not confirm the nonce (map " + other_->map_path()),
            std::string::npos)
      << mount_->Error();
  const localio_counters c = mount_->Counters();
  EXPECT_EQ(c.handshakes, 1u);
  EXPECT_EQ(c.handshakes_ok, 0u);
  // Server B never saw the nonce: nothing in its hello area is confirmed
  // (a failed handshake also gives its slot back).
  std::vector<HelloSlotView> slots;
  ASSERT_TRUE(ReadHelloSlots(other_->map_path() + ".hello", LOCALIO_DEFAULT_SERVER_UID, &slots).ok());
  for (const HelloSlotView& s : slots) EXPECT_NE(s.state, kHelloConfirmed) << "slot " << s.index;
  ExpectIoWorksOverRpc(mount_.get(), name, InExport(kRw, name), data);
}

TEST_P(SafetyRefusal, ReadOnlyExportBypassesReadsAndRefusesWritesAsRpcDoes) {
  const std::string name = Name("readonly");
  const std::string data = Pattern(name, 20000);
  ASSERT_TRUE(WriteLocalFile(InExport(kRo, name), data).ok());
  ASSERT_NO_FATAL_FAILURE(MountLocal(kRo));
  ASSERT_NO_FATAL_FAILURE(MountPlain(kRo));
  localio_context* ctx = mount_->ctx();
  nfs_context* plain = plain_->context();
  const std::string path = "/" + name;
  const std::string update = "must never land";

  // Read-only open: reads bypass, a write fails as the wire fails it.
  nfsfh* fh = nullptr;
  nfsfh* pfh = nullptr;
  ASSERT_EQ(localio_open(ctx, path.c_str(), O_RDONLY, &fh), 0) << mount_->Error();
  ASSERT_EQ(nfs_open(plain, path.c_str(), O_RDONLY, &pfh), 0) << nfs_get_error(plain);
  const ReadOutcome got = ReadThroughLocalio(ctx, fh);
  EXPECT_EQ(got.rc, 0) << mount_->Error();
  EXPECT_EQ(got.data, data);
  localio_counters c = mount_->Counters();
  EXPECT_GE(c.read_ops, 1u) << Describe(c);
  EXPECT_EQ(c.read_bytes, data.size()) << Describe(c);

  const int rpc_rc = nfs_pwrite(plain, pfh, 0, update.size(), update.data());
  const int rc = localio_pwrite(ctx, fh, 0, update.size(), update.data());
  std::printf("NFSv%d write on a read-only open of a RO export: plain libnfs %d, localio %d\n",
              Version(), rpc_rc, rc);
  EXPECT_LT(rpc_rc, 0);
  EXPECT_EQ(rc, rpc_rc) << mount_->Error();
  c = mount_->Counters();
  EXPECT_EQ(c.write_ops, 0u) << Describe(c);
  EXPECT_EQ(c.fallbacks[LOCALIO_FALLBACK_READ_ONLY], 1u) << Describe(c);
  // libnfs commits at close what it tried to write: the same answer again.
  const int rpc_close = nfs_close(plain, pfh);
  EXPECT_EQ(localio_close(ctx, fh), rpc_close) << mount_->Error();

  // A read-write open: whatever the wire says (libnfs may refuse the open
  // itself), the bypass says the same.
  fh = pfh = nullptr;
  const int rpc_open = nfs_open(plain, path.c_str(), O_RDWR, &pfh);
  const int open = localio_open(ctx, path.c_str(), O_RDWR, &fh);
  std::printf("NFSv%d O_RDWR open on a RO export: plain libnfs %d, localio %d\n", Version(),
              rpc_open, open);
  EXPECT_EQ(open, rpc_open) << mount_->Error();
  if (open == 0 && rpc_open == 0) {
    const int rpc_w = nfs_pwrite(plain, pfh, 0, update.size(), update.data());
    const int w = localio_pwrite(ctx, fh, 0, update.size(), update.data());
    EXPECT_LT(rpc_w, 0);
    EXPECT_EQ(w, rpc_w) << mount_->Error();
    c = mount_->Counters();
    EXPECT_EQ(c.write_ops, 0u) << Describe(c);
    EXPECT_EQ(c.fallbacks[LOCALIO_FALLBACK_READ_ONLY], 2u) << Describe(c);
  }
  if (pfh != nullptr && fh != nullptr) {
    const int rpc_closed = nfs_close(plain, pfh);
    EXPECT_EQ(localio_close(ctx, fh), rpc_closed) << mount_->Error();
  } else {
    if (pfh != nullptr) nfs_close(plain, pfh);
    if (fh != nullptr) localio_close(ctx, fh);
  }
  EXPECT_EQ(ReadFile(InExport(kRo, name)), data) << "a write reached a read-only export";
}

TEST_P(SafetyRefusal, RootSquashOpensAsTheAnonymousUserAndNeverReadsMore) {
  ASSERT_EQ(getuid(), 0u) << "this test proves what root is refused";
  const std::string pub = Name("public");
  const std::string secret = Name("secret");
  const std::string later = Name("secret-later");
  const std::string anon = Name("anon-owned");
  const std::string pub_data = Pattern(pub, 9000);
  const std::string secret_data = Pattern(secret, 9000);
  ASSERT_TRUE(WriteLocalFile(InExport(kSquash, pub), pub_data, 0644).ok());
  ASSERT_TRUE(WriteLocalFile(InExport(kSquash, secret), secret_data, 0600).ok());
  ASSERT_TRUE(WriteLocalFile(InExport(kSquash, later), secret_data, 0644).ok());
  ASSERT_TRUE(WriteLocalFile(InExport(kSquash, anon), pub_data, 0644, kAnon, kAnon).ok());
  ASSERT_NO_FATAL_FAILURE(MountLocal(kSquash));
  ASSERT_NO_FATAL_FAILURE(MountPlain(kSquash));
  localio_context* ctx = mount_->ctx();
  nfs_context* plain = plain_->context();

  // A file the anonymous user may read: bypassed.
  nfsfh* fh = nullptr;
  ASSERT_EQ(localio_open(ctx, ("/" + pub).c_str(), O_RDONLY, &fh), 0) << mount_->Error();
  ReadOutcome got = ReadThroughLocalio(ctx, fh);
  EXPECT_EQ(got, (ReadOutcome{0, pub_data})) << mount_->Error();
  localio_counters c = mount_->Counters();
  EXPECT_EQ(c.read_bytes, pub_data.size()) << Describe(c);
  ASSERT_EQ(localio_close(ctx, fh), 0);

  // 0600 root's file: the wire refuses root (squashed); so does the bypass.
  nfsfh* pfh = nullptr;
  fh = nullptr;
  const int rpc_open = nfs_open(plain, ("/" + secret).c_str(), O_RDONLY, &pfh);
  const int open = localio_open(ctx, ("/" + secret).c_str(), O_RDONLY, &fh);
  std::printf("NFSv%d squashed root opens a 0600 root file: plain libnfs %d, localio %d\n",
              Version(), rpc_open, open);
  EXPECT_EQ(open, rpc_open);
  if (open == 0 && rpc_open == 0) {
    const ReadOutcome rpc = ReadThroughRpc(plain, pfh);
    EXPECT_EQ(ReadThroughLocalio(ctx, fh), rpc);
    EXPECT_NE(rpc.data, secret_data) << "the wire gave squashed root a 0600 file";
  }
  if (fh != nullptr) localio_close(ctx, fh);
  if (pfh != nullptr) nfs_close(plain, pfh);

  // Opened while readable, made 0600 before the first read: the local open
  // (as the anonymous user) is refused, the call goes to RPC and gives what
  // RPC gives for the open file.
  fh = pfh = nullptr;
  ASSERT_EQ(localio_open(ctx, ("/" + later).c_str(), O_RDONLY, &fh), 0) << mount_->Error();
  ASSERT_EQ(nfs_open(plain, ("/" + later).c_str(), O_RDONLY, &pfh), 0) << nfs_get_error(plain);
  ASSERT_EQ(chmod(InExport(kSquash, later).c_str(), 0600), 0);
  const localio_counters before = mount_->Counters();
  const ReadOutcome rpc = ReadThroughRpc(plain, pfh);
  got = ReadThroughLocalio(ctx, fh);
  std::printf("NFSv%d read after chmod 0600: plain libnfs rc %d (%zu B), localio rc %d (%zu B)\n",
              Version(), rpc.rc, rpc.data.size(), got.rc, got.data.size());
  EXPECT_EQ(got, rpc) << mount_->Error();
  c = mount_->Counters();
  EXPECT_EQ(c.read_ops, before.read_ops) << "root's 0600 file was read locally: " << Describe(c);
  EXPECT_GE(c.fallbacks[LOCALIO_FALLBACK_OPEN], before.fallbacks[LOCALIO_FALLBACK_OPEN] + 1)
      << Describe(c);
  localio_close(ctx, fh);
  nfs_close(plain, pfh);

  // The anonymous user's own file: writable, and the write bypasses. The
  // open itself is the wire's: libnfs 4.0's NFSv4 open for writing checks
  // ACCESS bits it never asked for and fails with EINVAL under root_squash,
  // through either client.
  fh = pfh = nullptr;
  const int rpc_wopen = nfs_open(plain, ("/" + anon).c_str(), O_WRONLY, &pfh);
  const int wopen = localio_open(ctx, ("/" + anon).c_str(), O_WRONLY, &fh);
  std::printf("NFSv%d squashed root opens the anonymous user's file for writing: plain libnfs "
              "%d, localio %d\n", Version(), rpc_wopen, wopen);
  EXPECT_EQ(wopen, rpc_wopen) << mount_->Error();
  if (pfh != nullptr) nfs_close(plain, pfh);
  if (fh == nullptr) return;
  const std::string update = Pattern("anon-update", 1500);
  const localio_counters w0 = mount_->Counters();
  ASSERT_EQ(WriteThroughLocalio(ctx, fh, 100, update), 0) << mount_->Error();
  ASSERT_EQ(localio_close(ctx, fh), 0) << mount_->Error();
  c = mount_->Counters();
  EXPECT_EQ(c.write_ops, w0.write_ops + WriteCalls(update.size())) << Describe(c);
  std::string want = pub_data;
  want.replace(100, update.size(), update);
  EXPECT_EQ(ReadFile(InExport(kSquash, anon)), want);
  struct stat st {};
  ASSERT_EQ(stat(InExport(kSquash, anon).c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, kAnon);
}

INSTANTIATE_TEST_SUITE_P(Versions, SafetyRefusal, ::testing::Values(3, 4),
                         [](const ::testing::TestParamInfo<int>& param) {
                           return "NFSv" + std::to_string(param.param);
                         });

}  // namespace
}  // namespace localio::harness
