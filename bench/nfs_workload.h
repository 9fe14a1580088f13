// The client side of localio-fsal-bench: one libnfs 4.0 context (sync API)
// mounted on one export, and the two workloads it times. Errors as values
// carrying libnfs's own sentence; nothing here knows about the server.
#ifndef LOCALIO_BENCH_NFS_WORKLOAD_H
#define LOCALIO_BENCH_NFS_WORKLOAD_H

#include <sys/time.h>  // libnfs 4.0's header needs struct timeval first
#include <nfsc/libnfs.h>

#include <cstdint>
#include <memory>
#include <string>

#include "localio/status.h"

namespace localio::bench {

class NfsMount {
 public:
  // Mounts the export root named by `url` (its version and ports apply).
  static Status Open(const std::string& url, std::unique_ptr<NfsMount>* out);
  ~NfsMount();
  NfsMount(const NfsMount&) = delete;
  NfsMount& operator=(const NfsMount&) = delete;

  // `ops` 4 KiB preads at random 4 KiB-aligned offsets of `file` (size
  // `file_size`), after `warmup` untimed ones; offsets from `seed`, so every
  // export sees the same sequence. Stores reads per second.
  Status RandomReads(const std::string& file, uint64_t file_size, uint64_t ops, uint64_t warmup,
                     uint64_t seed, double* ops_per_s);
  // Creates directory `dir`, then `files` empty files in it (nfs_creat +
  // nfs_close each), then nfs_stat64 of each, then lists the directory
  // (nfs_opendir: READDIRPLUS), then removes them all (untimed). Stores
  // the three rates per second (entries per second for the listing).
  Status CreateStatList(const std::string& dir, uint64_t files, double* creates_per_s,
                        double* stats_per_s, double* entries_per_s);

 private:
  NfsMount() = default;
  Status Error(const std::string& what) const;

  nfs_context* nfs_ = nullptr;
  nfs_url* url_ = nullptr;
};

}  // namespace localio::bench

#endif  // LOCALIO_BENCH_NFS_WORKLOAD_H
