/* SPDX-License-Identifier: LGPL-3.0-or-later */
// What localio-bench measures: a case (NFS version, read or write,
// sequential or random, block size, threads, sync or async with a queue
// depth) and the three ways it is run on the same file (modes). A case has
// one name, used on the command line, in the table and in the CSV:
//   v<3|4>-<seq|rand><read|write>-<block>-t<threads>-<sync|qd<depth>>
//   e.g. v3-randread-4k-t1-sync, v4-seqwrite-1m-t2-qd8
#ifndef LOCALIO_BENCH_CASE_H
#define LOCALIO_BENCH_CASE_H

#include <cstdint>
#include <string>
#include <vector>

namespace localio::bench {

enum class Mode { kRpc, kLocalio, kLocal };
inline constexpr Mode kModes[] = {Mode::kRpc, Mode::kLocalio, Mode::kLocal};
const char* ModeName(Mode mode);  // "rpc" / "localio" / "local"
bool ParseMode(const std::string& text, Mode* mode);

struct Case {
  int version = 3;           // 3 or 4
  bool write = false;
  bool random = true;
  uint64_t block = 4096;     // bytes per operation, 4 KiB .. 1 MiB
  int threads = 1;           // one nfs_context (or fd) each
  int queue_depth = 0;       // 0: sync API; >0: async API, ops in flight per thread

  bool async() const { return queue_depth > 0; }
};

std::string CaseName(const Case& c);
// Parses a case name; false with a sentence naming the bad part.
bool ParseCase(const std::string& name, Case* out, std::string* error);
// "4k", "64k", "1m" (also plain bytes); 4 KiB .. 1 MiB, a multiple of 512.
bool ParseBlock(const std::string& text, uint64_t* bytes);
std::string BlockName(uint64_t bytes);

// The cases run when none are named: the targets, both versions.
std::vector<Case> DefaultCases();

// The cross product of the dimension lists (each non-empty).
struct CaseMatrix {
  std::vector<int> versions{3, 4};
  std::vector<std::string> ops{"randread"};  // seqread randread seqwrite randwrite
  std::vector<uint64_t> blocks{4096};
  std::vector<int> threads{1};
  std::vector<int> queue_depths{0};
};
bool ExpandMatrix(const CaseMatrix& m, std::vector<Case>* out, std::string* error);

}  // namespace localio::bench

#endif  // LOCALIO_BENCH_CASE_H
