// SPDX-License-Identifier: LGPL-3.0-or-later
// The shim's poll, ppoll and select (poll_interpose.cc) against the real
// server: poll_probe, an async libnfs program, under liblocalio_preload.so
// answers every poll on its context's fd from user space while bypassed
// completions wait (the poll-family system calls are denied to it by a
// seccomp filter and it still runs), while a poll with nothing pending, a
// ppoll with a signal mask and a set with another descriptor still reach
// the kernel; timeouts and EINTR are kept. Without the shim the same
// program's polls all reach the kernel, and it fails there.
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

#include "harness/gtest_support.h"
#include "harness/process.h"

namespace localio::harness {
namespace {

constexpr uint16_t kExport = 1;

class PreloadPoll : public SuiteServerTest<PreloadPoll> {
 protected:
  static void SetUpTestSuite() { StartSuiteServer(OneExport()); }

  static CommandResult Probe(bool shim, const std::string& file) {
    std::vector<std::string> argv = {"env"};
    if (shim) {
      argv.push_back(std::string("LD_PRELOAD=") + LOCALIO_PRELOAD_LIBRARY);
      argv.push_back("LOCALIO_MAP=" + server_->map_path());
    }
    argv.insert(argv.end(), {LOCALIO_POLL_PROBE, server_->Url(kExport, 3, file), "3000"});
    CommandResult result;
    const Status s = RunCommand(argv, std::chrono::minutes(1), &result);
    EXPECT_TRUE(s.ok()) << s.message;
    return result;
  }
};

TEST_F(PreloadPoll, CompletionsWaitingAreAnsweredWithoutTheKernel) {
  const CommandResult r = Probe(true, "poll-shim.bin");
  ASSERT_TRUE(r.Succeeded()) << r.Describe();
  EXPECT_EQ(r.out, "ok\n");
  EXPECT_EQ(r.err, "");
}

TEST_F(PreloadPoll, WithoutTheShimEveryPollReachesTheKernel) {
  const CommandResult r = Probe(false, "poll-plain.bin");
  EXPECT_EQ(r.exit_code, 1) << r.Describe();
  EXPECT_NE(r.err.find("round 0 (poll): -1, errno 38"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace localio::harness
