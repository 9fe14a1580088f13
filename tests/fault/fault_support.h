/* SPDX-License-Identifier: LGPL-3.0-or-later */
// What the fault tests share: localio-fault-client
// processes (one libnfs context each, see fault_client.cc) started and read
// from outside, and the check of a file they wrote against what they say was
// acknowledged.
#ifndef LOCALIO_TESTS_FAULT_SUPPORT_H
#define LOCALIO_TESTS_FAULT_SUPPORT_H

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "harness/ganesha_server.h"
#include "harness/gtest_support.h"
#include "harness/process.h"
#include "harness/server_config.h"
#include "localio/status.h"

namespace localio::fault {

using std::chrono::milliseconds;
using std::chrono::seconds;

// The export of OneExportServerTest, and how many writers a test runs.
inline constexpr uint16_t kExport = harness::kDefaultExportId;
inline constexpr int kClients = 4;

// The fixture of the fault tests: a server of each test's own with one
// LOCALIO export (harness/gtest_support.h).
using harness::OneExportServerTest;

// CLOCK_MONOTONIC ms, the clock localio-fault-client prints.
uint64_t NowMs();

class FaultClient {
 public:
  // Starts `localio-fault-client mode url map stopfile args...` with its
  // output in `out_path`.
  static Status Start(const std::string& mode, const std::string& url, const std::string& map,
                      const std::string& stopfile, const std::vector<std::string>& args,
                      const std::string& out_path, std::unique_ptr<FaultClient>* out);
  std::string Output() const;
  // The MS of the first "<prefix> ... MS" line at or after `after_ms`
  // (prefix like "ready" or "event local 1"), waiting up to `timeout`.
  std::optional<uint64_t> WaitFor(const std::string& prefix, uint64_t after_ms,
                                  std::chrono::milliseconds timeout) const;
  // Waits for the exit (after the stop file exists); false on timeout.
  bool WaitExit(std::chrono::milliseconds timeout) { return process_.WaitExit(timeout); }
  bool Running() { return process_.Running(); }
  const std::string& exit_description() const { return process_.exit_description(); }
  // "count NAME N" from the output, -1 when absent.
  int64_t Count(const std::string& name) const;
  // "bad ..." lines, joined.
  std::string BadLines() const;

 private:
  harness::ChildProcess process_;
  std::string out_path_;
};

// An "rw" client: `id` (its file is "f<id>" in export 1, created with
// `blocks` blocks of round 0), NFS version, an fsync every `fsync` writes,
// at most `seconds` s.
struct Writer {
  uint32_t id = 0;
  int version = 3;
  uint32_t blocks = 16;
  uint32_t fsync = 4;
  int seconds = 120;
};
// Creates the writer's file and starts it on `server` (output in
// <server dir>/client-<id>.out); it stops once `stopfile` exists.
Status StartWriter(const harness::GaneshaServer& server, const std::string& stopfile,
                   const Writer& w, std::unique_ptr<FaultClient>* out);
// Waits (up to 20 s each) until every client printed "ready" (it bypasses).
::testing::AssertionResult AllReady(const std::vector<std::unique_ptr<FaultClient>>& clients);

// Checks that file `path` holds, for each "block B MIN MAX" line of the rw
// client `client_id`'s output, a whole block of that client with a round in
// [MIN, MAX]. "" when it does, else what is wrong.
std::string CheckAcknowledgedBlocks(const std::string& path, uint32_t client_id,
                                    const std::string& client_output);

// Creates `path` (local, as the server sees it) holding `blocks` blocks of
// round 0 of client `client_id`.
Status CreateBlockFile(const std::string& path, uint32_t client_id, uint32_t blocks);

void TouchFile(const std::string& path);

}  // namespace localio::fault

#endif  // LOCALIO_TESTS_FAULT_SUPPORT_H
