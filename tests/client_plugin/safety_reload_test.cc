// SPDX-License-Identifier: LGPL-3.0-or-later
// The bypass follows the live export: an export's access changed by a
// SIGHUP reload (Access_Type, Squash, or a CLIENT block that restricts this
// client) applies to the very next I/O of a file held open across the
// reload, exactly as RPC applies it. NFSv3 and NFSv4. (libnfs asks the
// server at open, so only an open from before a change can meet it.)
// (An export removed by a reload: fault_export_reload_test.)
//
// Each reload test waits until a plain libnfs client, with its own open of
// the same file, sees the new access over RPC, and then asks the LOCALIO
// client: it must give the same answer and, where RPC refuses, reach the
// file neither by bypass nor at all.
#include <gtest/gtest.h>
#include <fcntl.h>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "harness/files.h"
#include "harness/gtest_support.h"
#include "localio/map_reader.h"
#include "safety_support.h"

namespace localio::harness {
namespace {

using std::chrono::milliseconds;
using std::chrono::steady_clock;

constexpr uint16_t kExport = 1;

class SafetyReload : public ServerTest<::testing::TestWithParam<int>> {
 protected:
  void Start(ExportOptions e) {
    e.id = kExport;
    StartServer(OneExport(e));
  }
  void TearDown() override {
    plain_.reset();
    mount_.reset();
    ServerTest::TearDown();
  }
  int V() const { return GetParam(); }
  void WriteRefusedThenBack(const ExportOptions& restricted, const std::string& tag);
  void ReadSquashed(const ExportOptions& squashed, const std::string& tag);
  std::string Local(const std::string& name) const {
    return server_->ExportDir(kExport) + "/" + name;
  }

  // Opens `name` O_RDWR through a LOCALIO client and a plain one.
  void OpenBoth(const std::string& name) {
    const Status s = MountLocalAndPlain(*server_, kExport, V(), &mount_, &plain_);
    ASSERT_TRUE(s.ok()) << s.message;
    ASSERT_EQ(localio_open(mount_->ctx(), ("/" + name).c_str(), O_RDWR, &fh_), 0)
        << mount_->Error();
    ASSERT_EQ(nfs_open(plain_->context(), ("/" + name).c_str(), O_RDWR, &pfh_), 0)
        << plain_->Error();
  }

  // Rewrites the config with `e` (same id), sends SIGHUP, and waits until
  // `rpc_sees_it` (a plain-client check) holds.
  void ReloadUntil(ExportOptions e, const std::function<bool()>& rpc_sees_it) {
    e.id = kExport;
    e.path = server_->FindExport(kExport)->path;
    e.pseudo = server_->FindExport(kExport)->pseudo;
    ASSERT_TRUE(server_->SetExports({e}).ok());
    ASSERT_TRUE(server_->Reload().ok());
    const auto t0 = steady_clock::now();
    while (!rpc_sees_it()) {
      ASSERT_LT(steady_clock::now() - t0, std::chrono::seconds(20))
          << "RPC never saw the reloaded export";
      std::this_thread::sleep_for(milliseconds(2));
    }
    // The row is withdrawn during the reload (the bypass is off) and back
    // a few ms after it: ask the LOCALIO client once it is back, so that
    // what is tested is the new row, not the gap.
    std::unique_ptr<MapReader> map;
    ASSERT_TRUE(MapReader::Open(server_->map_path(), LOCALIO_DEFAULT_SERVER_UID, &map).ok());
    while (!map->FindExport(kExport)) {
      ASSERT_LT(steady_clock::now() - t0, std::chrono::seconds(20))
          << "the export's row never came back";
      std::this_thread::sleep_for(milliseconds(1));
    }
  }

  std::unique_ptr<LocalioMount> mount_;
  std::unique_ptr<NfsSession> plain_;
  nfsfh* fh_ = nullptr;
  nfsfh* pfh_ = nullptr;
};

ExportOptions ReadWrite(const std::string& squash = "No_Root_Squash") {
  ExportOptions e;
  e.squash = squash;
  return e;
}

ExportOptions ReadOnly() {
  ExportOptions e;
  e.access = Access::kReadOnly;
  return e;
}

// RW -> `restricted` -> RW with the file open read-write throughout.
void SafetyReload::WriteRefusedThenBack(const ExportOptions& restricted, const std::string& tag) {
  ASSERT_NO_FATAL_FAILURE(Start(ReadWrite()));
  const std::string name = tag + "-v" + std::to_string(V());
  const std::string data = Pattern(name, 8192);
  ASSERT_TRUE(WriteLocalFile(Local(name), data).ok());
  ASSERT_NO_FATAL_FAILURE(OpenBoth(name));
  const std::string head = data.substr(0, 512);
  ASSERT_EQ(localio_pwrite(mount_->ctx(), fh_, 0, head.size(), head.data()),
            static_cast<int>(head.size()))
      << mount_->Error();
  ASSERT_GE(mount_->Counters().write_ops, 1u) << "not bypassing: " << Describe(mount_->Counters());

  // RPC refuses writes once the reload is in: the plain client rewrites
  // the same bytes until it is refused, so the file never changes.
  int rpc_rc = 0;
  ASSERT_NO_FATAL_FAILURE(ReloadUntil(restricted, [&] {
    rpc_rc = nfs_pwrite(plain_->context(), pfh_, 0, head.size(), head.data());
    return rpc_rc < 0;
  }));
  const localio_counters before = mount_->Counters();
  const int rc = localio_pwrite(mount_->ctx(), fh_, 0, 5, "XXXXX");
  EXPECT_EQ(rc, rpc_rc) << "RPC: " << rpc_rc << " (" << strerror(-rpc_rc) << "), LOCALIO: " << rc
                        << " " << mount_->Error();
  EXPECT_EQ(mount_->Counters().write_ops, before.write_ops) << "a write bypassed a read-only export";
  const int rpc_fsync = nfs_fsync(plain_->context(), pfh_);
  const int fsync_rc = localio_fsync(mount_->ctx(), fh_);
  EXPECT_EQ(fsync_rc, rpc_fsync) << mount_->Error();
  EXPECT_EQ(ReadFile(Local(name)), data) << "the read-only export's file changed";
  std::printf("NFSv%d after RW->%s: write %d (RPC %d), fsync %d (RPC %d); %s\n", V(), tag.c_str(),
              rc, rpc_rc,
              fsync_rc, rpc_fsync, Describe(mount_->Counters()).c_str());

  // Loosened again: RPC writes, and so does the bypass, soon.
  ASSERT_NO_FATAL_FAILURE(ReloadUntil(ReadWrite(), [&] {
    return nfs_pwrite(plain_->context(), pfh_, 0, head.size(), head.data()) ==
           static_cast<int>(head.size());
  }));
  const std::string update = Pattern("after RW again", 1000);
  const auto t0 = steady_clock::now();
  uint64_t bypassed = mount_->Counters().write_ops;
  while (mount_->Counters().write_ops == bypassed) {
    bypassed = mount_->Counters().write_ops;
    ASSERT_EQ(localio_pwrite(mount_->ctx(), fh_, 100, update.size(), update.data()),
              static_cast<int>(update.size()))
        << mount_->Error();
    ASSERT_LT(steady_clock::now() - t0, std::chrono::seconds(10))
        << "the bypass never came back: " << Describe(mount_->Counters());
    if (mount_->Counters().write_ops == bypassed) std::this_thread::sleep_for(milliseconds(5));
  }
  std::printf("NFSv%d after %s->RW: bypassing writes again %lld ms after RPC wrote\n", V(),
              tag.c_str(),
              static_cast<long long>(std::chrono::duration_cast<milliseconds>(
                                         steady_clock::now() - t0).count()));
  EXPECT_EQ(localio_close(mount_->ctx(), fh_), 0) << mount_->Error();
  fh_ = nullptr;
  std::string expect = data;
  expect.replace(100, update.size(), update);
  EXPECT_EQ(ReadFile(Local(name)), expect);
}

TEST_P(SafetyReload, ReadOnlyReloadRefusesTheNextWriteAndLooseningBringsTheBypassBack) {
  ASSERT_NO_FATAL_FAILURE(WriteRefusedThenBack(ReadOnly(), "ro"));
}

// The bypass never gives more than the client's CLIENT block gives.
TEST_P(SafetyReload, ReadOnlyClientBlockRefusesTheNextWrite) {
  ExportOptions e = ReadWrite();
  e.export_lines = {"CLIENT { Clients = 127.0.0.1; Access_Type = RO; }"};
  ASSERT_NO_FATAL_FAILURE(WriteRefusedThenBack(e, "client-ro"));
}

// no_root_squash -> root_squash: root's next access is squashed. The file
// is root's, mode 0600: squashed, nobody may read it.
void SafetyReload::ReadSquashed(const ExportOptions& squashed, const std::string& tag) {
  ASSERT_NO_FATAL_FAILURE(Start(ReadWrite()));
  const std::string name = tag + "-v" + std::to_string(V());
  const std::string data = Pattern(name, 4096);
  ASSERT_TRUE(WriteLocalFile(Local(name), data, 0600, 0, 0).ok());
  ASSERT_NO_FATAL_FAILURE(OpenBoth(name));
  ASSERT_TRUE(ReadThroughLocalio(mount_->ctx(), fh_) == (ReadOutcome{0, data}));
  ASSERT_GE(mount_->Counters().read_ops, 1u) << Describe(mount_->Counters());

  // A fresh open each time, on a third client (failed NFSv4 opens leave
  // their context's open owner unusable for the comparison below): what a
  // root_squashed root gets now.
  std::unique_ptr<NfsSession> probe;
  ASSERT_TRUE(NfsSession::Mount(server_->Url(kExport, V(), ""), &probe).ok());
  ASSERT_NO_FATAL_FAILURE(ReloadUntil(squashed, [&] {
    nfsfh* pf = nullptr;
    const int rc = nfs_open(probe->context(), ("/" + name).c_str(), O_RDONLY, &pf);
    if (rc == 0) nfs_close(probe->context(), pf);
    return rc < 0;
  }));
  const ReadOutcome rpc = ReadThroughRpc(plain_->context(), pfh_);
  const localio_counters before = mount_->Counters();
  const ReadOutcome got = ReadThroughLocalio(mount_->ctx(), fh_);
  EXPECT_EQ(mount_->Counters().read_ops, before.read_ops)
      << "root read a 0600 file locally after root_squash: " << Describe(mount_->Counters());
  EXPECT_EQ(got, rpc) << "LOCALIO rc " << got.rc << ", RPC rc " << rpc.rc;
  std::printf("NFSv%d after %s: open-file read %d (RPC %d); %s\n", V(), tag.c_str(), got.rc, rpc.rc,
              Describe(mount_->Counters()).c_str());
}

TEST_P(SafetyReload, RootSquashReloadSquashesRootsNextRead) {
  ASSERT_NO_FATAL_FAILURE(ReadSquashed(ReadWrite("Root_Squash"), "root-squash"));
}

TEST_P(SafetyReload, RootSquashClientBlockSquashesRootsNextRead) {
  ExportOptions e = ReadWrite();
  e.export_lines = {"CLIENT { Clients = 127.0.0.1; Squash = Root_Squash; }"};
  ASSERT_NO_FATAL_FAILURE(ReadSquashed(e, "client-root-squash"));
}

INSTANTIATE_TEST_SUITE_P(Versions, SafetyReload, ::testing::Values(3, 4),
                         [](const ::testing::TestParamInfo<int>& param) {
                           return "NFSv" + std::to_string(param.param);
                         });

}  // namespace
}  // namespace localio::harness
