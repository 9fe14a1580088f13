// SPDX-License-Identifier: LGPL-3.0-or-later
// localio-bench: in one run and on one file, the same cases through plain
// libnfs (rpc), through the LOCALIO client (localio) and as pread/pwrite on
// the backing file (local). See usage below and docs/PERFORMANCE.md.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "bench_case.h"
#include "bench_report.h"
#include "bench_run.h"
#include "harness/ganesha_server.h"

namespace localio::bench {
namespace {

constexpr char kUsage[] =
    "usage: localio-bench [options]\n"
    "Measures each case in three modes on the same file, in one run:\n"
    "  rpc      plain libnfs 4.0 (every READ/WRITE through ganesha.nfsd)\n"
    "  localio  the LOCALIO client (C API; async cases: libnfs async under the\n"
    "           LD_PRELOAD shim, in a re-executed child of this program)\n"
    "  local    pread/pwrite on the backing file in the export directory\n"
    "Cases (default: the issue's targets, NFSv3 and NFSv4):\n"
    "  --case NAME       v<3|4>-<seq|rand><read|write>-<4k..1m>-t<N>-<sync|qd<N>>,\n"
    "                    repeatable, e.g. v3-randread-4k-t1-sync, v4-seqread-1m-t2-qd8\n"
    "  --versions L --ops L --bs L --threads L --qd L\n"
    "                    the cross product of comma lists (defaults 3,4 / randread /\n"
    "                    4k / 1 / 0); ops: seqread,randread,seqwrite,randwrite;\n"
    "                    qd 0 = sync API, N > 0 = async API with N ops in flight\n"
    "  --modes L         subset of rpc,localio,local (default all)\n"
    "Run:\n"
    "  --duration S      seconds per case and mode (default 1)\n"
    "  --rounds N        run each case N times, its modes in alternating order,\n"
    "                    and report each mode's median round (default 1)\n"
    "  --size MIB        bench file size (default 256; page cache warmed first)\n"
    "  --csv FILE        write the results as CSV\n"
    "  --png FILE        draw a chart with gnuplot\n"
    "  --quiet           no progress line on stderr (also off when stderr is\n"
    "                    not a terminal, so logs stay clean)\n"
    "Server (default: start ganesha.nfsd with one LOCALIO-over-VFS export\n"
    "through the test harness, on 127.0.0.1):\n"
    "  --url URL         an export root URL (v3, or v4 with ?version=4); repeat\n"
    "                    for both versions; then --map is required\n"
    "  --map PATH        the server's LOCALIO map\n"
    "  --export-dir DIR  the export's directory on this host: the bench creates\n"
    "                    the file there and runs the local mode (else the file\n"
    "                    must exist with --size MiB and local is skipped)\n"
    "  --path-map MAP    server_root=client_root for the client\n"
    "  --file NAME       bench file in the export (default localio-bench.dat)\n"
    "  --preload PATH    liblocalio_preload.so for the async localio mode\n"
    "Exit status: 0 ok; 1 server, file or output error; 2 bad options; 3 some\n"
    "case failed in some mode (the table's notes say why).\n";

struct Options {
  std::vector<Case> cases;
  CaseMatrix matrix;
  bool matrix_given = false;
  std::vector<Mode> modes{Mode::kRpc, Mode::kLocalio, Mode::kLocal};
  double seconds = 1.0;
  int rounds = 1;
  uint64_t size_bytes = 256ull << 20;
  std::string csv, png;
  bool quiet = false;
  std::vector<std::string> urls;
  std::string map_path, export_dir, path_map, file = "localio-bench.dat";
  std::string preload = LOCALIO_PRELOAD_LIBRARY;
  std::string child_case;  // internal: run one async case under the shim
};

// The options whose value is kept as given.
using TextOption = std::pair<std::string_view, std::string Options::*>;
constexpr TextOption kTextOptions[] = {
    {"--csv", &Options::csv},
    {"--png", &Options::png},
    {"--map", &Options::map_path},
    {"--export-dir", &Options::export_dir},
    {"--path-map", &Options::path_map},
    {"--file", &Options::file},
    {"--preload", &Options::preload},
    {"--child-case", &Options::child_case},
};

// The round with the median rate; a round that failed wins (its error is
// the result).
ModeResult MedianRound(std::vector<ModeResult> rounds) {
  for (const ModeResult& r : rounds)
    if (!r.ran) return r;
  std::sort(rounds.begin(), rounds.end(),
            [](const ModeResult& a, const ModeResult& b) { return a.ops_per_s < b.ops_per_s; });
  return rounds[rounds.size() / 2];
}

std::vector<std::string> Split(const std::string& text) {
  std::vector<std::string> parts;
  std::stringstream in(text);
  for (std::string part; std::getline(in, part, ',');)
    if (!part.empty()) parts.push_back(part);
  return parts;
}

bool ToInts(const std::string& text, std::vector<int>* out) {
  out->clear();
  for (const std::string& p : Split(text)) {
    char* end = nullptr;
    const long v = std::strtol(p.c_str(), &end, 10);
    if (*end != '\0' || v < 0 || v > 256) return false;
    out->push_back(static_cast<int>(v));
  }
  return !out->empty();
}

// "" or a sentence naming the bad option.
std::string ParseOptions(int argc, char** argv, Options* o) {
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--help" || a == "-h") {
      std::fputs(kUsage, stdout);
      std::exit(0);
    }
    if (a == "--quiet") {
      o->quiet = true;
      continue;
    }
    if (i + 1 >= argc) return "option " + a + " needs a value (or is unknown; see --help)";
    const std::string v = argv[++i];
    std::string error;
    if (a == "--case") {
      Case c;
      if (!ParseCase(v, &c, &error)) return error;
      o->cases.push_back(c);
    } else if (a == "--versions") {
      if (!ToInts(v, &o->matrix.versions)) return "--versions: expected e.g. 3,4";
      o->matrix_given = true;
    } else if (a == "--ops") {
      o->matrix.ops = Split(v);
      o->matrix_given = true;
    } else if (a == "--bs") {
      o->matrix.blocks.clear();
      for (const std::string& p : Split(v)) {
        uint64_t b = 0;
        if (!ParseBlock(p, &b)) return "--bs: '" + p + "' is not 4k..1m";
        o->matrix.blocks.push_back(b);
      }
      o->matrix_given = true;
    } else if (a == "--threads") {
      if (!ToInts(v, &o->matrix.threads)) return "--threads: expected e.g. 1,2";
      o->matrix_given = true;
    } else if (a == "--qd") {
      if (!ToInts(v, &o->matrix.queue_depths)) return "--qd: expected e.g. 0,8";
      o->matrix_given = true;
    } else if (a == "--modes") {
      o->modes.clear();
      for (const std::string& p : Split(v)) {
        Mode m;
        if (!ParseMode(p, &m)) return "--modes: '" + p + "' is not rpc, localio or local";
        o->modes.push_back(m);
      }
    } else if (a == "--rounds") {
      o->rounds = std::atoi(v.c_str());
      if (o->rounds < 1 || o->rounds > 99) return "--rounds: expected 1..99";
    } else if (a == "--duration") {
      o->seconds = std::atof(v.c_str());
      if (!(o->seconds > 0 && o->seconds <= 3600)) return "--duration: expected seconds > 0";
    } else if (a == "--size") {
      const long mib = std::atol(v.c_str());
      if (mib < 1 || mib > 65536) return "--size: expected MiB in 1..65536";
      o->size_bytes = static_cast<uint64_t>(mib) << 20;
    } else if (a == "--size-bytes") {
      o->size_bytes = std::strtoull(v.c_str(), nullptr, 10);
    } else if (a == "--url") {
      o->urls.push_back(v);
    } else if (const auto text = std::ranges::find(kTextOptions, a, &TextOption::first);
               text != std::end(kTextOptions)) {
      o->*text->second = v;
    } else {
      return "unknown option " + a + " (see --help)";
    }
  }
  if (o->matrix_given) {
    std::string error;
    if (!ExpandMatrix(o->matrix, &o->cases, &error)) return error;
  }
  if (o->cases.empty()) o->cases = DefaultCases();
  if (!o->urls.empty() && o->map_path.empty()) return "--url needs --map (the server's map)";
  if (o->file.empty() || o->file.find('/') != std::string::npos)
    return "--file: a plain name in the export root";
  return "";
}

bool IsV4Url(const std::string& url) { return url.find("version=4") != std::string::npos; }

// Creates (or reuses) the bench file of `size` bytes and reads it once, so
// every mode starts from a warm page cache.
std::string PrepareFile(const std::string& path, uint64_t size) {
  const int fd = open(path.c_str(), O_RDWR | O_CREAT, 0644);
  if (fd < 0) return "create " + path + ": " + std::strerror(errno);
  struct stat st{};
  fstat(fd, &st);
  std::vector<uint8_t> buf(1 << 20);
  uint64_t x = 0x243f6a8885a308d3ULL;
  for (size_t i = 0; i < buf.size(); i += 8) {
    x = x * 6364136223846793005ULL + 1442695040888963407ULL;
    std::memcpy(&buf[i], &x, 8);
  }
  if (static_cast<uint64_t>(st.st_size) != size) {
    for (uint64_t off = 0; off < size; off += buf.size()) {
      const size_t n = static_cast<size_t>(std::min<uint64_t>(buf.size(), size - off));
      if (pwrite(fd, buf.data(), n, static_cast<off_t>(off)) != static_cast<ssize_t>(n)) {
        const std::string why = std::strerror(errno);
        close(fd);
        return "write " + path + ": " + why;
      }
    }
    if (ftruncate(fd, static_cast<off_t>(size)) != 0) {
      close(fd);
      return "truncate " + path + ": " + std::strerror(errno);
    }
  }
  for (uint64_t off = 0; off < size; off += buf.size())
    if (pread(fd, buf.data(), buf.size(), static_cast<off_t>(off)) < 0) break;
  close(fd);
  return "";
}

std::string SelfExe() {
  char buf[PATH_MAX];
  const ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0) return "";
  return std::string(buf, static_cast<size_t>(n));
}

std::string LoadAverage() {
  double l[3] = {0, 0, 0};
  if (getloadavg(l, 3) != 3) return "?";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.2f %.2f %.2f", l[0], l[1], l[2]);
  return buf;
}

int Main(int argc, char** argv) {
  Options o;
  if (std::string e = ParseOptions(argc, argv, &o); !e.empty()) {
    std::fprintf(stderr, "localio-bench: %s\n", e.c_str());
    return 2;
  }
  if (!isatty(STDERR_FILENO)) o.quiet = true;
  Target target;
  target.file = o.file;
  target.file_size = o.size_bytes;
  target.map_path = o.map_path;
  target.path_map = o.path_map;
  for (const std::string& url : o.urls) (IsV4Url(url) ? target.url_v4 : target.url_v3) = url;

  if (!o.child_case.empty()) {
    Case c;
    std::string error;
    if (!ParseCase(o.child_case, &c, &error)) {
      std::fprintf(stderr, "localio-bench: %s\n", error.c_str());
      return 2;
    }
    return RunChild(target, c, o.seconds);
  }

  std::unique_ptr<harness::GaneshaServer> server;
  if (o.urls.empty()) {
    harness::ServerOptions so;
    harness::ExportOptions e;
    e.id = 1;
    e.fsal = harness::Fsal::kLocalio;
    so.exports.push_back(e);
    server = std::make_unique<harness::GaneshaServer>(so);
    if (!o.quiet) std::fprintf(stderr, "localio-bench: starting ganesha.nfsd...");
    if (Status st = server->Start(); !st.ok()) {
      std::fprintf(stderr, "\nlocalio-bench: cannot start the server: %s\n", st.message.c_str());
      return 1;
    }
    if (!o.quiet) std::fprintf(stderr, "\r\033[K");
    target.url_v3 = server->Url(1, 3, "");
    target.url_v4 = server->Url(1, 4, "");
    target.map_path = server->map_path();
    o.export_dir = server->ExportDir(1);
  }
  if (!o.export_dir.empty()) {
    target.local_path = o.export_dir + "/" + o.file;
    if (!o.quiet) std::fprintf(stderr, "localio-bench: preparing %s...", target.local_path.c_str());
    if (std::string e = PrepareFile(target.local_path, o.size_bytes); !e.empty()) {
      std::fprintf(stderr, "\nlocalio-bench: %s\n", e.c_str());
      return 1;
    }
    if (!o.quiet) std::fprintf(stderr, "\r\033[K");
  }

  RunSettings settings;
  settings.seconds = o.seconds;
  settings.self_exe = SelfExe();
  settings.preload_library = o.preload;

  std::printf("localio-bench: %zu cases x %zu modes, %.1f s each, file %s (%llu MiB)\n",
              o.cases.size(), o.modes.size(), o.seconds, o.file.c_str(),
              static_cast<unsigned long long>(o.size_bytes >> 20));
  std::printf("host: %ld CPUs, load average %s; server %s\n", sysconf(_SC_NPROCESSORS_ONLN),
              LoadAverage().c_str(), server ? "started by the bench (harness)" : "given");
  std::fflush(stdout);

  std::vector<CaseResult> results;
  const size_t steps = o.cases.size() * o.modes.size() * static_cast<size_t>(o.rounds);
  size_t step = 0;
  for (const Case& c : o.cases) {
    CaseResult r;
    r.c = c;
    for (Mode m : kModes) r.modes[static_cast<int>(m)].error = "not requested";
    // Rounds alternate the order of the modes, so that neither always runs
    // right after the other (writeback of the last one's dirty pages).
    std::array<std::vector<ModeResult>, std::size(kModes)> rounds;
    for (int round = 0; round < o.rounds; ++round) {
      std::vector<Mode> order = o.modes;
      if (round % 2 == 1) std::reverse(order.begin(), order.end());
      for (Mode m : order) {
        ++step;
        if (!o.quiet) {
          std::fprintf(stderr, "\r\033[K[%zu/%zu] %s %s (%.1f s)", step, steps,
                       CaseName(c).c_str(), ModeName(m), o.seconds);
          std::fflush(stderr);
        }
        rounds[static_cast<int>(m)].push_back(RunMode(target, c, m, settings));
      }
    }
    for (Mode m : o.modes) r.modes[static_cast<int>(m)] = MedianRound(rounds[static_cast<int>(m)]);
    for (ModeResult& mr : r.modes)
      if (mr.error == "not requested") mr.error.clear();
    results.push_back(std::move(r));
  }
  if (!o.quiet) std::fprintf(stderr, "\r\033[K");

  PrintTable(stdout, results);
  int rc = 0;
  if (!o.csv.empty()) {
    if (std::string e = WriteCsv(o.csv, results); !e.empty()) {
      std::fprintf(stderr, "localio-bench: %s\n", e.c_str());
      rc = 1;
    } else if (!o.png.empty()) {
      if (std::string e2 = DrawPng(o.csv, o.png, results.size()); !e2.empty()) {
        std::fprintf(stderr, "localio-bench: %s\n", e2.c_str());
        rc = 1;
      }
    }
  } else if (!o.png.empty()) {
    // gnuplot reads the CSV: write one beside the PNG for it.
    const std::string csv = o.png + ".csv";
    std::string e = WriteCsv(csv, results);
    if (e.empty()) e = DrawPng(csv, o.png, results.size());
    unlink(csv.c_str());
    if (!e.empty()) {
      std::fprintf(stderr, "localio-bench: %s\n", e.c_str());
      rc = 1;
    }
  }
  if (!target.local_path.empty() && server) unlink(target.local_path.c_str());
  // Exit 3 when a requested mode failed (local without a known backing
  // file is skipped, not failed).
  for (const CaseResult& r : results)
    for (Mode m : o.modes)
      if (!r.of(m).ran && !(m == Mode::kLocal && target.local_path.empty()))
        rc = rc == 0 ? 3 : rc;
  return rc;
}

}  // namespace
}  // namespace localio::bench

int main(int argc, char** argv) { return localio::bench::Main(argc, argv); }
