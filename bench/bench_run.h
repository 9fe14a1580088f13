/* SPDX-License-Identifier: LGPL-3.0-or-later */
// Runs one case in one mode and returns its figures. The sync API, and the
// local mode, run in this process. The async API of the localio mode runs
// in a child: this same program re-executed with liblocalio_preload.so in
// LD_PRELOAD, doing plain libnfs async I/O (nfs_pread_async /
// nfs_pwrite_async driven by poll + nfs_which_events + nfs_service) that
// the shim bypasses. The C API has no async calls; the shim is how an async
// libnfs program gets the bypass, so that is what is measured.
#ifndef LOCALIO_BENCH_RUN_H
#define LOCALIO_BENCH_RUN_H

#include <cstdint>
#include <string>

#include "bench_case.h"
#include "io_worker.h"

namespace localio::bench {

struct ModeResult {
  bool ran = false;         // false: skipped or failed (see error/note)
  uint64_t ops = 0, bytes = 0;
  double seconds = 0;       // the slowest thread's time
  double ops_per_s = 0, mib_per_s = 0;
  // localio mode: operations served from the local file, and I/Os sent by
  // RPC instead (from the C API's counters, or the shim's hello slots).
  uint64_t bypassed = 0, fallbacks = 0;
  std::string error;        // why it did not run
  std::string note;         // how it ran, when that is not the obvious way
};

struct RunSettings {
  double seconds = 1.0;        // per case per mode
  std::string self_exe;        // this program, for the async localio child
  std::string preload_library; // liblocalio_preload.so
};

ModeResult RunMode(const Target& target, const Case& c, Mode mode, const RunSettings& settings);

// The child's half (see the file comment): runs `c` with plain libnfs async
// calls in this process, counting bypassed operations from this process's
// hello slots, and prints one "result ..." line on stdout. Exit status.
int RunChild(const Target& target, const Case& c, double seconds);

}  // namespace localio::bench

#endif  // LOCALIO_BENCH_RUN_H
