// SPDX-License-Identifier: LGPL-3.0-or-later
// The unmodified /usr/bin/nfs-cp under liblocalio_preload.so against the
// stock ganesha.nfsd with a LOCALIO-over-VFS export: a 256 MiB random file
// copied into the export and out of it over NFSv3 and NFSv4 arrives
// byte-identical while under 1% of its size crosses the loopback interface
// (measured outside the plugin); the same copy without the shim moves more
// than the file (the meter works). A disabled shim or a bad variable costs
// one stderr line and the copy still works, over RPC.
#include <gtest/gtest.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "harness/loopback.h"
#include "harness/random_file.h"
#include "harness/gtest_support.h"
#include "harness/process.h"

namespace localio::harness {
namespace {

namespace fs = std::filesystem;

constexpr uint16_t kExport = 1;
constexpr uint64_t kBigFile = 256ull << 20;
constexpr uint64_t kSmallFile = 8ull << 20;
constexpr double kMaxBypassShare = 0.01;

// stderr split into lines (the shim writes whole lines).
std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    lines.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return lines;
}

struct Copy {
  CommandResult result;
  uint64_t loopback = 0;
};

class PreloadNfsCp : public SuiteServerTest<PreloadNfsCp> {
 protected:
  static void SetUpTestSuite() {
    StartSuiteServer(OneExport(), "localio-preload-cp");
    if (start_.ok()) {
      big_ = scratch_->path() + "/big.bin";
      small_ = scratch_->path() + "/small.bin";
      start_ = harness::WriteRandomFile(big_, kBigFile, 1);
      if (start_.ok()) start_ = harness::WriteRandomFile(small_, kSmallFile, 2);
      big_sha_ = Sha256File(big_);
      small_sha_ = Sha256File(small_);
    }
  }

  static std::vector<std::string> ShimEnv() {
    return {std::string("LD_PRELOAD=") + LOCALIO_PRELOAD_LIBRARY,
            "LOCALIO_MAP=" + server_->map_path()};
  }

  // nfs-cp src dst with `env` (NAME=value...), metering the loopback.
  static Copy NfsCp(const std::vector<std::string>& env, const std::string& src,
                    const std::string& dst) {
    std::vector<std::string> argv = {"env"};
    argv.insert(argv.end(), env.begin(), env.end());
    argv.insert(argv.end(), {"/usr/bin/nfs-cp", src, dst});
    Copy copy;
    const uint64_t before = LoopbackBytes();
    const Status s = RunCommand(argv, std::chrono::minutes(5), &copy.result);
    copy.loopback = LoopbackBytes() - before;
    EXPECT_TRUE(s.ok()) << s.message;
    return copy;
  }

  static std::string Export(const std::string& name) {
    return server_->ExportDir(kExport) + "/" + name;
  }

  // Copies `local` into the export by the file system, as the server sees it.
  static void Place(const std::string& local, const std::string& name) {
    std::error_code ec;
    fs::copy_file(local, Export(name), fs::copy_options::overwrite_existing, ec);
    ASSERT_FALSE(ec) << ec.message();
  }

  static void Report(const std::string& what, const Copy& copy, uint64_t size) {
    std::printf("[ share    ] %s: %llu bytes on lo for a %llu-byte file = %.3f%%\n", what.c_str(),
                static_cast<unsigned long long>(copy.loopback),
                static_cast<unsigned long long>(size),
                100.0 * static_cast<double>(copy.loopback) / static_cast<double>(size));
  }

  void ExpectBypassed(const std::string& what, const Copy& copy, uint64_t size) {
    Report(what, copy, size);
    ASSERT_TRUE(copy.result.Succeeded()) << copy.result.Describe();
    EXPECT_EQ(copy.result.err, "") << "the shim (log level 1) had something to say";
    EXPECT_LT(static_cast<double>(copy.loopback), kMaxBypassShare * static_cast<double>(size));
  }

  inline static std::string big_, big_sha_, small_, small_sha_;
};

// A program that grows a file through the bypass and asks libnfs for its
// size before closing it (a listing of its directory, fstat, stat by path,
// lseek from the end, each after more writes) gets the
// size it wrote: the shim tells the server first (LOCALIO WROTE).
TEST_F(PreloadNfsCp, AWriterSeesTheSizeItWroteBeforeClosing) {
  constexpr uint64_t kGrowth = 4 << 20;  // a mount costs ~12 KB on lo
  for (const int version : {3, 4}) {
    const std::string name = "grow-v" + std::to_string(version) + ".bin";
    const std::string start(1000, 's');
    {
      std::ofstream out(Export(name), std::ios::binary | std::ios::trunc);
      out << start;
    }
    std::vector<std::string> argv = {"env"};
    const std::vector<std::string> env = ShimEnv();
    argv.insert(argv.end(), env.begin(), env.end());
    argv.insert(argv.end(), {LOCALIO_NFS_CLIENT, server_->Url(kExport, version, ""), "grow", name,
                             std::to_string(kGrowth)});
    Copy run;
    const uint64_t before = LoopbackBytes();
    const Status s = RunCommand(argv, std::chrono::minutes(1), &run.result);
    run.loopback = LoopbackBytes() - before;
    ASSERT_TRUE(s.ok()) << s.message;
    ExpectBypassed("grow v" + std::to_string(version), run, kGrowth);
    const auto after = [&](uint64_t quarters) {
      return std::to_string(start.size() + quarters * kGrowth / 4);
    };
    EXPECT_EQ(run.result.out, "before=" + after(0) + " readdir=" + after(1) + " fstat=" + after(2) +
                                  " stat=" + after(3) + " seek_end=" + after(4) + "\n")
        << "NFSv" << version;
  }
}

TEST_F(PreloadNfsCp, IntoTheExportOverV3Bypasses) {
  const Copy copy = NfsCp(ShimEnv(), big_, server_->Url(kExport, 3, "into-v3.bin"));
  ExpectBypassed("nfs-cp into the export, v3, shim", copy, kBigFile);
  EXPECT_EQ(Sha256File(Export("into-v3.bin")), big_sha_);
  fs::remove(Export("into-v3.bin"));
}

// libnfs 4.0 cannot send an NFSv4 WRITE over ~3.9 KiB, so plain nfs-cp
// cannot copy into a v4 export at all; with the shim the writes never go
// on the wire and the copy works.
TEST_F(PreloadNfsCp, IntoTheExportOverV4Bypasses) {
  const Copy copy = NfsCp(ShimEnv(), big_, server_->Url(kExport, 4, "into-v4.bin"));
  ExpectBypassed("nfs-cp into the export, v4, shim", copy, kBigFile);
  EXPECT_EQ(Sha256File(Export("into-v4.bin")), big_sha_);
  fs::remove(Export("into-v4.bin"));
}

TEST_F(PreloadNfsCp, OutOfTheExportOverV3AndV4Bypasses) {
  ASSERT_NO_FATAL_FAILURE(Place(big_, "out.bin"));
  for (int version : {3, 4}) {
    SCOPED_TRACE("NFSv" + std::to_string(version));
    const std::string local = scratch_->path() + "/out-v" + std::to_string(version) + ".bin";
    const Copy copy = NfsCp(ShimEnv(), server_->Url(kExport, version, "out.bin"), local);
    ExpectBypassed("nfs-cp out of the export, v" + std::to_string(version) + ", shim", copy,
                   kBigFile);
    EXPECT_EQ(Sha256File(local), big_sha_);
    fs::remove(local);
  }
  fs::remove(Export("out.bin"));
}

TEST_F(PreloadNfsCp, WithoutTheShimTheFileCrossesTheLoopback) {
  const Copy into = NfsCp({}, big_, server_->Url(kExport, 3, "plain-v3.bin"));
  Report("nfs-cp into the export, v3, no shim", into, kBigFile);
  ASSERT_TRUE(into.result.Succeeded()) << into.result.Describe();
  EXPECT_GT(into.loopback, kBigFile);
  EXPECT_EQ(Sha256File(Export("plain-v3.bin")), big_sha_);

  const std::string local = scratch_->path() + "/plain-out.bin";
  const Copy out = NfsCp({}, server_->Url(kExport, 3, "plain-v3.bin"), local);
  Report("nfs-cp out of the export, v3, no shim", out, kBigFile);
  ASSERT_TRUE(out.result.Succeeded()) << out.result.Describe();
  EXPECT_GT(out.loopback, kBigFile);
  EXPECT_EQ(Sha256File(local), big_sha_);
  fs::remove(local);
  fs::remove(Export("plain-v3.bin"));
}

// The variable's value, the line that must name it.
struct OffCase {
  std::string variable;
  std::string value;
  std::string expected;  // in the one stderr line
};

class PreloadNfsCpOff : public PreloadNfsCp, public ::testing::WithParamInterface<OffCase> {};

TEST_P(PreloadNfsCpOff, PrintsOneLineAndCopiesOverRpc) {
  const OffCase& c = GetParam();
  std::vector<std::string> env = ShimEnv();
  env.push_back(c.variable + "=" + c.value);
  for (int version : {3, 4}) {
    SCOPED_TRACE("NFSv" + std::to_string(version));
    ASSERT_NO_FATAL_FAILURE(Place(small_, "off.bin"));
    const std::string local = scratch_->path() + "/off.bin";
    const Copy copy = NfsCp(env, server_->Url(kExport, version, "off.bin"), local);
    Report("nfs-cp out, v" + std::to_string(version) + ", " + c.variable + "=" + c.value, copy,
           kSmallFile);
    ASSERT_TRUE(copy.result.Succeeded()) << copy.result.Describe();
    const std::vector<std::string> lines = Lines(copy.result.err);
    ASSERT_EQ(lines.size(), 1u) << copy.result.err;
    EXPECT_EQ(lines[0].rfind("localio: ", 0), 0u) << lines[0];
    EXPECT_NE(lines[0].find(c.expected), std::string::npos) << lines[0];
    EXPECT_NE(lines[0].find("disabled"), std::string::npos) << lines[0];
    EXPECT_GT(copy.loopback, kSmallFile) << "the bypass was not off";
    EXPECT_EQ(Sha256File(local), small_sha_);
    fs::remove(local);
    fs::remove(Export("off.bin"));
  }
}

INSTANTIATE_TEST_SUITE_P(
    Env, PreloadNfsCpOff,
    ::testing::Values(OffCase{"LOCALIO_DISABLE", "1", "LOCALIO_DISABLE=1"},
                      OffCase{"LOCALIO_PATH_MAP", "data=/mnt/data", "LOCALIO_PATH_MAP"},
                      OffCase{"LOCALIO_LOG", "verbose", "LOCALIO_LOG"},
                      OffCase{"LOCALIO_MAP", "", "LOCALIO_MAP"}),
    [](const ::testing::TestParamInfo<OffCase>& param) {
      return param.param.variable.substr(8) + std::to_string(param.index);
    });

}  // namespace
}  // namespace localio::harness
