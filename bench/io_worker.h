/* SPDX-License-Identifier: LGPL-3.0-or-later */
// One thread's share of a case in one mode: its own nfs_context (rpc,
// localio) or fd (local) on the bench file, and the loop that issues
// operations until told to stop. Open() and Run() run on the worker's
// thread; Counters() and the destructor on the main thread after it joined
// (a context is used by one thread at a time, never two at once).
#ifndef LOCALIO_BENCH_IO_WORKER_H
#define LOCALIO_BENCH_IO_WORKER_H

#include <sys/time.h>  // libnfs 4.0's header needs struct timeval first
#include <nfsc/libnfs.h>

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

#include "bench_case.h"
#include "localio/unique_fd.h"

struct localio_context;

namespace localio::bench {

// Where the bench file is, as each mode reaches it.
struct Target {
  std::string url_v3;      // export root URLs ("" when that version is not served)
  std::string url_v4;
  std::string file;        // name relative to the export root
  std::string local_path;  // the backing file on this host ("" unknown: no local mode)
  std::string map_path;    // LOCALIO map (C API config; the shim's LOCALIO_MAP)
  std::string path_map;    // server_root=client_root, "" none
  uint64_t file_size = 0;
};

// Largest single libnfs call the rpc mode makes (harness/libnfs_limits.h):
// with libnfs 4.0, NFSv4 WRITEs over ~3.9 KiB fail to encode and NFSv4
// READs over ~1 MiB break the connection; libnfs splits every other call
// itself. 0: no limit.
uint64_t RpcChunkLimit(int version, bool write);

struct Tally {
  uint64_t ops = 0;       // whole operations of the case's block size
  uint64_t bytes = 0;
  double seconds = 0;     // from go to this worker's last completion
  std::string error;      // "" ok
};

class Worker {
 public:
  // under_shim: an rpc-mode loop that liblocalio_preload.so serves (the
  // async localio child), so not bound by RpcChunkLimit.
  Worker(const Target& target, const Case& c, Mode mode, int index, bool under_shim = false);
  ~Worker();  // closes the file, detaches, unmounts
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  // Mounts and opens the file (rpc: plain libnfs; localio: localio_attach +
  // localio_open; local: open(2)). "" or a sentence.
  std::string Open();
  // Issues operations from `go` until `stop` is set, then drains.
  void Run(const std::atomic<bool>& stop, Tally* out);
  // localio mode: the C API's counters (bypassed ops, fallbacks) and why
  // the bypass is off, if it is. false for other modes.
  bool Counters(uint64_t* bypassed, uint64_t* fallbacks, std::string* why_not) const;

 private:
  uint64_t NextOffset();
  int SyncOp(uint64_t offset);  // 0 or -errno
  void RunSync(const std::atomic<bool>& stop, Tally* out);
  void RunAsync(const std::atomic<bool>& stop, Tally* out);

  const Target& target_;
  const Case case_;
  const Mode mode_;
  const bool under_shim_;
  uint64_t slice_begin_ = 0, slice_blocks_ = 1, next_block_ = 0, rng_ = 0;
  std::vector<uint8_t> buffer_;
  nfs_context* nfs_ = nullptr;
  nfs_url* url_ = nullptr;
  nfsfh* fh_ = nullptr;
  localio_context* localio_ = nullptr;
  UniqueFd fd_;  // kLocal
  bool mounted_ = false;
  std::string last_error_;
};

}  // namespace localio::bench

#endif  // LOCALIO_BENCH_IO_WORKER_H
