/* SPDX-License-Identifier: LGPL-3.0-or-later */
// localio-bench's outputs: the table on stdout, the CSV (one row per case,
// the three modes side by side) and the PNG chart drawn by gnuplot from the
// CSV.
#ifndef LOCALIO_BENCH_REPORT_H
#define LOCALIO_BENCH_REPORT_H

#include <cstdio>
#include <string>
#include <vector>

#include "bench_case.h"
#include "bench_run.h"

namespace localio::bench {

struct CaseResult {
  Case c;
  ModeResult modes[3];  // indexed by Mode
  const ModeResult& of(Mode m) const { return modes[static_cast<int>(m)]; }
};

// localio ops/s over the other mode's, or 0 when either did not run.
double Ratio(const CaseResult& r, Mode over);

// The notes of a case (chunked RPC calls, fallbacks, how async ran, errors).
std::string CaseNotes(const CaseResult& r);

void PrintTable(std::FILE* out, const std::vector<CaseResult>& results);

// Columns: case,version,op,pattern,block_bytes,threads,queue_depth, then per
// mode <mode>_ops_per_s,<mode>_mib_per_s (empty when it did not run),
// localio_bypassed_ops,localio_fallbacks,localio_over_rpc,
// localio_over_local,notes. "" or a sentence.
std::string WriteCsv(const std::string& path, const std::vector<CaseResult>& results);

// Runs gnuplot on the CSV: ops/s per case and mode, log scale.
std::string DrawPng(const std::string& csv_path, const std::string& png_path, size_t cases);

}  // namespace localio::bench

#endif  // LOCALIO_BENCH_REPORT_H
