// SPDX-License-Identifier: LGPL-3.0-or-later
// Durability and coherence of bypassed writes against the real server,
// NFSv3 and NFSv4: an O_SYNC/O_DSYNC open writes through a local fd opened
// with the same flag; localio_write/localio_read move the file's offset as
// nfs_write/nfs_read do; and a second, plain libnfs client sees the new
// size and data right after the bypassing client closes the file.
#include <gtest/gtest.h>
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "harness/files.h"
#include "harness/gtest_support.h"
#include "safety_support.h"

namespace localio::harness {
namespace {

namespace fs = std::filesystem;

// The open-file flags of every fd of this process on `path`
// (/proc/self/fdinfo), so a test can see how the bypass opened it.
std::vector<int> LocalOpenFlags(const std::string& path) {
  std::vector<int> flags;
  const fs::path want = fs::canonical(path);
  for (const auto& e : fs::directory_iterator("/proc/self/fd")) {
    std::error_code ec;
    const fs::path target = fs::read_symlink(e.path(), ec);
    if (ec || target != want) continue;
    std::ifstream info("/proc/self/fdinfo/" + e.path().filename().string());
    std::string key;
    while (info >> key) {
      if (key != "flags:") continue;
      std::string octal;
      info >> octal;
      flags.push_back(static_cast<int>(std::stol(octal, nullptr, 8)));
      break;
    }
  }
  return flags;
}

class SafetyDurability : public LocalAndPlainTest<SafetyDurability> {
 protected:
  static void SetUpTestSuite() { StartSuiteServer(OneExport()); }

  // The whole file through the plain client: a fresh open, read, close.
  ReadOutcome PlainRead(const std::string& name) {
    nfsfh* fh = nullptr;
    const int rc = nfs_open(plain_->context(), ("/" + name).c_str(), O_RDONLY, &fh);
    if (rc < 0) return ReadOutcome{rc, ""};
    ReadOutcome out = ReadThroughRpc(plain_->context(), fh);
    nfs_close(plain_->context(), fh);
    return out;
  }

  // The file's size as a fresh stat through the plain client sees it.
  uint64_t PlainSize(const std::string& name) {
    nfs_stat_64 st{};
    EXPECT_EQ(nfs_stat64(plain_->context(), ("/" + name).c_str(), &st), 0) << plain_->Error();
    return st.nfs_size;
  }
};

TEST_P(SafetyDurability, SyncOpensWriteThroughALocalFdOpenedTheSameWay) {
  struct Case {
    int flag;
    const char* label;
  };
  for (const Case& k : {Case{O_SYNC, "o_sync"}, Case{O_DSYNC, "o_dsync"}, Case{0, "buffered"}}) {
    SCOPED_TRACE(k.label);
    const std::string name = Name(k.label);
    const std::string old_data = Pattern("before " + name, 8000);
    ASSERT_TRUE(WriteLocalFile(InExport(name), old_data).ok());
    nfsfh* fh = nullptr;
    ASSERT_EQ(localio_open(mount_->ctx(), ("/" + name).c_str(), O_RDWR | k.flag, &fh), 0)
        << mount_->Error();
    const localio_counters before = mount_->Counters();
    const std::string update = Pattern("written " + name, 6000);
    ASSERT_EQ(WriteThroughLocalio(mount_->ctx(), fh, 1000, update), 0) << mount_->Error();
    const localio_counters c = mount_->Counters();
    EXPECT_EQ(c.write_ops, before.write_ops + WriteCalls(update.size()))
        << "not bypassed: " << Describe(c);

    // The bypass's fd carries the open's synchronous flag (the kernel then
    // writes through before pwrite returns).
    const std::vector<int> flags = LocalOpenFlags(InExport(name));
    ASSERT_EQ(flags.size(), 1u) << "one local fd for the open file";
    EXPECT_EQ(flags[0] & O_SYNC, k.flag == O_SYNC ? O_SYNC : (k.flag == O_DSYNC ? O_DSYNC : 0))
        << std::oct << flags[0];

    // A second reader sees the data with no fsync or close in between.
    std::string want = old_data;
    want.replace(1000, update.size(), update);
    EXPECT_TRUE(PlainRead(name) == (ReadOutcome{0, want})) << "the plain client missed it";
    EXPECT_TRUE(ReadFile(InExport(name)) == want);
    ASSERT_EQ(localio_close(mount_->ctx(), fh), 0) << mount_->Error();
    EXPECT_TRUE(LocalOpenFlags(InExport(name)).empty()) << "close left the local fd open";
  }
}

TEST_P(SafetyDurability, ReadAndWriteAtTheCurrentOffsetMoveItLikeLibnfs) {
  const std::string base = Pattern("offsets", 10000);
  const std::string a = Pattern("first write", 3000);
  const std::string b = Pattern("second write", 2000);
  const std::string tail = Pattern("libnfs write", 500);
  // The same calls through the bypass and through plain libnfs, on twins.
  struct Trace {
    std::vector<int64_t> results;
    std::vector<uint64_t> offsets;
    std::string read;
  };
  auto run = [&](const std::string& name, bool bypass, Trace* t) {
    ASSERT_TRUE(WriteLocalFile(InExport(name), base).ok());
    nfs_context* nfs = bypass ? mount_->nfs() : plain_->context();
    localio_context* ctx = mount_->ctx();
    nfsfh* fh = nullptr;
    ASSERT_EQ(bypass ? localio_open(ctx, ("/" + name).c_str(), O_RDWR, &fh)
                     : nfs_open(nfs, ("/" + name).c_str(), O_RDWR, &fh),
              0);
    auto offset = [&] {
      uint64_t at = 0;
      EXPECT_EQ(nfs_lseek(nfs, fh, 0, SEEK_CUR, &at), 0);
      t->offsets.push_back(at);
    };
    for (const std::string* w : {&a, &b}) {
      t->results.push_back(bypass ? localio_write(ctx, fh, w->size(), w->data())
                                  : nfs_write(nfs, fh, w->size(), w->data()));
      offset();
    }
    std::vector<char> buf(1000);
    const int n = bypass ? localio_read(ctx, fh, buf.size(), buf.data())
                         : nfs_read(nfs, fh, buf.size(), buf.data());
    t->results.push_back(n);
    if (n > 0) t->read.assign(buf.data(), static_cast<size_t>(n));
    offset();
    // libnfs itself continues where the bypass left the offset.
    t->results.push_back(nfs_write(nfs, fh, tail.size(), tail.data()));
    offset();
    ASSERT_EQ(bypass ? localio_close(ctx, fh) : nfs_close(nfs, fh), 0);
  };
  Trace local, rpc;
  const localio_counters before = mount_->Counters();
  ASSERT_NO_FATAL_FAILURE(run(Name("offset-bypass"), true, &local));
  ASSERT_NO_FATAL_FAILURE(run(Name("offset-rpc"), false, &rpc));
  const localio_counters c = mount_->Counters();
  EXPECT_EQ(c.write_ops, before.write_ops + 2) << Describe(c);
  EXPECT_EQ(c.read_ops, before.read_ops + 1) << Describe(c);
  EXPECT_EQ(local.results, rpc.results);
  EXPECT_EQ(local.offsets, rpc.offsets);
  EXPECT_EQ(local.offsets, (std::vector<uint64_t>{3000, 5000, 6000, 6500}));
  EXPECT_EQ(local.read, base.substr(5000, 1000));
  EXPECT_EQ(local.read, rpc.read);
  const std::string want = a + b + base.substr(5000, 1000) + tail + base.substr(6500);
  EXPECT_TRUE(ReadFile(InExport(Name("offset-bypass"))) == want);
  EXPECT_TRUE(ReadFile(InExport(Name("offset-rpc"))) == want);
}

TEST_P(SafetyDurability, APlainClientSeesTheNewSizeAndDataRightAfterClose) {
  const std::string name = Name("coherence");
  const std::string old_data = Pattern("old " + name, 4000);
  ASSERT_TRUE(WriteLocalFile(InExport(name), old_data).ok());
  // The plain client knows the old file: attributes and data.
  ASSERT_EQ(PlainSize(name), old_data.size());
  ASSERT_TRUE(PlainRead(name) == (ReadOutcome{0, old_data}));

  nfsfh* fh = nullptr;
  ASSERT_EQ(localio_open(mount_->ctx(), ("/" + name).c_str(), O_RDWR, &fh), 0)
      << mount_->Error();
  const localio_counters before = mount_->Counters();
  const std::string new_data = Pattern("new " + name, 100000);
  ASSERT_EQ(WriteThroughLocalio(mount_->ctx(), fh, 0, new_data), 0) << mount_->Error();
  ASSERT_EQ(localio_close(mount_->ctx(), fh), 0) << mount_->Error();
  const localio_counters c = mount_->Counters();
  EXPECT_EQ(c.write_bytes, before.write_bytes + new_data.size()) << "not bypassed: " << Describe(c);

  // Right after the close: a fresh stat and a fresh open see it all.
  EXPECT_EQ(PlainSize(name), new_data.size()) << "the plain client sees a stale size";
  const ReadOutcome seen = PlainRead(name);
  EXPECT_EQ(seen.rc, 0);
  EXPECT_EQ(seen.data.size(), new_data.size());
  EXPECT_TRUE(seen.data == new_data) << "the plain client sees stale data";
}

// fsync is the other point where the server is told: a plain client's next
// stat sees the size while the writer still holds the file open; and the
// writer's own localio_fstat64 sees it even before the fsync.
TEST_P(SafetyDurability, TheSizeIsSeenAfterFsyncAndByTheWriterBeforeIt) {
  const std::string name = Name("fsync-coherence");
  const std::string old_data = Pattern("old " + name, 3000);
  ASSERT_TRUE(WriteLocalFile(InExport(name), old_data).ok());
  ASSERT_EQ(PlainSize(name), old_data.size());

  nfsfh* fh = nullptr;
  nfs_stat_64 st{};
  ASSERT_EQ(localio_open(mount_->ctx(), ("/" + name).c_str(), O_RDWR, &fh), 0) << mount_->Error();
  ASSERT_EQ(localio_fstat64(mount_->ctx(), fh, &st), 0) << mount_->Error();
  ASSERT_EQ(st.nfs_size, old_data.size());
  const localio_counters before = mount_->Counters();
  const std::string more = Pattern("more " + name, 50000);
  ASSERT_EQ(localio_pwrite(mount_->ctx(), fh, old_data.size(), more.size(), more.data()),
            static_cast<int>(more.size()))
      << mount_->Error();
  EXPECT_EQ(mount_->Counters().write_bytes, before.write_bytes + more.size()) << "not bypassed";
  ASSERT_EQ(localio_fstat64(mount_->ctx(), fh, &st), 0) << mount_->Error();
  EXPECT_EQ(st.nfs_size, old_data.size() + more.size()) << "the writer sees a stale size";

  const std::string last = Pattern("last " + name, 7000);
  ASSERT_EQ(localio_pwrite(mount_->ctx(), fh, old_data.size() + more.size(), last.size(),
                           last.data()),
            static_cast<int>(last.size()))
      << mount_->Error();
  ASSERT_EQ(localio_fsync(mount_->ctx(), fh), 0) << mount_->Error();
  EXPECT_EQ(PlainSize(name), old_data.size() + more.size() + last.size())
      << "the plain client sees a stale size after the writer's fsync";
  ASSERT_EQ(localio_close(mount_->ctx(), fh), 0) << mount_->Error();
}

INSTANTIATE_TEST_SUITE_P(Versions, SafetyDurability, ::testing::Values(3, 4),
                         [](const ::testing::TestParamInfo<int>& param) {
                           return "NFSv" + std::to_string(param.param);
                         });

}  // namespace
}  // namespace localio::harness
