// SPDX-License-Identifier: LGPL-3.0-or-later
// Unmodified libnfs programs of Debian's packages under liblocalio_preload.so
// against the real ganesha.nfsd with a LOCALIO-over-VFS export, each also
// run without the shim as the reference (the same data, the whole of it on
// the loopback):
//   qemu-img create / convert and qemu-io on nfs:// images: qemu's block
//     driver (block-nfs.so, loaded with dlopen after start; NFSv3, the only
//     version qemu's driver speaks), write + read with a pattern check;
//   fio's nfs engine (a poll + nfs_service loop, async at queue depth 8),
//     NFSv3 and NFSv4, writes a file then reads it back checking it.
// Under the shim the data is checked and under 1% of it crosses the
// loopback interface (measured outside the plugin). nfs-cp is the other
// program: preload_nfs_cp_test.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "harness/gtest_support.h"
#include "harness/libnfs_limits.h"
#include "harness/loopback.h"
#include "harness/process.h"
#include "harness/random_file.h"

namespace localio::harness {
namespace {

namespace fs = std::filesystem;

constexpr uint16_t kExport = 1;
constexpr uint64_t kImage = 64ull << 20;
constexpr uint64_t kPatterned = 48ull << 20;  // written then read by qemu-io
constexpr double kMaxBypassShare = 0.01;

struct ProgramRun {
  CommandResult result;
  uint64_t loopback = 0;
};

class PreloadPrograms : public SuiteServerTest<PreloadPrograms, ::testing::TestWithParam<bool>> {
 protected:
  static void SetUpTestSuite() {
    StartSuiteServer(OneExport(), "localio-programs");
    if (!start_.ok()) return;
    source_ = scratch_->path() + "/source.raw";
    start_ = WriteRandomFile(source_, kImage, 7);
    source_sha_ = Sha256File(source_);
  }

  bool shim() const { return GetParam(); }
  std::string Suffix() const { return shim() ? "-shim" : "-plain"; }

  // argv under the shim (or not), metering the loopback.
  ProgramRun Run(const std::vector<std::string>& program) const {
    // cmake/NfsClientTools.cmake leaves a program's path empty when this
    // machine has none that speaks NFS.
    EXPECT_NE(program.front(), "") << "no such program with NFS here: run ci/setup.sh, then cmake";
    std::vector<std::string> argv = {"env"};
    if (shim()) {
      argv.push_back(std::string("LD_PRELOAD=") + LOCALIO_PRELOAD_LIBRARY);
      argv.push_back("LOCALIO_MAP=" + server_->map_path());
    }
    argv.insert(argv.end(), program.begin(), program.end());
    ProgramRun run;
    const uint64_t before = LoopbackBytes();
    const Status s = RunCommand(argv, std::chrono::minutes(5), &run.result);
    run.loopback = LoopbackBytes() - before;
    EXPECT_TRUE(s.ok()) << s.message;
    return run;
  }

  // The shim's share of `moved` bytes, or the reference's.
  void ExpectCarried(const std::string& what, const ProgramRun& run, uint64_t moved) const {
    std::printf("[ share    ] %s%s: %llu bytes on lo for %llu bytes moved = %.3f%%\n",
                what.c_str(), shim() ? " + shim" : "",
                static_cast<unsigned long long>(run.loopback),
                static_cast<unsigned long long>(moved),
                100.0 * static_cast<double>(run.loopback) / static_cast<double>(moved));
    if (shim()) {
      EXPECT_LT(static_cast<double>(run.loopback), kMaxBypassShare * static_cast<double>(moved))
          << what << ": the bypass was not used";
    } else {
      EXPECT_GT(run.loopback, moved) << what << ": the meter saw less than the data";
    }
  }

  // qemu's driver speaks NFSv3 and takes no port options: libnfs asks
  // rpcbind, where ganesha.nfsd registered its ports.
  static std::string QemuUrl(const std::string& name) {
    return "nfs://127.0.0.1" + server_->ExportDir(kExport) + "/" + name;
  }
  static std::string InExport(const std::string& name) {
    return server_->ExportDir(kExport) + "/" + name;
  }

  inline static std::string source_, source_sha_;
};

// The bytes of `path` in [0, count) are all `value`.
bool AllBytesAre(const std::string& path, uint64_t count, unsigned char value) {
  std::ifstream in(path, std::ios::binary);
  std::vector<char> block(1 << 20);
  for (uint64_t done = 0; done < count;) {
    const uint64_t n = std::min<uint64_t>(count - done, block.size());
    if (!in.read(block.data(), static_cast<std::streamsize>(n))) return false;
    for (uint64_t i = 0; i < n; ++i)
      if (static_cast<unsigned char>(block[i]) != value) return false;
    done += n;
  }
  return true;
}

TEST_P(PreloadPrograms, QemuImgCreatesAndQemuIoWritesAndReadsAPattern) {
  const std::string name = "pattern" + Suffix() + ".raw";
  const ProgramRun create = Run({LOCALIO_QEMU_IMG, "create", "-q", "-f", "raw", QemuUrl(name),
                                 std::to_string(kImage)});
  ASSERT_TRUE(create.result.Succeeded()) << create.result.Describe();
  EXPECT_EQ(fs::file_size(InExport(name)), kImage);

  const std::string length = std::to_string(kPatterned);
  const ProgramRun io = Run({LOCALIO_QEMU_IO, "-f", "raw", "-c", "write -P 0x5a 0 " + length,
                             "-c", "read -P 0x5a 0 " + length, QemuUrl(name)});
  ASSERT_TRUE(io.result.Succeeded()) << io.result.Describe();
  EXPECT_NE(io.result.out.find("wrote " + length + "/" + length + " bytes"), std::string::npos)
      << io.result.out;
  EXPECT_NE(io.result.out.find("read " + length + "/" + length + " bytes"), std::string::npos)
      << io.result.out;
  EXPECT_EQ(io.result.out.find("Pattern verification failed"), std::string::npos)
      << io.result.out;
  EXPECT_EQ(io.result.err, "");
  ExpectCarried("qemu-io write + read", io, 2 * kPatterned);
  EXPECT_TRUE(AllBytesAre(InExport(name), kPatterned, 0x5a)) << "the server's file";
  fs::remove(InExport(name));
}

TEST_P(PreloadPrograms, QemuImgConvertsIntoAndOutOfTheExport) {
  const std::string name = "convert" + Suffix() + ".raw";
  const ProgramRun into =
      Run({LOCALIO_QEMU_IMG, "convert", "-q", "-O", "raw", source_, QemuUrl(name)});
  ASSERT_TRUE(into.result.Succeeded()) << into.result.Describe();
  ExpectCarried("qemu-img convert into the export", into, kImage);
  EXPECT_EQ(Sha256File(InExport(name)), source_sha_);

  const std::string local = scratch_->path() + "/" + name;
  const ProgramRun out =
      Run({LOCALIO_QEMU_IMG, "convert", "-q", "-O", "raw", QemuUrl(name), local});
  ASSERT_TRUE(out.result.Succeeded()) << out.result.Describe();
  ExpectCarried("qemu-img convert out of the export", out, kImage);
  EXPECT_EQ(Sha256File(local), source_sha_);
  fs::remove(local);
  fs::remove(InExport(name));
}

// fio's nfs engine, queue depth 8 under the shim (a poll + nfs_service
// loop): a run writes a new file with fio's verify headers, a second run
// reads it back in random order and checks every block. The reference
// without the shim runs at depth 1: Debian 14's fio 3.41 aborts at the end
// of a depth-8 write over RPC ("inflight entry already invalid", SIGABRT:
// 6 of 8 plain runs against a VFS export, no LOCALIO involved), when libnfs
// fails the requests still in flight at unmount. (A new file: fio 3.39's engine
// opens for write with O_CREAT, which libnfs 5.0.2's NFSv4 sends as an
// EXCLUSIVE4 create that an existing file fails; a verify pass in the
// writing run would first issue a sync, which the engine does not have.)
TEST_P(PreloadPrograms, FioWritesAndVerifiesOverV3AndV4) {
  constexpr uint64_t kFioFile = 32ull << 20;
  for (const int version : {3, 4}) {
    SCOPED_TRACE("NFSv" + std::to_string(version));
    const std::string name = "fio-v" + std::to_string(version) + Suffix() + ".bin";
    // libnfs 4.0 cannot send an NFSv4 WRITE above ~3.9 KiB over RPC
    // (libnfs_limits.h): the reference stays under it, and so does the shim.
    const uint64_t block = version == 4 ? std::min<uint64_t>(4096, kMaxV4RpcWrite) : 4096;
    for (const char* rw : {"write", "randread"}) {
      const ProgramRun run =
          Run({LOCALIO_FIO, "--name=localio", "--ioengine=nfs",
               "--nfs_url=" + server_->Url(kExport, version, ""), "--filename=" + name,
               "--size=" + std::to_string(kFioFile), "--bs=" + std::to_string(block),
               std::string("--rw=") + rw, shim() ? "--iodepth=8" : "--iodepth=1",
               "--verify=crc32c", "--do_verify=0",
               "--verify_fatal=1"});
      const std::string what = std::string("fio ") + rw + ", v" + std::to_string(version);
      ASSERT_TRUE(run.result.Succeeded()) << what << ": " << run.result.Describe();
      EXPECT_NE(run.result.out.find("err= 0"), std::string::npos) << run.result.out;
      // Without the shim fio's engine reports the requests it left in
      // flight at its unmount as failed (-EFAULT, -EINTR), after its
      // results: the shim has none left then, and says nothing.
      if (shim()) {
        EXPECT_EQ(run.result.err, "") << what;
      }
      ExpectCarried(what, run, kFioFile);
    }
    EXPECT_EQ(fs::file_size(InExport(name)), kFioFile);
    fs::remove(InExport(name));
  }
}

INSTANTIATE_TEST_SUITE_P(Programs, PreloadPrograms, ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool>& p) {
                           return p.param ? "Shim" : "Plain";
                         });

}  // namespace
}  // namespace localio::harness
