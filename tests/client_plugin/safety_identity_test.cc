// SPDX-License-Identifier: LGPL-3.0-or-later
// The identity of local I/O against the real server, NFSv3 and NFSv4: the
// bypass acts as exactly the AUTH_SYS credential the context's RPCs carry,
// however it was set (the URL's ?uid=&gid=, nfs_set_uid/nfs_set_gid after
// the mount, nfs_set_auth with groups, nfs_set_auxiliary_gids on libnfs 5),
// squashed as the export squashes it, groups included. Each case compares
// the C API with a plain libnfs client of the same identity: what RPC
// refuses the bypass refuses (the file unchanged), what RPC allows the
// bypass serves from the local file.
//
// The test process is root; the identity it mounts as is uid 1000. A
// permission RPC would refuse at the open (libnfs asks ACCESS first) is
// taken away after the open, through the server (a root client's chmod of
// a root-owned file, which Ganesha's attribute cache sees), so that the
// refusal is the READ's or WRITE's own. (A chown through the server is
// not used: libnfs 5.0.2's NFSv4 chown succeeds without changing the
// owner on Ganesha 6.5.)
#include <gtest/gtest.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "harness/files.h"
#include "harness/gtest_support.h"
#include "safety_support.h"  // libnfs.h first: libnfs-raw.h needs its EXTERN
// libnfs_authunix_create
#include <nfsc/libnfs-raw.h>

namespace localio::harness {
namespace {

constexpr uint16_t kRw = 1;
constexpr uint16_t kSquash = 2;
constexpr uint32_t kUser = 1000;
constexpr uint32_t kGroup = 2000;  // a group the user is given on the wire only

class SafetyIdentity : public SuiteServerTest<SafetyIdentity, ::testing::TestWithParam<int>> {
 protected:
  static void SetUpTestSuite() {
    ExportOptions squash;
    squash.id = kSquash;
    squash.squash = "Root_Squash";
    squash.export_lines = {"Anonymous_Uid = 65534;", "Anonymous_Gid = 65534;"};
    ServerOptions options;
    options.exports = {MakeExport(kRw), squash};
    StartSuiteServer(options);
    // uid 1000 mounts: it must reach the exports' directories.
    if (start_.ok() && (chmod(server_->dir().c_str(), 0755) != 0 ||
                        chmod(server_->ExportDir(kRw).c_str(), 0755) != 0 ||
                        chmod(server_->ExportDir(kSquash).c_str(), 0755) != 0))
      start_ = Status::Error(-errno, "chmod of the server's directories failed");
  }

  void TearDown() override {
    mount_.reset();
    rpc_.reset();
    admin_.reset();
    SuiteServerTest::TearDown();
  }

  int Version() const { return GetParam(); }
  std::string Name(const std::string& base) const {
    return base + "-v" + std::to_string(Version());
  }
  std::string InExport(uint16_t id, const std::string& name) const {
    return server_->ExportDir(id) + "/" + name;
  }
  // Export `id`'s URL, with `query` (e.g. "&uid=1000&gid=1000") appended.
  std::string Url(uint16_t id, const std::string& query = "") const {
    return server_->Url(id, Version(), "") + query;
  }
  static std::string AsUser() {
    return "&uid=" + std::to_string(kUser) + "&gid=" + std::to_string(kUser);
  }

  // mount_: the C API on export `id` with `query`, which must be local;
  // rpc_: plain libnfs with the same URL (what RPC gives that identity);
  // admin_: plain libnfs as root, to change files through the server.
  void MountAll(uint16_t id, const std::string& query) {
    Status s = LocalioMount::Attach(Url(id, query), ConfigWithMap(server_->map_path()), &mount_);
    ASSERT_TRUE(s.ok()) << s.message;
    ASSERT_EQ(localio_is_local(mount_->ctx()), 1) << mount_->Error();
    s = NfsSession::Mount(Url(id, query), &rpc_);
    ASSERT_TRUE(s.ok()) << s.message;
    s = NfsSession::Mount(Url(id), &admin_);
    ASSERT_TRUE(s.ok()) << s.message;
  }

  // Opens `name` with `flags` through both clients.
  void OpenBoth(const std::string& name, int flags, nfsfh** local, nfsfh** rpc) {
    ASSERT_EQ(localio_open(mount_->ctx(), ("/" + name).c_str(), flags, local), 0)
        << mount_->Error();
    ASSERT_EQ(nfs_open(rpc_->context(), ("/" + name).c_str(), flags, rpc), 0)
        << nfs_get_error(rpc_->context());
  }
  void CloseBoth(nfsfh* local, nfsfh* rpc) {
    localio_close(mount_->ctx(), local);
    nfs_close(rpc_->context(), rpc);
  }
  // Through the server, as root.
  void Chmod(const std::string& name, int mode) {
    ASSERT_EQ(nfs_chmod(admin_->context(), ("/" + name).c_str(), mode), 0)
        << nfs_get_error(admin_->context());
  }

  // Reads `local` and `rpc` whole: the same outcome, and whether the
  // bypass served it (`bypassed`) or stepped aside.
  void ExpectSameRead(nfsfh* local, nfsfh* rpc, bool bypassed, const char* what) {
    const localio_counters before = mount_->Counters();
    const ReadOutcome wire = ReadThroughRpc(rpc_->context(), rpc);
    const ReadOutcome got = ReadThroughLocalio(mount_->ctx(), local);
    std::printf("NFSv%d %s: plain libnfs rc %d (%zu B), localio rc %d (%zu B)\n", Version(), what,
                wire.rc, wire.data.size(), got.rc, got.data.size());
    EXPECT_EQ(got, wire) << what << ": " << mount_->Error();
    const localio_counters after = mount_->Counters();
    if (bypassed)
      EXPECT_GT(after.read_ops, before.read_ops) << what << ": not bypassed: " << Describe(after);
    else
      EXPECT_EQ(after.read_ops, before.read_ops) << what << ": read locally: " << Describe(after);
  }

  static void SetIds(nfs_context* nfs, uint32_t uid, uint32_t gid) {
    nfs_set_uid(nfs, static_cast<int>(uid));
    nfs_set_gid(nfs, static_cast<int>(gid));
  }
  // Sets AUTH_SYS (uid, gid, groups) on `nfs`, as an application would.
  static void SetAuth(nfs_context* nfs, uint32_t uid, uint32_t gid, std::vector<uint32_t> groups) {
    nfs_set_auth(nfs, libnfs_authunix_create("localio-test", uid, gid,
                                             static_cast<uint32_t>(groups.size()), groups.data()));
  }

  std::unique_ptr<LocalioMount> mount_;
  std::unique_ptr<NfsSession> rpc_;
  std::unique_ptr<NfsSession> admin_;
};

// A root process that mounts as uid 1000 by the URL writes as uid 1000: a
// root file whose write permission is taken from others after the open is
// not written, by RPC nor locally.
TEST_P(SafetyIdentity, TheUrlsUidIsTheIdentityOfLocalWrites) {
  ASSERT_EQ(getuid(), 0u) << "the test proves that root acts as the URL's user";
  const std::string name = Name("url-write");
  const std::string data = Pattern(name, 6000);
  ASSERT_TRUE(WriteLocalFile(InExport(kRw, name), data, 0666).ok());
  ASSERT_NO_FATAL_FAILURE(MountAll(kRw, AsUser()));
  // libnfs 4.0's and 5.0.2's NFSv4 open for writing check ACCESS bits they
  // never asked for and fail for any user but root: there both contexts
  // open as root and go back to the URL's identity for the writes.
  const bool open_as_root = Version() == 4;
  const std::vector<nfs_context*> both = {mount_->nfs(), rpc_->context()};
  for (nfs_context* nfs : both)
    if (open_as_root) SetIds(nfs, 0, 0);
  nfsfh *local = nullptr, *rpc = nullptr;
  ASSERT_NO_FATAL_FAILURE(OpenBoth(name, O_RDWR, &local, &rpc));
  for (nfs_context* nfs : both)
    if (open_as_root) SetIds(nfs, kUser, kUser);
  ASSERT_NO_FATAL_FAILURE(Chmod(name, 0644));

  const std::string update = "NEWDATA!";
  const int wire = nfs_pwrite(rpc_->context(), rpc, 0, update.size(), update.data());
  const int rc = localio_pwrite(mount_->ctx(), local, 0, update.size(), update.data());
  std::printf("NFSv%d uid %u writes root's 0644 file: plain libnfs %d, localio %d\n", Version(),
              kUser, wire, rc);
  EXPECT_LT(wire, 0) << "the server let uid 1000 write root's 0644 file";
  EXPECT_EQ(rc, wire) << mount_->Error();
  const localio_counters c = mount_->Counters();
  EXPECT_EQ(c.write_ops, 0u) << Describe(c);
  CloseBoth(local, rpc);
  EXPECT_EQ(ReadFile(InExport(kRw, name)), data) << "a write landed as another user";
}

TEST_P(SafetyIdentity, TheUrlsUidIsTheIdentityOfLocalReads) {
  const std::string mine = Name("url-mine");
  const std::string taken = Name("url-taken");
  ASSERT_TRUE(WriteLocalFile(InExport(kRw, mine), Pattern(mine, 7000), 0600, kUser, kUser).ok());
  ASSERT_TRUE(WriteLocalFile(InExport(kRw, taken), Pattern(taken, 7000), 0644).ok());
  ASSERT_NO_FATAL_FAILURE(MountAll(kRw, AsUser()));

  // Only uid 1000 may read it: the bypass reads it, as uid 1000.
  nfsfh *local = nullptr, *rpc = nullptr;
  ASSERT_NO_FATAL_FAILURE(OpenBoth(mine, O_RDONLY, &local, &rpc));
  ExpectSameRead(local, rpc, /*bypassed=*/true, "uid 1000 reads its 0600 file");
  CloseBoth(local, rpc);

  // Root's file made 0600 after the open: refused by RPC, and by the
  // bypass.
  ASSERT_NO_FATAL_FAILURE(OpenBoth(taken, O_RDONLY, &local, &rpc));
  ASSERT_NO_FATAL_FAILURE(Chmod(taken, 0600));
  ExpectSameRead(local, rpc, /*bypassed=*/false, "uid 1000 reads root's 0600 file");
  CloseBoth(local, rpc);
}

// nfs_set_uid/nfs_set_gid after the mount: the next I/O acts as the new
// identity (the local file opened as the old one is dropped), and as the
// old one again when it comes back.
TEST_P(SafetyIdentity, NfsSetUidAfterTheMountSwitchesAtTheNextIo) {
  const std::string name = Name("set-uid");
  ASSERT_TRUE(WriteLocalFile(InExport(kRw, name), Pattern(name, 5000), 0600).ok());
  ASSERT_NO_FATAL_FAILURE(MountAll(kRw, ""));
  nfsfh *local = nullptr, *rpc = nullptr;
  ASSERT_NO_FATAL_FAILURE(OpenBoth(name, O_RDONLY, &local, &rpc));
  ExpectSameRead(local, rpc, /*bypassed=*/true, "root reads root's 0600 file");

  for (nfs_context* nfs : {mount_->nfs(), rpc_->context()}) SetIds(nfs, kUser, kUser);
  ExpectSameRead(local, rpc, /*bypassed=*/false, "after nfs_set_uid(1000), root's 0600 file");

  for (nfs_context* nfs : {mount_->nfs(), rpc_->context()}) SetIds(nfs, 0, 0);
  ExpectSameRead(local, rpc, /*bypassed=*/true, "back to root");
  CloseBoth(local, rpc);
}

// AUTH_SYS groups are local groups: a group grants a read, and a group
// takes one away (a file of group G, mode 0604: "other" may read, a member
// of G may not).
TEST_P(SafetyIdentity, TheCredentialsGroupsAreTheLocalGroups) {
  const std::string granted = Name("group-granted");
  const std::string denied = Name("group-denied");
  ASSERT_TRUE(WriteLocalFile(InExport(kRw, granted), Pattern(granted, 4000), 0640, 0, kGroup).ok());
  ASSERT_TRUE(WriteLocalFile(InExport(kRw, denied), Pattern(denied, 4000), 0604, 0, kGroup).ok());
  ASSERT_NO_FATAL_FAILURE(MountAll(kRw, AsUser()));
  std::vector<nfs_context*> both = {mount_->nfs(), rpc_->context()};

  for (nfs_context* nfs : both) SetAuth(nfs, kUser, kUser, {kGroup});
  nfsfh *local = nullptr, *rpc = nullptr;
  ASSERT_NO_FATAL_FAILURE(OpenBoth(granted, O_RDONLY, &local, &rpc));
  ExpectSameRead(local, rpc, /*bypassed=*/true, "a member of the file's group reads 0640");
  CloseBoth(local, rpc);

  for (nfs_context* nfs : both) SetAuth(nfs, kUser, kUser, {});
  ASSERT_NO_FATAL_FAILURE(OpenBoth(denied, O_RDONLY, &local, &rpc));
  ExpectSameRead(local, rpc, /*bypassed=*/true, "a non-member reads 0604 as other");
  for (nfs_context* nfs : both) SetAuth(nfs, kUser, kUser, {kGroup});
  ExpectSameRead(local, rpc, /*bypassed=*/false, "a member of the file's group reads 0604");
  CloseBoth(local, rpc);
}

#if LOCALIO_LIBNFS_VERSION_MAJOR >= 5
// libnfs 5's nfs_set_auxiliary_gids: the same, set the way libnfs offers.
TEST_P(SafetyIdentity, NfsSetAuxiliaryGidsAreTheLocalGroups) {
  const std::string granted = Name("aux-granted");
  const std::string denied = Name("aux-denied");
  ASSERT_TRUE(WriteLocalFile(InExport(kRw, granted), Pattern(granted, 4000), 0640, 0, kGroup).ok());
  ASSERT_TRUE(WriteLocalFile(InExport(kRw, denied), Pattern(denied, 4000), 0604, 0, kGroup).ok());
  ASSERT_NO_FATAL_FAILURE(MountAll(kRw, AsUser()));
  std::vector<nfs_context*> both = {mount_->nfs(), rpc_->context()};
  uint32_t group[] = {kGroup};

  for (nfs_context* nfs : both) nfs_set_auxiliary_gids(nfs, 1, group);
  nfsfh *local = nullptr, *rpc = nullptr;
  ASSERT_NO_FATAL_FAILURE(OpenBoth(granted, O_RDONLY, &local, &rpc));
  ExpectSameRead(local, rpc, /*bypassed=*/true, "aux gid: a member reads 0640");
  CloseBoth(local, rpc);

  for (nfs_context* nfs : both) nfs_set_auxiliary_gids(nfs, 0, nullptr);
  ASSERT_NO_FATAL_FAILURE(OpenBoth(denied, O_RDONLY, &local, &rpc));
  ExpectSameRead(local, rpc, /*bypassed=*/true, "no aux gid: other reads 0604");
  for (nfs_context* nfs : both) nfs_set_auxiliary_gids(nfs, 1, group);
  ExpectSameRead(local, rpc, /*bypassed=*/false, "aux gid: a member reads 0604");
  CloseBoth(local, rpc);
}
#endif

// root_squash and a group 0 in the credential: Ganesha makes that group
// the anonymous gid, so a file of group 0, mode 0604, is read as "other"
// (locally too), and the user's own file as its owner.
TEST_P(SafetyIdentity, RootSquashMakesGroupZeroTheAnonymousGid) {
  const std::string own = Name("squash-own");
  const std::string group0 = Name("squash-group0");
  ASSERT_TRUE(WriteLocalFile(InExport(kSquash, own), Pattern(own, 4000), 0640, kUser, 0).ok());
  ASSERT_TRUE(WriteLocalFile(InExport(kSquash, group0), Pattern(group0, 4000), 0604, 0, 0).ok());
  ASSERT_NO_FATAL_FAILURE(MountAll(kSquash, AsUser()));
  for (nfs_context* nfs : {mount_->nfs(), rpc_->context()}) SetAuth(nfs, kUser, kUser, {0});

  nfsfh *local = nullptr, *rpc = nullptr;
  ASSERT_NO_FATAL_FAILURE(OpenBoth(own, O_RDONLY, &local, &rpc));
  ExpectSameRead(local, rpc, /*bypassed=*/true, "root_squash: uid 1000 reads its own 0640");
  CloseBoth(local, rpc);
  ASSERT_NO_FATAL_FAILURE(OpenBoth(group0, O_RDONLY, &local, &rpc));
  ExpectSameRead(local, rpc, /*bypassed=*/true, "root_squash: group 0 squashed, reads 0604");
  CloseBoth(local, rpc);
}

// A context whose credential is not AUTH_SYS has no identity to act as:
// every read goes through RPC (which gives what it gives AUTH_NONE), and
// localio_get_error says why from the attach on.
TEST_P(SafetyIdentity, AuthNoneGoesThroughRpc) {
  const std::string name = Name("auth-none");
  ASSERT_TRUE(WriteLocalFile(InExport(kRw, name), Pattern(name, 3000), 0644).ok());
  ASSERT_NO_FATAL_FAILURE(MountAll(kRw, ""));
  nfsfh *local = nullptr, *rpc = nullptr;
  ASSERT_NO_FATAL_FAILURE(OpenBoth(name, O_RDONLY, &local, &rpc));
  ExpectSameRead(local, rpc, /*bypassed=*/true, "AUTH_SYS root reads 0644");
  nfs_set_auth(mount_->nfs(), libnfs_authnone_create());
  nfs_set_auth(rpc_->context(), libnfs_authnone_create());
  const localio_counters before = mount_->Counters();
  ExpectSameRead(local, rpc, /*bypassed=*/false, "AUTH_NONE reads 0644");
  const localio_counters after = mount_->Counters();
  EXPECT_GT(after.fallbacks[LOCALIO_FALLBACK_CREDENTIALS],
            before.fallbacks[LOCALIO_FALLBACK_CREDENTIALS])
      << Describe(after);
  CloseBoth(local, rpc);

  // Attached to a context that already sends AUTH_NONE: local (the
  // handshake holds), and the sentence says why nothing bypasses.
  std::unique_ptr<NfsSession> none;
  ASSERT_TRUE(NfsSession::Mount(Url(kRw), &none).ok());
  nfs_set_auth(none->context(), libnfs_authnone_create());
  localio_context* ctx = nullptr;
  const localio_config cfg = ConfigWithMap(server_->map_path());
  ASSERT_EQ(localio_attach(none->context(), &cfg, &ctx), 0);
  EXPECT_EQ(localio_is_local(ctx), 1) << localio_get_error(ctx);
  EXPECT_NE(std::string(localio_get_error(ctx)).find("AUTH_NONE"), std::string::npos)
      << localio_get_error(ctx);
  localio_detach(ctx);
}

INSTANTIATE_TEST_SUITE_P(Versions, SafetyIdentity, ::testing::Values(3, 4),
                         [](const ::testing::TestParamInfo<int>& param) {
                           return "NFSv" + std::to_string(param.param);
                         });

}  // namespace
}  // namespace localio::harness
