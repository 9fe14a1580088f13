// SPDX-License-Identifier: LGPL-3.0-or-later
// A program with no libnfs at start that gets one with dlopen after start,
// as qemu gets its NFS block driver (block-nfs.so, linked to libnfs, loaded
// RTLD_LOCAL), under liblocalio_preload.so against the real server: the
// shim finds that libnfs at the program's first libnfs call and bypasses
// (under 1% of the data on the loopback), for a module loaded RTLD_LOCAL
// or RTLD_GLOBAL and for libnfs itself loaded RTLD_GLOBAL. A program that
// calls libnfs through its own RTLD_LOCAL handle goes past the shim: it
// still works (over RPC, nothing hangs). Without the shim every mode works
// and moves the whole file (the reference).
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "harness/gtest_support.h"
#include "harness/loopback.h"
#include "harness/process.h"

namespace localio::harness {
namespace {

constexpr uint16_t kExport = 1;
constexpr uint64_t kBytes = 32ull << 20;

struct ProgramRun {
  CommandResult result;
  uint64_t loopback = 0;
};

class PreloadLateLibnfs : public SuiteServerTest<PreloadLateLibnfs> {
 protected:
  static void SetUpTestSuite() { StartSuiteServer(OneExport()); }

  static ProgramRun Program(bool shim, const std::string& mode, const std::string& file) {
    std::vector<std::string> argv = {"env"};
    if (shim) {
      argv.push_back(std::string("LD_PRELOAD=") + LOCALIO_PRELOAD_LIBRARY);
      argv.push_back("LOCALIO_MAP=" + server_->map_path());
    }
    argv.insert(argv.end(), {LOCALIO_LATE_LIBNFS_PROGRAM, mode, server_->Url(kExport, 3, file),
                             std::to_string(kBytes)});
    ProgramRun run;
    const uint64_t before = LoopbackBytes();
    const Status s = RunCommand(argv, std::chrono::minutes(2), &run.result);
    run.loopback = LoopbackBytes() - before;
    EXPECT_TRUE(s.ok()) << s.message;
    std::printf("[ share    ] %s%s: %llu bytes on lo for %llu written and read\n", mode.c_str(),
                shim ? " + shim" : "", static_cast<unsigned long long>(run.loopback),
                static_cast<unsigned long long>(kBytes));
    return run;
  }

  static void ExpectOk(const ProgramRun& run, const std::string& mode) {
    ASSERT_TRUE(run.result.Succeeded()) << run.result.Describe();
    EXPECT_EQ(run.result.out, "late-libnfs: " + mode + " ok " + std::to_string(kBytes) + "\n");
  }
};

class Bypassed : public PreloadLateLibnfs, public ::testing::WithParamInterface<const char*> {};

TEST_P(Bypassed, UnderTheShim) {
  const std::string mode = GetParam();
  const ProgramRun run = Program(true, mode, mode + ".bin");
  ExpectOk(run, mode);
  EXPECT_EQ(run.result.err, "") << "the shim (log level 1) had something to say";
  EXPECT_LT(run.loopback, kBytes / 100) << "the bypass was not used";
}

INSTANTIATE_TEST_SUITE_P(Late, Bypassed,
                         ::testing::Values("module-local", "module-global", "libnfs-global"),
                         [](const ::testing::TestParamInfo<const char*>& p) {
                           std::string name = p.param;
                           name.erase(name.find('-'), 1);
                           return name;
                         });

// Its calls reach libnfs's own functions; only libnfs's internal calls of
// its *_async meet the shim, which leaves them to libnfs.
TEST_F(PreloadLateLibnfs, ALibnfsHandleOfTheProgramsOwnWorksOverRpc) {
  const ProgramRun run = Program(true, "libnfs-local", "handle.bin");
  ExpectOk(run, "libnfs-local");
  EXPECT_EQ(run.result.err, "");
  EXPECT_GT(run.loopback, 2 * kBytes) << "written and read over RPC";
}

TEST_F(PreloadLateLibnfs, WithoutTheShimEveryModeMovesTheWholeFile) {
  for (const char* mode : {"module-local", "module-global", "libnfs-local", "libnfs-global"}) {
    SCOPED_TRACE(mode);
    const ProgramRun run = Program(false, mode, std::string("plain-") + mode + ".bin");
    ExpectOk(run, mode);
    EXPECT_GT(run.loopback, 2 * kBytes);
  }
}

}  // namespace
}  // namespace localio::harness
