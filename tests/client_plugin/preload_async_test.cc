// SPDX-License-Identifier: LGPL-3.0-or-later
// An async libnfs program that knows nothing of LOCALIO
// (preload_async_client.cc: 8 requests in flight from a poll +
// nfs_which_events + nfs_service loop, each next request issued from the
// previous one's callback, every read checked) under liblocalio_preload.so
// and without it, over NFSv3 and NFSv4: both runs succeed, leave exactly the
// program's model in the export, and only the shim's run keeps the data off
// the loopback interface.
#include <gtest/gtest.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "harness/files.h"
#include "harness/gtest_support.h"
#include "harness/loopback.h"
#include "harness/process.h"

namespace localio::harness {
namespace {

constexpr uint16_t kExport = 1;
// 4 MiB file in 64 KiB slots; writes up to 2 KiB, reads up to 64 KiB.
constexpr int kSlots = 64;
constexpr int kOps = 4000;
constexpr int kInflight = 8;

class PreloadAsync : public SuiteServerTest<PreloadAsync, ::testing::TestWithParam<int>> {
 protected:
  static void SetUpTestSuite() { StartSuiteServer(OneExport(), "localio-preload-async"); }

  struct Outcome {
    CommandResult result;
    uint64_t loopback = 0;
    uint64_t moved = 0;  // bytes the program read and wrote
  };

  // Runs the program on a new file `name`, then checks the export holds
  // exactly the model it wrote.
  Outcome RunClient(const std::string& name, bool shim) {
    const std::string model = scratch_->path() + "/" + name + ".model";
    std::vector<std::string> argv = {"env"};
    if (shim) {
      argv.push_back(std::string("LD_PRELOAD=") + LOCALIO_PRELOAD_LIBRARY);
      argv.push_back("LOCALIO_MAP=" + server_->map_path());
    }
    argv.insert(argv.end(),
                {LOCALIO_ASYNC_CLIENT, server_->Url(kExport, GetParam(), name), model,
                 std::to_string(kSlots), std::to_string(kOps), "42", std::to_string(kInflight)});
    Outcome o;
    const uint64_t before = LoopbackBytes();
    const Status s = RunCommand(argv, std::chrono::minutes(3), &o.result);
    o.loopback = LoopbackBytes() - before;
    EXPECT_TRUE(s.ok()) << s.message;
    EXPECT_TRUE(o.result.Succeeded()) << o.result.Describe();
    const size_t at = o.result.out.find("ok moved=");
    EXPECT_NE(at, std::string::npos) << o.result.out;
    if (at != std::string::npos) o.moved = std::stoull(o.result.out.substr(at + 9));
    const std::string expected = ReadFile(model);
    EXPECT_GT(expected.size(), static_cast<size_t>(kSlots) * 64 * 1024);
    EXPECT_TRUE(ReadFile(server_->ExportDir(kExport) + "/" + name) == expected)
        << name << " in the export differs from the program's model";
    std::printf("[ share    ] async client v%d %s: %llu bytes on lo for %llu bytes moved = %.3f%%\n",
                GetParam(), shim ? "shim" : "no shim",
                static_cast<unsigned long long>(o.loopback),
                static_cast<unsigned long long>(o.moved),
                o.moved == 0 ? 0.0 : 100.0 * static_cast<double>(o.loopback) /
                                         static_cast<double>(o.moved));
    return o;
  }

  std::string Name(const char* base) const {
    return std::string(base) + "-v" + std::to_string(GetParam()) + ".bin";
  }
};

TEST_P(PreloadAsync, UnderTheShimDataStaysOffTheWire) {
  const Outcome o = RunClient(Name("async-shim"), /*shim=*/true);
  ASSERT_GT(o.moved, 0u);
  EXPECT_EQ(o.result.err, "");
  EXPECT_LT(static_cast<double>(o.loopback), 0.05 * static_cast<double>(o.moved));
}

TEST_P(PreloadAsync, WithoutTheShimTheSameProgramWorksOverRpc) {
  const Outcome o = RunClient(Name("async-rpc"), /*shim=*/false);
  ASSERT_GT(o.moved, 0u);
  EXPECT_GT(o.loopback, o.moved);
}

INSTANTIATE_TEST_SUITE_P(Versions, PreloadAsync, ::testing::Values(3, 4),
                         [](const ::testing::TestParamInfo<int>& param) {
                           return "v" + std::to_string(param.param);
                         });

}  // namespace
}  // namespace localio::harness
