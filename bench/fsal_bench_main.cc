// SPDX-License-Identifier: LGPL-3.0-or-later
// localio-fsal-bench: what stacking FSAL_LOCALIO on VFS costs RPC clients.
// Starts one real ganesha.nfsd (through the test harness) with two exports of
// the same kind of directory — export 1 LOCALIO over VFS, export 2 plain VFS —
// and times, with libnfs's sync API and one context:
//   (a) 4 KiB random reads of a 64 MiB file in the page cache, NFSv3 and v4;
//   (b) create (nfs_creat + nfs_close), stat, then a listing (READDIRPLUS) of N
//       files in a new dir, v3;
//   (c) the map's publish and lookup cost, by running map_bench.
// The exports alternate inside each round (which one goes first flips every
// round) so drift on a shared machine hits both alike; the tax is the median
// of the per-round paired differences. A program that prints figures.
// Both exports keep Ganesha's default attribute caching (bypassing clients
// keep other clients coherent with LOCALIO WROTE, docs/DESIGN.md).
//   localio-fsal-bench [--rounds R] [--read-ops N] [--files F] [--meta-rounds M]
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "harness/fsal_paths.h"
#include "harness/ganesha_server.h"
#include "nfs_workload.h"

using namespace localio;
using localio::Status;

namespace {

constexpr uint16_t kLocalioExport = 1;
constexpr uint16_t kVfsExport = 2;
constexpr uint64_t kFileSize = 64ull << 20;
const char kDataFile[] = "data.bin";

struct Options {
  int rounds = 7;          // read rounds (each: v3 and v4, both exports)
  uint64_t read_ops = 3000;
  int meta_rounds = 3;
  uint64_t files = 10000;
};

bool ParseOptions(int argc, char** argv, Options* o) {
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    const long long v = std::atoll(argv[i + 1]);
    if (v <= 0) return false;
    if (flag == "--rounds") o->rounds = static_cast<int>(v);
    else if (flag == "--read-ops") o->read_ops = static_cast<uint64_t>(v);
    else if (flag == "--files") o->files = static_cast<uint64_t>(v);
    else if (flag == "--meta-rounds") o->meta_rounds = static_cast<int>(v);
    else return false;
  }
  return argc % 2 == 1;
}

// The same 64 MiB of random bytes in `path`, read back once so the page
// cache holds it for both exports.
Status WriteDataFile(const std::string& path) {
  const int fd = open(path.c_str(), O_CREAT | O_TRUNC | O_RDWR, 0644);
  if (fd < 0) {
    const int err = errno;
    return Status::Error(-err, "cannot create " + path + ": " + std::strerror(err));
  }
  std::mt19937_64 rng(42);
  std::vector<uint64_t> chunk((1 << 20) / 8);
  Status st;
  for (uint64_t off = 0; off < kFileSize && st.ok(); off += chunk.size() * 8) {
    for (auto& w : chunk) w = rng();
    if (pwrite(fd, chunk.data(), chunk.size() * 8, static_cast<off_t>(off)) !=
        static_cast<ssize_t>(chunk.size() * 8))
      st = Status::Error(-EIO, "cannot write " + path + ": " + std::strerror(errno));
  }
  for (uint64_t off = 0; off < kFileSize && st.ok(); off += chunk.size() * 8)
    if (pread(fd, chunk.data(), chunk.size() * 8, static_cast<off_t>(off)) <= 0)
      st = Status::Error(-EIO, "cannot read back " + path);
  close(fd);
  return st;
}

struct Spread {
  double median = 0, min = 0, max = 0;
};

Spread SpreadOf(std::vector<double> v) {
  if (v.empty()) return {};
  std::sort(v.begin(), v.end());
  return {v[v.size() / 2], v.front(), v.back()};
}

// Samples of one throughput metric, paired by round.
struct Metric {
  std::string name;
  std::string target;  // e.g. "<= 3%"
  std::vector<double> vfs, localio;
};

void PrintRow(const Metric& m) {
  std::vector<double> tax;  // % throughput LOCALIO loses against VFS, per round
  for (size_t i = 0; i < std::min(m.vfs.size(), m.localio.size()); ++i)
    tax.push_back((m.vfs[i] - m.localio[i]) / m.vfs[i] * 100.0);
  const Spread v = SpreadOf(m.vfs), l = SpreadOf(m.localio), t = SpreadOf(tax);
  std::printf("%-30s %8.0f [%6.0f..%6.0f]  %8.0f [%6.0f..%6.0f]  %6.1f [%5.1f..%5.1f]  %s\n",
              m.name.c_str(), v.median, v.min, v.max, l.median, l.min, l.max, t.median, t.min,
              t.max, m.target.c_str());
}

int Fail(const harness::GaneshaServer* server, const Status& st) {
  std::fprintf(stderr, "localio-fsal-bench: %s\n", st.message.c_str());
  if (server != nullptr) std::fprintf(stderr, "%s\n", server->LogTail(30).c_str());
  return 1;
}

// Runs map_bench and returns its figure lines (those starting "  publish"
// or "  lookup" or "  reference").
Status MapBenchLines(std::vector<std::string>* lines) {
  harness::CommandResult r;
  Status st = harness::RunCommand({LOCALIO_MAP_BENCH, "1048576", "3"}, std::chrono::minutes(3),
                                  &r);
  if (!st.ok()) return st;
  if (!r.Succeeded()) return Status::Error(-EIO, "map_bench failed: " + r.Describe());
  size_t pos = 0;
  while (pos < r.out.size()) {
    const size_t end = r.out.find('\n', pos);
    const std::string line = r.out.substr(pos, end - pos);
    if (line.rfind("  publish", 0) == 0 || line.rfind("  lookup", 0) == 0 ||
        line.rfind("  reference", 0) == 0)
      lines->push_back(line);
    if (end == std::string::npos) break;
    pos = end + 1;
  }
  return Status::Ok();
}

}  // namespace

int main(int argc, char** argv) {
  Options opt;
  if (!ParseOptions(argc, argv, &opt)) {
    std::fprintf(stderr,
                 "usage: localio-fsal-bench [--rounds R] [--read-ops N] [--files F] "
                 "[--meta-rounds M]\n");
    return 2;
  }
  if (!harness::LocalioFsalBuilt())
    return Fail(nullptr,
                Status::Error(-ENOENT, "this build has no LOCALIO FSAL (libfsallocalio.so)"));

  harness::ServerOptions so;
  harness::ExportOptions localio_export, vfs_export;
  localio_export.id = kLocalioExport;
  localio_export.fsal = harness::Fsal::kLocalio;
  vfs_export.id = kVfsExport;
  vfs_export.fsal = harness::Fsal::kVfs;
  so.exports = {localio_export, vfs_export};
  harness::GaneshaServer server(so);
  Status st = server.Start();
  if (!st.ok()) return Fail(&server, st);
  for (uint16_t id : {kLocalioExport, kVfsExport})
    if (!(st = WriteDataFile(server.ExportDir(id) + "/" + kDataFile)).ok())
      return Fail(&server, st);
  std::printf("localio-fsal-bench: ganesha.nfsd pid %d on 127.0.0.1:%u; export %u LOCALIO over "
              "VFS, export %u VFS (both with Ganesha's default attribute caching)\n",
              static_cast<int>(server.pid()), server.nfs_port(), kLocalioExport, kVfsExport);
  std::fflush(stdout);

  // (a) random reads, v3 and v4.
  std::map<int, Metric> reads;
  for (int version : {3, 4}) {
    reads[version].name = "4KiB random read v" + std::to_string(version) + " (ops/s)";
    reads[version].target = "tax <= 3%";
  }
  for (int round = 0; round < opt.rounds; ++round) {
    for (int version : {3, 4}) {
      const bool localio_first = round % 2 == 0;
      for (uint16_t id : localio_first ? std::vector<uint16_t>{kLocalioExport, kVfsExport}
                                       : std::vector<uint16_t>{kVfsExport, kLocalioExport}) {
        std::unique_ptr<harness::NfsSession> m;
        st = harness::NfsSession::Mount(server.Url(id, version, ""), &m, bench::kMountTimeoutMs);
        if (!st.ok()) return Fail(&server, st);
        double rate = 0;
        st = bench::RandomReads(*m, kDataFile, kFileSize, opt.read_ops, opt.read_ops / 10,
                            1000 + static_cast<uint64_t>(round), &rate);
        if (!st.ok()) return Fail(&server, st);
        (id == kLocalioExport ? reads[version].localio : reads[version].vfs).push_back(rate);
      }
    }
  }

  // (b) create, stat, list, v3.
  Metric creates{"create+close v3 (ops/s)", "tax <= 3%", {}, {}};
  Metric stats{"stat (lookup) v3 (ops/s)", "tax <= 3%", {}, {}};
  Metric lists{"readdir v3 (entries/s)", "tax <= 3%", {}, {}};
  for (int round = 0; round < opt.meta_rounds; ++round) {
    const bool localio_first = round % 2 == 1;
    for (uint16_t id : localio_first ? std::vector<uint16_t>{kLocalioExport, kVfsExport}
                                     : std::vector<uint16_t>{kVfsExport, kLocalioExport}) {
      std::unique_ptr<harness::NfsSession> m;
      st = harness::NfsSession::Mount(server.Url(id, 3, ""), &m, bench::kMountTimeoutMs);
      if (!st.ok()) return Fail(&server, st);
      double c = 0, s = 0, l = 0;
      st = bench::CreateStatList(*m, "meta-" + std::to_string(round), opt.files, &c, &s, &l);
      if (!st.ok()) return Fail(&server, st);
      (id == kLocalioExport ? creates.localio : creates.vfs).push_back(c);
      (id == kLocalioExport ? stats.localio : stats.vfs).push_back(s);
      (id == kLocalioExport ? lists.localio : lists.vfs).push_back(l);
    }
  }
  server.Stop();

  // (c) the map itself.
  std::vector<std::string> map_lines;
  if (!(st = MapBenchLines(&map_lines)).ok()) return Fail(nullptr, st);

  std::printf("\n%d read rounds x %llu reads (+10%% warm-up), %d metadata rounds x %llu files; "
              "median [min..max] over rounds; tax = (VFS - LOCALIO) / VFS, per round\n\n",
              opt.rounds, static_cast<unsigned long long>(opt.read_ops), opt.meta_rounds,
              static_cast<unsigned long long>(opt.files));
  std::printf("%-30s %-24s  %-24s  %-20s  %s\n", "metric", "VFS", "LOCALIO", "tax %", "target");
  PrintRow(reads[3]);
  PrintRow(reads[4]);
  PrintRow(creates);
  PrintRow(stats);
  PrintRow(lists);
  std::printf("\nmap (map_bench, 1M-entry map, LOCALIO only; median [min..max] of 3 passes):\n");
  for (const auto& line : map_lines) std::printf("%s\n", line.c_str());
  return 0;
}
