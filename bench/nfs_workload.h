/* SPDX-License-Identifier: LGPL-3.0-or-later */
// The two workloads localio-fsal-bench times, each on a mounted libnfs
// session (harness/nfs_session.h, sync API). Errors as values carrying
// libnfs's own sentence; nothing here knows about the server.
#ifndef LOCALIO_BENCH_NFS_WORKLOAD_H
#define LOCALIO_BENCH_NFS_WORKLOAD_H

#include <cstdint>
#include <string>

#include "harness/nfs_session.h"
#include "localio/status.h"

namespace localio::bench {

// Mount timeout for the bench's sessions: a dead server fails the run,
// never hangs it.
inline constexpr int kMountTimeoutMs = 30000;

// `ops` 4 KiB preads at random 4 KiB-aligned offsets of `file` (size
// `file_size`), after `warmup` untimed ones; offsets from `seed`, so every
// export sees the same sequence. Stores reads per second.
Status RandomReads(const harness::NfsSession& nfs, const std::string& file, uint64_t file_size,
                   uint64_t ops, uint64_t warmup, uint64_t seed, double* ops_per_s);
// Creates directory `dir`, then `files` empty files in it (nfs_creat +
// nfs_close each), then nfs_stat64 of each, then lists the directory
// (nfs_opendir: READDIRPLUS), then removes them all (untimed). Stores
// the three rates per second (entries per second for the listing).
Status CreateStatList(const harness::NfsSession& nfs, const std::string& dir, uint64_t files,
                      double* creates_per_s, double* stats_per_s, double* entries_per_s);

}  // namespace localio::bench

#endif  // LOCALIO_BENCH_NFS_WORKLOAD_H
