// The C API's boundary: no C++ exception leaves it, and bad arguments are
// an errno with a sentence, never a crash.
#include <gtest/gtest.h>
#include <sys/time.h>  // before libnfs.h (libnfs 4.0)

#include <nfsc/libnfs.h>

#include <cerrno>
#include <cstring>

#include "harness/failing_new.h"
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
  EXPECT_STREQ(localio_get_error(nullptr), "no localio context");
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

}  // namespace
