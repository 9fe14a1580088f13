// SPDX-License-Identifier: LGPL-3.0-or-later
#include "nfs_workload.h"

#include <fcntl.h>

#include <cerrno>
#include <chrono>
#include <random>
#include <vector>

namespace localio::bench {

namespace {

using Steady = std::chrono::steady_clock;

double PerSecond(uint64_t ops, Steady::time_point start) {
  return static_cast<double>(ops) /
         std::chrono::duration<double>(Steady::now() - start).count();
}

constexpr uint64_t kBlock = 4096;

}  // namespace

Status RandomReads(const harness::NfsSession& nfs, const std::string& file, uint64_t file_size,
                   uint64_t ops, uint64_t warmup, uint64_t seed, double* ops_per_s) {
  nfs_context* ctx = nfs.context();
  nfsfh* fh = nullptr;
  if (nfs_open(ctx, ("/" + file).c_str(), O_RDONLY, &fh) != 0) return nfs.Fail("open " + file);
  std::mt19937_64 rng(seed);
  const uint64_t blocks = file_size / kBlock;
  std::vector<char> buf(kBlock);
  Status st;
  Steady::time_point start = Steady::now();
  for (uint64_t i = 0; i < warmup + ops && st.ok(); ++i) {
    if (i == warmup) start = Steady::now();
    const uint64_t offset = (rng() % blocks) * kBlock;
    const int n = nfs_pread(ctx, fh, offset, kBlock, buf.data());
    if (n != static_cast<int>(kBlock))
      st = nfs.Fail("pread of " + file + " at " + std::to_string(offset) + " returned " +
                 std::to_string(n));
  }
  if (st.ok()) *ops_per_s = PerSecond(ops, start);
  nfs_close(ctx, fh);
  return st;
}

Status CreateStatList(const harness::NfsSession& nfs, const std::string& dir, uint64_t files,
                      double* creates_per_s, double* stats_per_s, double* entries_per_s) {
  nfs_context* ctx = nfs.context();
  const std::string root = "/" + dir;
  if (nfs_mkdir(ctx, root.c_str()) != 0) return nfs.Fail("mkdir " + dir);
  auto name = [&](uint64_t i) { return root + "/f" + std::to_string(i); };
  Steady::time_point start = Steady::now();
  for (uint64_t i = 0; i < files; ++i) {
    nfsfh* fh = nullptr;
    if (nfs_creat(ctx, name(i).c_str(), 0644, &fh) != 0) return nfs.Fail("creat " + name(i));
    if (nfs_close(ctx, fh) != 0) return nfs.Fail("close " + name(i));
  }
  *creates_per_s = PerSecond(files, start);
  start = Steady::now();
  for (uint64_t i = 0; i < files; ++i) {
    nfs_stat_64 st;
    if (nfs_stat64(ctx, name(i).c_str(), &st) != 0) return nfs.Fail("stat " + name(i));
  }
  *stats_per_s = PerSecond(files, start);
  start = Steady::now();
  nfsdir* d = nullptr;
  if (nfs_opendir(ctx, root.c_str(), &d) != 0) return nfs.Fail("opendir " + dir);
  uint64_t entries = 0;
  while (nfs_readdir(ctx, d) != nullptr) ++entries;
  nfs_closedir(ctx, d);
  *entries_per_s = PerSecond(entries, start);
  if (entries < files) return nfs.Fail("listing " + dir + " gave " + std::to_string(entries) + " entries");
  // Untimed: the files go, so rounds do not pile up open files on the
  // server (Ganesha 6.5 keeps an fd per created file and fails creates at
  // its fd limit, about 20,000).
  for (uint64_t i = 0; i < files; ++i)
    if (nfs_unlink(ctx, name(i).c_str()) != 0) return nfs.Fail("unlink " + name(i));
  if (nfs_rmdir(ctx, root.c_str()) != 0) return nfs.Fail("rmdir " + dir);
  return Status::Ok();
}

}  // namespace localio::bench
