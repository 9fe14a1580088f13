// SPDX-License-Identifier: LGPL-3.0-or-later
// The identity an nfs_context's RPCs carry (rpc_credential.h): credential
// bodies decoded and refused, the probe of libnfs's rpc_context against the
// installed libnfs and against stand-ins that hide or double the AUTH
// pointer, and every way libnfs sets a credential, read back from real
// contexts (no server needed: the credential is set before any RPC).
#include "rpc_credential.h"

#include <gtest/gtest.h>
#include <sys/time.h>  // before libnfs.h (libnfs 4.0)
#include <unistd.h>

#include <nfsc/libnfs.h>
// after libnfs.h, which defines its EXTERN
#include <nfsc/libnfs-raw.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "localio/xdr.h"

namespace localio::client {
namespace {

constexpr uint32_t kAuthNone = 0;
constexpr uint32_t kAuthSys = 1;

// An authsys_parms body; `count` overrides the gids' length word.
std::vector<uint8_t> Body(uint32_t uid, uint32_t gid, const std::vector<uint32_t>& gids,
                          const std::string& machine = "client",
                          std::optional<uint32_t> count = std::nullopt) {
  rpc::XdrEncoder e;
  e.U32(1234);  // stamp
  e.U32(static_cast<uint32_t>(machine.size()));
  e.FixedOpaque({reinterpret_cast<const uint8_t*>(machine.data()), machine.size()});
  e.U32(uid);
  e.U32(gid);
  e.U32(count.value_or(static_cast<uint32_t>(gids.size())));
  for (uint32_t g : gids) e.U32(g);
  return e.Take();
}

TEST(DecodeCredential, AnAuthSysBodyIsItsUidGidAndGroups) {
  Identity id;
  const Status st = DecodeCredential(kAuthSys, Body(1000, 100, {27, 0, 5000}), &id);
  ASSERT_TRUE(st.ok()) << st.message;
  EXPECT_EQ(id, (Identity{1000, 100, {27, 0, 5000}}));
  std::vector<uint32_t> sixteen(16);
  for (uint32_t i = 0; i < 16; ++i) sixteen[i] = 100 + i;
  ASSERT_TRUE(DecodeCredential(kAuthSys, Body(0, 0, sixteen, std::string(255, 'm')), &id).ok());
  EXPECT_EQ(id.groups, sixteen);
}

TEST(DecodeCredential, AuthNoneAndOtherFlavorsAreNoIdentity) {
  Identity id{7, 7, {7}};
  Status st = DecodeCredential(kAuthNone, {}, &id);
  EXPECT_NE(st.code, 0);
  EXPECT_NE(st.message.find("AUTH_NONE"), std::string::npos) << st.message;
  for (uint32_t flavor : {2u, 3u, 6u, 390003u, 0xffffffffu}) {
    st = DecodeCredential(flavor, Body(1000, 100, {}), &id);
    EXPECT_NE(st.code, 0) << flavor;
    EXPECT_NE(st.message.find("flavor " + std::to_string(flavor)), std::string::npos)
        << st.message;
  }
  EXPECT_EQ(id, (Identity{7, 7, {7}})) << "a refused credential changed the output";
}

TEST(DecodeCredential, AMalformedBodyIsRefused) {
  const std::vector<uint8_t> good = Body(1000, 100, {1, 2});
  std::vector<std::vector<uint8_t>> bad;
  for (size_t n = 0; n < good.size(); ++n) bad.emplace_back(good.begin(), good.begin() + n);
  std::vector<uint8_t> trailing = good;
  trailing.insert(trailing.end(), {0, 0, 0, 0});
  bad.push_back(trailing);
  bad.push_back(Body(1000, 100, {}, std::string(256, 'm')));  // machine name > 255
  bad.push_back(Body(1000, 100, std::vector<uint32_t>(17, 5)));  // 17 groups
  bad.push_back(Body(1000, 100, {}, "client", 0xffffffffu));  // a count with nothing behind
  bad.push_back(Body(1000, 100, {1}, "client", 2));  // more groups said than sent
  std::vector<uint8_t> huge = Body(1000, 100, {});
  huge.resize(rpc::kMaxAuthBody + 4);
  bad.push_back(huge);  // longer than RFC 5531's 400 bytes
  for (const std::vector<uint8_t>& body : bad) {
    Identity id;
    const Status st = DecodeCredential(kAuthSys, body, &id);
    EXPECT_NE(st.code, 0) << body.size() << " bytes";
    EXPECT_NE(st.message.find("AUTH_SYS"), std::string::npos) << st.message;
  }
}

// The installed libnfs, as the C API hands it to the core.
LibnfsCalls RealLibnfs() {
  LibnfsCalls c;
  c.get_rpc_context = nfs_get_rpc_context;
  c.rpc_init_context = rpc_init_context;
  c.rpc_destroy_context = rpc_destroy_context;
  c.rpc_set_auth = rpc_set_auth;
  c.authsys_create = libnfs_authunix_create;
  return c;
}

TEST(ProbeAuthOffset, FindsTheAuthPointerOnceInTheInstalledLibnfs) {
  size_t offset = 9999;
  const Status st = ProbeAuthOffset(RealLibnfs(), &offset);
  ASSERT_TRUE(st.ok()) << st.message;
  std::printf("libnfs %d keeps its AUTH pointer at offset 0x%zx of struct rpc_context\n",
              LOCALIO_LIBNFS_VERSION_MAJOR, offset);
  EXPECT_LT(offset, kAuthProbeBytes);
  EXPECT_EQ(offset % alignof(void*), 0u);
  size_t cached = 9999;
  ASSERT_TRUE(AuthOffset(RealLibnfs(), &cached).ok());
  EXPECT_EQ(cached, offset);
}

// A stand-in rpc_context: rpc_set_auth stores the pointer where the test
// says (at each offset in g_store_at), and keeps it for rpc_destroy_context.
std::vector<size_t> g_store_at;
AUTH* g_auth = nullptr;
bool g_destroyed = false;

rpc_context* FakeInit() { return static_cast<rpc_context*>(std::calloc(1, 1024)); }
void FakeSetAuth(rpc_context* rpc, AUTH* auth) {
  g_auth = auth;
  for (size_t at : g_store_at)
    std::memcpy(reinterpret_cast<unsigned char*>(rpc) + at, &auth, sizeof auth);
}
void FakeDestroy(rpc_context* rpc) {
  libnfs_auth_destroy(g_auth);
  g_auth = nullptr;
  g_destroyed = true;
  std::free(rpc);
}
// An AUTH whose ids are not the ones asked for.
AUTH* WrongIds(const char* host, uint32_t uid, uint32_t gid, uint32_t, uint32_t*) {
  return libnfs_authunix_create(host, uid + 1, gid, 0, nullptr);
}
AUTH* NoneAuth(const char*, uint32_t, uint32_t, uint32_t, uint32_t*) {
  return libnfs_authnone_create();
}

LibnfsCalls FakeLibnfs() {
  LibnfsCalls c = RealLibnfs();
  c.rpc_init_context = FakeInit;
  c.rpc_set_auth = FakeSetAuth;
  c.rpc_destroy_context = FakeDestroy;
  return c;
}

Status ProbeFake(const LibnfsCalls& calls, std::vector<size_t> store_at, size_t* offset) {
  g_store_at = std::move(store_at);
  g_destroyed = false;
  const Status st = ProbeAuthOffset(calls, offset);
  EXPECT_TRUE(g_destroyed) << "the scratch context was not destroyed";
  return st;
}

TEST(ProbeAuthOffset, AnAuthPointerFoundOnceWhereItShouldBeIsTheOffset) {
  size_t offset = 0;
  const Status st = ProbeFake(FakeLibnfs(), {0x48}, &offset);
  ASSERT_TRUE(st.ok()) << st.message;
  EXPECT_EQ(offset, 0x48u);
}

TEST(ProbeAuthOffset, NoneOrTwoPlacesOrAnotherCredentialIsUnknown) {
  size_t offset = 1234;
  Status st = ProbeFake(FakeLibnfs(), {}, &offset);
  EXPECT_NE(st.code, 0);
  EXPECT_NE(st.message.find("found 0 times"), std::string::npos) << st.message;
  st = ProbeFake(FakeLibnfs(), {0x30, 0x100}, &offset);
  EXPECT_NE(st.code, 0);
  EXPECT_NE(st.message.find("found 2 times"), std::string::npos) << st.message;
  st = ProbeFake(FakeLibnfs(), {kAuthProbeBytes + 8}, &offset);  // beyond the probe's reach
  EXPECT_NE(st.code, 0);
  LibnfsCalls wrong = FakeLibnfs();
  wrong.authsys_create = WrongIds;
  st = ProbeFake(wrong, {0x30}, &offset);
  EXPECT_NE(st.code, 0);
  EXPECT_NE(st.message.find("other ids"), std::string::npos) << st.message;
  LibnfsCalls none = FakeLibnfs();
  none.authsys_create = NoneAuth;
  st = ProbeFake(none, {0x30}, &offset);
  EXPECT_NE(st.code, 0);
  EXPECT_NE(st.message.find("AUTH_NONE"), std::string::npos) << st.message;
  EXPECT_EQ(offset, 1234u) << "a failed probe gave an offset";
  LibnfsCalls missing = FakeLibnfs();
  missing.rpc_set_auth = nullptr;
  EXPECT_NE(ProbeAuthOffset(missing, &offset).code, 0);
}

// A real, unmounted nfs_context and the credential reader on it.
class RpcCredentialTest : public ::testing::Test {
 protected:
  void SetUp() override {
    nfs_ = nfs_init_context();
    ASSERT_NE(nfs_, nullptr);
    credential_ = std::make_unique<RpcCredential>(RealLibnfs(), nfs_);
  }
  void TearDown() override {
    credential_.reset();
    if (url_ != nullptr) nfs_destroy_url(url_);
    nfs_destroy_context(nfs_);
  }
  Identity Read() {
    Identity id;
    const Status st = credential_->Read(&id);
    EXPECT_TRUE(st.ok()) << st.message;
    EXPECT_TRUE(credential_->Current());
    return id;
  }
  // The AUTH pointer the context holds now.
  const void* AuthPointer() const {
    size_t offset = 0;
    EXPECT_TRUE(AuthOffset(RealLibnfs(), &offset).ok());
    const void* auth = nullptr;
    std::memcpy(&auth, reinterpret_cast<const unsigned char*>(nfs_get_rpc_context(nfs_)) + offset,
                sizeof auth);
    return auth;
  }

  nfs_context* nfs_ = nullptr;
  nfs_url* url_ = nullptr;
  std::unique_ptr<RpcCredential> credential_;
};

TEST_F(RpcCredentialTest, ByDefaultTheProcesssRealIdsWithoutGroups) {
  EXPECT_FALSE(credential_->Current()) << "nothing was read yet";
  EXPECT_EQ(Read(), (Identity{static_cast<uint32_t>(getuid()), static_cast<uint32_t>(getgid()), {}}));
}

TEST_F(RpcCredentialTest, TheUrlsUidAndGidAreTheIdentity) {
  Read();
  url_ = nfs_parse_url_full(nfs_, "nfs://127.0.0.1/export/file?uid=1000&gid=1001");
  ASSERT_NE(url_, nullptr) << nfs_get_error(nfs_);
  EXPECT_FALSE(credential_->Current());
  EXPECT_EQ(Read(), (Identity{1000, 1001, {}}));
}

TEST_F(RpcCredentialTest, NfsSetUidAndGidAreSeenAtOnce) {
  Read();
  nfs_set_uid(nfs_, 2000);
  EXPECT_FALSE(credential_->Current());
  EXPECT_EQ(Read().uid, 2000u);
  nfs_set_gid(nfs_, 2001);
  EXPECT_FALSE(credential_->Current());
  EXPECT_EQ(Read(), (Identity{2000, 2001, {}}));
}

TEST_F(RpcCredentialTest, NfsSetAuthGivesItsGroups) {
  Read();
  uint32_t groups[] = {0, 27, 3000};
  nfs_set_auth(nfs_, libnfs_authunix_create("elsewhere", 1500, 1501, 3, groups));
  EXPECT_FALSE(credential_->Current());
  EXPECT_EQ(Read(), (Identity{1500, 1501, {0, 27, 3000}}));
}

#if LOCALIO_LIBNFS_VERSION_MAJOR >= 5
TEST_F(RpcCredentialTest, NfsSetAuxiliaryGidsAreTheGroups) {
  nfs_set_uid(nfs_, 1000);
  nfs_set_gid(nfs_, 1000);
  Read();
  uint32_t groups[] = {2000, 2001};
  nfs_set_auxiliary_gids(nfs_, 2, groups);
  EXPECT_FALSE(credential_->Current());
  EXPECT_EQ(Read(), (Identity{1000, 1000, {2000, 2001}}));
}
#endif

TEST_F(RpcCredentialTest, AuthNoneIsNoIdentityUntilAnAuthSysComesBack) {
  Read();
  nfs_set_auth(nfs_, libnfs_authnone_create());
  EXPECT_FALSE(credential_->Current());
  Identity id;
  const Status st = credential_->Read(&id);
  EXPECT_NE(st.code, 0);
  EXPECT_NE(st.message.find("AUTH_NONE"), std::string::npos) << st.message;
  EXPECT_TRUE(credential_->Current()) << "an unchanged AUTH_NONE is not a change";
  nfs_set_uid(nfs_, 1000);
  EXPECT_FALSE(credential_->Current());
  EXPECT_EQ(Read().uid, 1000u);
}

// libnfs frees the old AUTH when it sets a new one, so a later AUTH may
// come at the address of one read before: the credential's bytes tell,
// not its address.
TEST_F(RpcCredentialTest, ANewCredentialAtAnOldAddressIsAChange) {
  int reused = 0;
  for (uint32_t i = 0; i < 50; ++i) {
    nfs_set_uid(nfs_, 1000 + i);
    const Identity before = Read();
    const void* read_at = AuthPointer();
    nfs_set_uid(nfs_, 5000 + i);
    nfs_set_gid(nfs_, 6000 + i);
    reused += AuthPointer() == read_at ? 1 : 0;
    EXPECT_FALSE(credential_->Current()) << "round " << i;
    EXPECT_EQ(Read(), (Identity{5000 + i, 6000 + i, {}}));
    EXPECT_NE(before.uid, 5000 + i);
  }
  std::printf("a new AUTH came at the address last read in %d of 50 rounds\n", reused);
}

TEST(RpcCredential, WithoutAContextThereIsNoIdentityAndNothingChanges) {
  RpcCredential none(RealLibnfs(), nullptr);
  Identity id;
  EXPECT_NE(none.Read(&id).code, 0);
  EXPECT_TRUE(none.Current());
}

}  // namespace
}  // namespace localio::client
