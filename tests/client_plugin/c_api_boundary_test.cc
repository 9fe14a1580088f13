// SPDX-License-Identifier: LGPL-3.0-or-later
// The C API's boundary: no C++ exception leaves it, and bad arguments are
// an errno with a sentence, never a crash.
#include <gtest/gtest.h>
#include <sys/time.h>  // before libnfs.h (libnfs 4.0)

#include <nfsc/libnfs.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "harness/failing_new.h"
#include "libnfs_calls.h"
#include "localio/localio_client.h"

namespace {

// Every function of the C API is noexcept when seen from C++.
static_assert(noexcept(localio_config_init(nullptr)));
static_assert(noexcept(localio_fallback_reason_name(0)));
static_assert(noexcept(localio_attach(nullptr, nullptr, nullptr)));
static_assert(noexcept(localio_detach(nullptr)));
static_assert(noexcept(localio_get_error(nullptr)));
static_assert(noexcept(localio_is_local(nullptr)));
static_assert(noexcept(localio_open(nullptr, nullptr, 0, nullptr)));
static_assert(noexcept(localio_pread(nullptr, nullptr, 0, 0, nullptr)));
static_assert(noexcept(localio_pwrite(nullptr, nullptr, 0, 0, nullptr)));
static_assert(noexcept(localio_read(nullptr, nullptr, 0, nullptr)));
static_assert(noexcept(localio_write(nullptr, nullptr, 0, nullptr)));
static_assert(noexcept(localio_fsync(nullptr, nullptr)));
static_assert(noexcept(localio_fstat64(nullptr, nullptr, nullptr)));
static_assert(noexcept(localio_close(nullptr, nullptr)));
static_assert(noexcept(localio_get_counters(nullptr, nullptr)));

TEST(CApiBoundary, ANullContextIsEinvalForEveryCall) {
  char buf[16] = {};
  nfsfh* fh = nullptr;
  EXPECT_EQ(localio_open(nullptr, "/x", 0, &fh), -EINVAL);
  EXPECT_EQ(localio_pread(nullptr, nullptr, 0, sizeof buf, buf), -EINVAL);
  EXPECT_EQ(localio_pwrite(nullptr, nullptr, 0, sizeof buf, buf), -EINVAL);
  EXPECT_EQ(localio_read(nullptr, nullptr, sizeof buf, buf), -EINVAL);
  EXPECT_EQ(localio_write(nullptr, nullptr, sizeof buf, buf), -EINVAL);
  EXPECT_EQ(localio_fsync(nullptr, nullptr), -EINVAL);
  EXPECT_EQ(localio_fstat64(nullptr, nullptr, nullptr), -EINVAL);
  EXPECT_EQ(localio_close(nullptr, nullptr), -EINVAL);
  EXPECT_EQ(localio_get_counters(nullptr, nullptr), -EINVAL);
  EXPECT_EQ(localio_is_local(nullptr), 0);
  EXPECT_STREQ(localio_get_error(nullptr), "localio_get_counters: no localio context (NULL)");
  localio_detach(nullptr);
}

TEST(CApiBoundary, OutOfMemoryInAttachIsEnomemNotAnException) {
  nfs_context* nfs = nfs_init_context();
  ASSERT_NE(nfs, nullptr);
  localio_config cfg;
  localio_config_init(&cfg);
  cfg.map_path = "/nonexistent/map";
  localio_context* ctx = reinterpret_cast<localio_context*>(&cfg);  // overwritten
  localio::harness::FailAllocations(true);
  const int rc = localio_attach(nfs, &cfg, &ctx);
  localio::harness::FailAllocations(false);
  EXPECT_EQ(rc, -ENOMEM);
  EXPECT_EQ(ctx, nullptr);
  // And without the failure, the same call works (no mount: not local).
  ASSERT_EQ(localio_attach(nfs, &cfg, &ctx), 0);
  EXPECT_EQ(localio_is_local(ctx), 0);
  EXPECT_STRNE(localio_get_error(ctx), "");
  localio_detach(ctx);
  nfs_destroy_context(nfs);
}

// Every call that needs an nfs_context, made with `ctx`: each is -EINVAL,
// localio_get_error(ctx) is "<call>: <why>", and no callback runs.
void ExpectEveryNfsCallRefused(localio_context* ctx, const std::string& why) {
  char buf[16] = {};
  nfsfh* fh = nullptr;
  nfs_stat_64 st{};
  const auto expect = [ctx, &why](int rc, const char* call) {
    EXPECT_EQ(rc, -EINVAL) << call;
    EXPECT_EQ(std::string(localio_get_error(ctx)), std::string(call) + ": " + why);
  };
  expect(localio_open(ctx, "/x", 0, &fh), "localio_open");
  expect(localio_pread(ctx, fh, 0, sizeof buf, buf), "localio_pread");
  expect(localio_pwrite(ctx, fh, 0, sizeof buf, buf), "localio_pwrite");
  expect(localio_read(ctx, fh, sizeof buf, buf), "localio_read");
  expect(localio_write(ctx, fh, sizeof buf, buf), "localio_write");
  expect(localio_fsync(ctx, fh), "localio_fsync");
  expect(localio_fstat64(ctx, fh, &st), "localio_fstat64");
  expect(localio_close(ctx, fh), "localio_close");
  int called = 0;
  const localio_cb cb = [](int, nfs_context*, void*, void* p) { ++*static_cast<int*>(p); };
  expect(localio_pread_async(ctx, fh, 0, sizeof buf, cb, &called), "localio_pread_async");
  expect(localio_pwrite_async(ctx, fh, 0, sizeof buf, buf, cb, &called), "localio_pwrite_async");
  expect(localio_read_async(ctx, fh, sizeof buf, cb, &called), "localio_read_async");
  expect(localio_write_async(ctx, fh, sizeof buf, buf, cb, &called), "localio_write_async");
  expect(localio_fsync_async(ctx, fh, cb, &called), "localio_fsync_async");
  expect(localio_get_fd(ctx), "localio_get_fd");
  expect(localio_which_events(ctx), "localio_which_events");
  expect(localio_service(ctx, 0), "localio_service");
  EXPECT_EQ(called, 0) << "a refused call's callback ran";
}

// Each call with a NULL context: -EINVAL, and localio_get_error(NULL)
// names that call (the thread's last call without a context).
TEST(CApiBoundary, ANullContextIsNamedByTheCallThatGotIt) {
  ExpectEveryNfsCallRefused(nullptr, "no localio context (NULL)");
  localio_counters c{};
  EXPECT_EQ(localio_get_counters(nullptr, &c), -EINVAL);
  EXPECT_EQ(std::string(localio_get_error(nullptr)),
            "localio_get_counters: no localio context (NULL)");
  EXPECT_EQ(localio_attach(nullptr, nullptr, nullptr), -EINVAL);
  EXPECT_NE(std::string(localio_get_error(nullptr)).find("localio_attach"), std::string::npos);
}

// A context attached without an nfs_context: every call is -EINVAL with a
// sentence naming the call, never a crash.
TEST(CApiBoundary, AContextWithoutAnNfsContextIsEinvalWithASentence) {
  localio_context* ctx = nullptr;
  ASSERT_EQ(localio_attach(nullptr, nullptr, &ctx), 0);
  ASSERT_NE(ctx, nullptr);
  ExpectEveryNfsCallRefused(ctx, "the context has no nfs_context (attached with NULL)");
  localio_detach(ctx);
}

// NULL files, buffers and out-pointers on a real (unmounted) context:
// -EINVAL naming the call and the argument, before libnfs sees them.
TEST(CApiBoundary, NullArgumentsAreEinvalNamingTheCallAndTheArgument) {
  nfs_context* nfs = nfs_init_context();
  ASSERT_NE(nfs, nullptr);
  localio_config cfg;
  localio_config_init(&cfg);
  cfg.disable = 1;
  localio_context* ctx = nullptr;
  ASSERT_EQ(localio_attach(nfs, &cfg, &ctx), 0);
  char buf[16] = {};
  nfsfh* fh = reinterpret_cast<nfsfh*>(buf);  // never used: a NULL argument comes first
  const auto expect = [ctx](int rc, const std::string& sentence) {
    EXPECT_EQ(rc, -EINVAL) << sentence;
    EXPECT_EQ(std::string(localio_get_error(ctx)), sentence);
  };
  expect(localio_open(ctx, nullptr, 0, &fh), "localio_open: no path (NULL)");
  expect(localio_open(ctx, "/x", 0, nullptr), "localio_open: nowhere to store the file (NULL)");
  expect(localio_pread(ctx, nullptr, 0, sizeof buf, buf), "localio_pread: no file (NULL nfsfh)");
  expect(localio_pread(ctx, fh, 0, sizeof buf, nullptr),
         "localio_pread: no buffer (NULL) for a non-zero count");
  expect(localio_pwrite(ctx, nullptr, 0, sizeof buf, buf), "localio_pwrite: no file (NULL nfsfh)");
  expect(localio_pwrite(ctx, fh, 0, sizeof buf, nullptr),
         "localio_pwrite: no buffer (NULL) for a non-zero count");
  expect(localio_read(ctx, nullptr, sizeof buf, buf), "localio_read: no file (NULL nfsfh)");
  expect(localio_write(ctx, nullptr, sizeof buf, buf), "localio_write: no file (NULL nfsfh)");
  expect(localio_fsync(ctx, nullptr), "localio_fsync: no file (NULL nfsfh)");
  expect(localio_fstat64(ctx, nullptr, nullptr), "localio_fstat64: no file (NULL nfsfh)");
  expect(localio_fstat64(ctx, fh, nullptr),
         "localio_fstat64: nowhere to store the attributes (NULL)");
  expect(localio_close(ctx, nullptr), "localio_close: no file (NULL nfsfh)");
  expect(localio_get_counters(ctx, nullptr),
         "localio_get_counters: nowhere to store the counters (NULL)");
  const localio_cb cb = [](int, nfs_context*, void*, void*) {};
  expect(localio_pread_async(ctx, nullptr, 0, 1, cb, nullptr),
         "localio_pread_async: no file (NULL nfsfh)");
  expect(localio_pread_async(ctx, fh, 0, 1, nullptr, nullptr),
         "localio_pread_async: no callback (NULL)");
  expect(localio_pwrite_async(ctx, fh, 0, 1, nullptr, cb, nullptr),
         "localio_pwrite_async: no buffer (NULL) for a non-zero count");
  expect(localio_pwrite_async(ctx, fh, 0, 1, buf, nullptr, nullptr),
         "localio_pwrite_async: no callback (NULL)");
  expect(localio_read_async(ctx, nullptr, 1, cb, nullptr),
         "localio_read_async: no file (NULL nfsfh)");
  expect(localio_write_async(ctx, fh, 1, nullptr, cb, nullptr),
         "localio_write_async: no buffer (NULL) for a non-zero count");
  expect(localio_fsync_async(ctx, fh, nullptr, nullptr), "localio_fsync_async: no callback (NULL)");
  expect(localio_get_fd(ctx), "localio_get_fd: the nfs_context has no connection (not mounted)");
  localio_detach(ctx);
  nfs_destroy_context(nfs);
}

// The async calls and the loop's are noexcept too.
static_assert(noexcept(localio_pread_async(nullptr, nullptr, 0, 0, nullptr, nullptr)));
static_assert(noexcept(localio_pwrite_async(nullptr, nullptr, 0, 0, nullptr, nullptr, nullptr)));
static_assert(noexcept(localio_read_async(nullptr, nullptr, 0, nullptr, nullptr)));
static_assert(noexcept(localio_write_async(nullptr, nullptr, 0, nullptr, nullptr, nullptr)));
static_assert(noexcept(localio_fsync_async(nullptr, nullptr, nullptr, nullptr)));
static_assert(noexcept(localio_get_fd(nullptr)));
static_assert(noexcept(localio_which_events(nullptr)));
static_assert(noexcept(localio_service(nullptr, 0)));

// libnfs's -1 is the C API's -EIO, unless libnfs's sentence names an NFS
// status PERM (libnfs makes that -EPERM, which is -1 too); other results
// are libnfs's own.
TEST(CApiBoundary, LibnfsMinusOneIsEioUnlessTheSentenceNamesPerm) {
  using localio::client::LibnfsErrno;
  EXPECT_EQ(LibnfsErrno(-1, "nfs_pread_async failed. Out of memory"), -EIO);
  EXPECT_EQ(LibnfsErrno(-1, nullptr), -EIO);
  EXPECT_EQ(LibnfsErrno(-1, "NFS: Write failed with NFS3ERR_PERM(-1)"), -EPERM);
  EXPECT_EQ(LibnfsErrno(-1, "NFS4: (path /f) failed with NFS4ERR_PERM(-1)"), -EPERM);
  EXPECT_EQ(LibnfsErrno(-ENOENT, "NFS3ERR_NOENT"), -ENOENT);
  EXPECT_EQ(LibnfsErrno(4096, nullptr), 4096);
  EXPECT_EQ(LibnfsErrno(0, nullptr), 0);
}

}  // namespace
