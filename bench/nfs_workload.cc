#include "nfs_workload.h"

#include <fcntl.h>

#include <cerrno>
#include <chrono>
#include <random>
#include <vector>

namespace localio::bench {

namespace {

using Clock = std::chrono::steady_clock;

double PerSecond(uint64_t ops, Clock::time_point start) {
  return static_cast<double>(ops) /
         std::chrono::duration<double>(Clock::now() - start).count();
}

constexpr uint64_t kBlock = 4096;
constexpr int kTimeoutMs = 30000;  // a dead server fails the run, never hangs it

}  // namespace

Status NfsMount::Open(const std::string& url, std::unique_ptr<NfsMount>* out) {
  std::unique_ptr<NfsMount> m(new NfsMount());
  m->nfs_ = nfs_init_context();
  if (m->nfs_ == nullptr) return Status::Error(-ENOMEM, "nfs_init_context failed");
  nfs_set_timeout(m->nfs_, kTimeoutMs);
  m->url_ = nfs_parse_url_dir(m->nfs_, url.c_str());
  if (m->url_ == nullptr) return m->Error("bad URL " + url);
  if (nfs_mount(m->nfs_, m->url_->server, m->url_->path) != 0) return m->Error("mount " + url);
  *out = std::move(m);
  return Status::Ok();
}

NfsMount::~NfsMount() {
  if (url_ != nullptr) nfs_destroy_url(url_);
  if (nfs_ != nullptr) nfs_destroy_context(nfs_);
}

Status NfsMount::Error(const std::string& what) const {
  const char* why = nfs_ != nullptr ? nfs_get_error(nfs_) : nullptr;
  return Status::Error(-EIO, what + ": " + (why != nullptr ? why : "no libnfs error"));
}

Status NfsMount::RandomReads(const std::string& file, uint64_t file_size, uint64_t ops,
                             uint64_t warmup, uint64_t seed, double* ops_per_s) {
  nfsfh* fh = nullptr;
  if (nfs_open(nfs_, ("/" + file).c_str(), O_RDONLY, &fh) != 0) return Error("open " + file);
  std::mt19937_64 rng(seed);
  const uint64_t blocks = file_size / kBlock;
  std::vector<char> buf(kBlock);
  Status st;
  Clock::time_point start = Clock::now();
  for (uint64_t i = 0; i < warmup + ops && st.ok(); ++i) {
    if (i == warmup) start = Clock::now();
    const uint64_t offset = (rng() % blocks) * kBlock;
    const int n = nfs_pread(nfs_, fh, offset, kBlock, buf.data());
    if (n != static_cast<int>(kBlock))
      st = Error("pread of " + file + " at " + std::to_string(offset) + " returned " +
                 std::to_string(n));
  }
  if (st.ok()) *ops_per_s = PerSecond(ops, start);
  nfs_close(nfs_, fh);
  return st;
}

Status NfsMount::CreateStatList(const std::string& dir, uint64_t files, double* creates_per_s,
                                double* stats_per_s, double* entries_per_s) {
  const std::string root = "/" + dir;
  if (nfs_mkdir(nfs_, root.c_str()) != 0) return Error("mkdir " + dir);
  auto name = [&](uint64_t i) { return root + "/f" + std::to_string(i); };
  Clock::time_point start = Clock::now();
  for (uint64_t i = 0; i < files; ++i) {
    nfsfh* fh = nullptr;
    if (nfs_creat(nfs_, name(i).c_str(), 0644, &fh) != 0) return Error("creat " + name(i));
    if (nfs_close(nfs_, fh) != 0) return Error("close " + name(i));
  }
  *creates_per_s = PerSecond(files, start);
  start = Clock::now();
  for (uint64_t i = 0; i < files; ++i) {
    nfs_stat_64 st;
    if (nfs_stat64(nfs_, name(i).c_str(), &st) != 0) return Error("stat " + name(i));
  }
  *stats_per_s = PerSecond(files, start);
  start = Clock::now();
  nfsdir* d = nullptr;
  if (nfs_opendir(nfs_, root.c_str(), &d) != 0) return Error("opendir " + dir);
  uint64_t entries = 0;
  while (nfs_readdir(nfs_, d) != nullptr) ++entries;
  nfs_closedir(nfs_, d);
  *entries_per_s = PerSecond(entries, start);
  if (entries < files) return Error("listing " + dir + " gave " + std::to_string(entries) + " entries");
  // Untimed: the files go, so rounds do not pile up open files on the
  // server (Ganesha 6.5 keeps an fd per created file and fails creates at
  // its fd limit, about 20,000).
  for (uint64_t i = 0; i < files; ++i)
    if (nfs_unlink(nfs_, name(i).c_str()) != 0) return Error("unlink " + name(i));
  if (nfs_rmdir(nfs_, root.c_str()) != 0) return Error("rmdir " + dir);
  return Status::Ok();
}

}  // namespace localio::bench
