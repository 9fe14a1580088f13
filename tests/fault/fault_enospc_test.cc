// SPDX-License-Identifier: LGPL-3.0-or-later
// A full filesystem under a bypassing client: the export lives on an 8 MiB
// ext4 (a loop-mounted image: Ganesha 6.5's VFS refuses to export tmpfs); a
// client writes past the limit through the bypass (NFSv3, then NFSv4).
// -ENOSPC reaches the application at a write or at fsync/close, and every
// write an fsync acknowledged before is in the file. The filesystem is
// unmounted at the end (and its loop device freed with it).
#include <gtest/gtest.h>
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "harness/files.h"
#include "harness/gtest_support.h"
#include "harness/process.h"
#include "harness/temp_dir.h"
#include "safety_support.h"

namespace localio::harness {
namespace {

constexpr uint16_t kExport = kDefaultExportId;
constexpr uint64_t kChunk = kRpcWriteChunk < 16384 ? kRpcWriteChunk : 16384;
constexpr int kChunksPerFsync = 128 * 1024 / kChunk;  // an fsync every 128 KiB

class FaultEnospc : public ServerTest<> {
 protected:
  void SetUp() override {
    ASSERT_TRUE(tmp_.Create("localio-enospc").ok());
    mountpoint_ = tmp_.path() + "/export";
    ASSERT_EQ(mkdir(mountpoint_.c_str(), 0755), 0);
    const std::string image = tmp_.path() + "/fs.img";
    {
      const int fd = open(image.c_str(), O_CREAT | O_WRONLY, 0600);
      ASSERT_GE(fd, 0) << image << ": " << std::strerror(errno);
      ASSERT_EQ(ftruncate(fd, 8 << 20), 0);
      close(fd);
    }
    for (const std::vector<std::string>& argv :
         {std::vector<std::string>{"mkfs.ext4", "-q", "-F", "-m", "0", image},
          std::vector<std::string>{"mount", "-o", "loop", image, mountpoint_}}) {
      CommandResult r;
      ASSERT_TRUE(RunCommand(argv, std::chrono::seconds(60), &r).ok() && r.Succeeded())
          << argv[0] << ": " << r.Describe();
    }
    mounted_ = true;
    ExportOptions e;
    e.path = mountpoint_;
    StartServer(OneExport(e));
  }
  void TearDown() override {
    ServerTest::TearDown();  // stops ganesha, which holds the export open
    if (mounted_) {
      EXPECT_EQ(umount(mountpoint_.c_str()), 0) << mountpoint_ << ": " << std::strerror(errno);
    }
  }

  void FillThroughTheBypass(int v);

  TempDir tmp_;
  std::string mountpoint_;
  bool mounted_ = false;
};

void FaultEnospc::FillThroughTheBypass(int v) {
  const std::string name = "fill-v" + std::to_string(v);
  const std::string path = mountpoint_ + "/" + name;
  ASSERT_TRUE(WriteLocalFile(path, "").ok());
  std::unique_ptr<LocalioMount> m;
  Status s = LocalioMount::Attach(server_->Url(kExport, v, ""), ConfigWithMap(server_->map_path()),
                                  &m);
  ASSERT_TRUE(s.ok()) << s.message;
  ASSERT_EQ(localio_is_local(m->ctx()), 1) << m->Error();
  nfsfh* fh = nullptr;
  ASSERT_EQ(localio_open(m->ctx(), ("/" + name).c_str(), O_RDWR, &fh), 0) << m->Error();

  const std::string data = Pattern(name, 12 << 20);  // more than fits
  uint64_t written = 0, acked = 0;
  int error = 0;
  const char* where = "";
  for (int chunks = 1; written < data.size() && error == 0; ++chunks) {
    const int n = localio_pwrite(m->ctx(), fh, written, kChunk, data.data() + written);
    if (n < 0) {
      error = n;
      where = "write";
      break;
    }
    ASSERT_GT(n, 0);
    written += static_cast<uint64_t>(n);
    if (chunks % kChunksPerFsync == 0) {
      const int f = localio_fsync(m->ctx(), fh);
      if (f == 0) {
        acked = written;
      } else {
        error = f;
        where = "fsync";
      }
    }
  }
  const int closed = localio_close(m->ctx(), fh);
  if (error == 0 && closed != 0) {
    error = closed;
    where = "close";
  }
  const localio_counters c = m->Counters();
  std::printf("NFSv%d: %s gave %d (%s) after %llu bytes written, %llu acknowledged by fsync; "
              "close %d; %s\n",
              v, where, error, std::strerror(-error), static_cast<unsigned long long>(written),
              static_cast<unsigned long long>(acked), closed, Describe(c).c_str());
  EXPECT_EQ(error, -ENOSPC) << "the full filesystem was not reported as ENOSPC";
  EXPECT_GT(c.write_ops, 0u) << "nothing went through the bypass";
  EXPECT_GT(acked, 0u);
  EXPECT_LT(written, data.size());
  const std::string on_disk = ReadFile(path);
  ASSERT_GE(on_disk.size(), acked);
  EXPECT_TRUE(on_disk.compare(0, acked, data, 0, acked) == 0)
      << "acknowledged bytes differ on the server";
  EXPECT_TRUE(server_->Running());
  ASSERT_EQ(unlink(path.c_str()), 0);  // room for the next version
}

TEST_F(FaultEnospc, NFSv3WritePastTheLimitReportsEnospcKeepsAckedData) {
  FillThroughTheBypass(3);
}
TEST_F(FaultEnospc, NFSv4WritePastTheLimitReportsEnospcKeepsAckedData) {
  FillThroughTheBypass(4);
}

}  // namespace
}  // namespace localio::harness
