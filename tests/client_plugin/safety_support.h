/* SPDX-License-Identifier: LGPL-3.0-or-later */
// Shared pieces of the client plugin's tests against the real server
// (safety_*_test.cc, localio_client_integration_test.cc, tests/fault): a
// libnfs mount (NfsSession) with a LOCALIO context attached, plain-libnfs
// reads to compare with, and local file helpers. Every safety test asks the same
// question: does the bypass give exactly what RPC gives (data or errno),
// and do the counters name why it stepped aside?
#ifndef LOCALIO_TESTS_CLIENT_PLUGIN_SAFETY_SUPPORT_H
#define LOCALIO_TESTS_CLIENT_PLUGIN_SAFETY_SUPPORT_H

#include <sys/time.h>  // before libnfs.h (libnfs 4.0)

#include <nfsc/libnfs.h>

#include <cstdint>
#include <memory>
#include <ostream>
#include <string>

#include "harness/ganesha_server.h"
#include "harness/gtest_support.h"
#include "harness/libnfs_limits.h"
#include "harness/nfs_session.h"
#include "localio/clock.h"
#include "localio/localio_client.h"
#include "localio/status.h"

namespace localio::harness {

// Data that may go by RPC is written in pieces this size (libnfs_limits.h).
inline constexpr uint64_t kRpcWriteChunk = kMaxV4RpcWrite;

// A mounted nfs_context with a localio_context attached to it.
class LocalioMount {
 public:
  // Mounts the export at `export_root_url` (GaneshaServer::Url(id, v, ""))
  // and attaches with `cfg`, on `clock` (harness/clock.h: a test's own; it
  // must outlive the mount).
  static Status Attach(const std::string& export_root_url, const localio_config& cfg,
                       std::unique_ptr<LocalioMount>* out, const Clock& clock = SystemClock());
  ~LocalioMount();  // detaches, then unmounts
  LocalioMount(const LocalioMount&) = delete;
  LocalioMount& operator=(const LocalioMount&) = delete;

  localio_context* ctx() const { return ctx_; }
  nfs_context* nfs() const { return session_->context(); }
  localio_counters Counters() const;
  // Detaches now; the destructor then only unmounts.
  void Detach();
  std::string Error() const { return localio_get_error(ctx_); }

 private:
  LocalioMount() = default;
  std::unique_ptr<NfsSession> session_;
  localio_context* ctx_ = nullptr;
};

// For a safety fixture's SetUp: a LOCALIO client on export `id` that must
// find it local (*local), and a plain libnfs client on it (*plain).
// The LOCALIO client runs on `clock` (LocalioMount::Attach).
Status MountLocalAndPlain(const GaneshaServer& server, uint16_t id, int version,
                          std::unique_ptr<LocalioMount>* local, std::unique_ptr<NfsSession>* plain,
                          const Clock& clock = SystemClock());

// A suite's one server (its SetUpTestSuite starts it, export 1 as the
// harness defaults it) and, for each test, over NFS version GetParam(), a
// LOCALIO client that finds export 1 local (mount_) and a plain one (plain_).
template <class Suite>
class LocalAndPlainTest : public SuiteServerTest<Suite, ::testing::TestWithParam<int>> {
 protected:
  using Base = SuiteServerTest<Suite, ::testing::TestWithParam<int>>;
  static constexpr uint16_t kExport = 1;

  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(Base::SetUp());
    const Status s = MountLocalAndPlain(*Base::server_, kExport, Version(), &mount_, &plain_);
    ASSERT_TRUE(s.ok()) << s.message;
  }
  void TearDown() override {
    mount_.reset();
    plain_.reset();
    Base::TearDown();
  }

  int Version() const { return this->GetParam(); }
  // `base` with this test's version, so the versions' files never meet.
  std::string Name(const std::string& base) const {
    return base + "-v" + std::to_string(Version());
  }
  // Export 1's file `name`, as the server sees it.
  std::string InExport(const std::string& name) const {
    return Base::server_->ExportDir(kExport) + "/" + name;
  }

  std::unique_ptr<LocalioMount> mount_;
  std::unique_ptr<NfsSession> plain_;
};

// The defaults with `map_path` (the server's map, or any path).
localio_config ConfigWithMap(const std::string& map_path);

// "read 3/120 B, write 0/0 B, fallbacks: open=1 ..." for failure messages.
std::string Describe(const localio_counters& c);

// The outcome of reading a whole open file: rc < 0 is the first -errno.
struct ReadOutcome {
  int rc = 0;
  std::string data;
  bool operator==(const ReadOutcome&) const = default;
};
// For gtest's messages: "rc -5, 0 bytes".
void PrintTo(const ReadOutcome& r, std::ostream* os);
// From offset 0 to end of file, through the bypass (localio_pread) or
// plain libnfs (nfs_pread).
ReadOutcome ReadThroughLocalio(localio_context* ctx, nfsfh* fh);
ReadOutcome ReadThroughRpc(nfs_context* nfs, nfsfh* fh);
// The same through localio_pread_async, each call completed (by
// localio_service) before the next; -ETIMEDOUT when one is not in 30 s.
ReadOutcome ReadThroughLocalioAsync(localio_context* ctx, nfsfh* fh);

// Writes all of `data` at `offset` through localio_pwrite, in pieces RPC
// can carry. 0 or the first -errno.
int WriteThroughLocalio(localio_context* ctx, nfsfh* fh, uint64_t offset,
                        const std::string& data);
// The localio_pwrite calls WriteThroughLocalio makes for `bytes`.
inline uint64_t WriteCalls(uint64_t bytes) { return (bytes + kRpcWriteChunk - 1) / kRpcWriteChunk; }

// A local file as the server sees it (read it back with ReadFile,
// harness/files.h): created anew with `mode` (exactly, umask ignored) and
// owner uid/gid.
Status WriteLocalFile(const std::string& path, const std::string& data, mode_t mode = 0644,
                      uid_t uid = 0, gid_t gid = 0);

// `n` bytes that differ from any other call's (a tag and a counter).
std::string Pattern(const std::string& tag, size_t n);

}  // namespace localio::harness

#endif  // LOCALIO_TESTS_CLIENT_PLUGIN_SAFETY_SUPPORT_H
