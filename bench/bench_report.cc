// SPDX-License-Identifier: LGPL-3.0-or-later
#include "bench_report.h"

#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>

namespace localio::bench {

namespace {

std::string Fixed(double v, int digits) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}

std::string Cell(const ModeResult& m, bool ops) {
  if (!m.ran) return "-";
  return ops ? Fixed(m.ops_per_s, 0) : Fixed(m.mib_per_s, 1);
}

std::string RatioCell(double ratio) {
  if (ratio <= 0) return "-";
  return Fixed(ratio, ratio < 10 ? 2 : 1) + "x";
}

std::string CsvQuote(const std::string& s) {
  std::string q = "\"";
  for (char ch : s) q += ch == '"' ? std::string("\"\"") : std::string(1, ch);
  return q + "\"";
}

}  // namespace

double Ratio(const CaseResult& r, Mode over) {
  const ModeResult& a = r.of(Mode::kLocalio);
  const ModeResult& b = r.of(over);
  if (!a.ran || !b.ran || b.ops_per_s <= 0) return 0;
  return a.ops_per_s / b.ops_per_s;
}

std::string CaseNotes(const CaseResult& r) {
  std::string notes;
  auto add = [&](const std::string& s) { notes += (notes.empty() ? "" : "; ") + s; };
  const uint64_t chunk = RpcChunkLimit(r.c.version, r.c.write);
  if (chunk != 0 && chunk < r.c.block)
    add("rpc: " + BlockName(chunk) + " calls (libnfs 4.0 NFSv4 " +
        (r.c.write ? "WRITE limit)" : "READ limit)"));
  for (Mode m : kModes) {
    const ModeResult& mr = r.of(m);
    if (!mr.error.empty()) add(std::string(ModeName(m)) + " failed: " + mr.error);
    if (!mr.note.empty()) add(std::string(ModeName(m)) + ": " + mr.note);
  }
  const ModeResult& l = r.of(Mode::kLocalio);
  if (l.ran && l.fallbacks > 0)
    add("localio: " + std::to_string(l.fallbacks) + " I/Os fell back to RPC");
  if (l.ran && l.bypassed == 0) add("localio: nothing bypassed");
  return notes;
}

void PrintTable(std::FILE* out, const std::vector<CaseResult>& results) {
  std::fprintf(out, "%-24s | %9s %8s | %9s %8s | %9s %8s | %11s | %13s\n", "case", "rpc ops/s",
               "MiB/s", "localio/s", "MiB/s", "local/s", "MiB/s", "localio/rpc", "localio/local");
  std::fprintf(out, "%s\n", std::string(24 + 3 + 18 + 3 + 18 + 3 + 18 + 3 + 11 + 3 + 13, '-').c_str());
  for (const CaseResult& r : results) {
    std::fprintf(out, "%-24s | %9s %8s | %9s %8s | %9s %8s | %11s | %13s\n",
                 CaseName(r.c).c_str(), Cell(r.of(Mode::kRpc), true).c_str(),
                 Cell(r.of(Mode::kRpc), false).c_str(), Cell(r.of(Mode::kLocalio), true).c_str(),
                 Cell(r.of(Mode::kLocalio), false).c_str(), Cell(r.of(Mode::kLocal), true).c_str(),
                 Cell(r.of(Mode::kLocal), false).c_str(), RatioCell(Ratio(r, Mode::kRpc)).c_str(),
                 RatioCell(Ratio(r, Mode::kLocal)).c_str());
  }
  bool any = false;
  for (const CaseResult& r : results) {
    const std::string notes = CaseNotes(r);
    if (notes.empty()) continue;
    if (!any) std::fprintf(out, "notes:\n");
    any = true;
    std::fprintf(out, "  %s: %s\n", CaseName(r.c).c_str(), notes.c_str());
  }
}

std::string WriteCsv(const std::string& path, const std::vector<CaseResult>& results) {
  std::ofstream out(path, std::ios::trunc);
  if (!out) return "cannot write " + path + ": " + std::strerror(errno);
  out << "case,version,op,pattern,block_bytes,threads,queue_depth";
  for (Mode m : kModes) out << "," << ModeName(m) << "_ops_per_s," << ModeName(m) << "_mib_per_s";
  out << ",localio_bypassed_ops,localio_fallbacks,localio_over_rpc,localio_over_local,notes\n";
  for (const CaseResult& r : results) {
    out << CaseName(r.c) << "," << r.c.version << "," << (r.c.write ? "write" : "read") << ","
        << (r.c.random ? "random" : "sequential") << "," << r.c.block << "," << r.c.threads << ","
        << r.c.queue_depth;
    for (Mode m : kModes) {
      const ModeResult& mr = r.of(m);
      if (mr.ran)
        out << "," << Fixed(mr.ops_per_s, 1) << "," << Fixed(mr.mib_per_s, 3);
      else
        out << ",,";
    }
    const ModeResult& l = r.of(Mode::kLocalio);
    out << "," << l.bypassed << "," << l.fallbacks << ",";
    if (Ratio(r, Mode::kRpc) > 0) out << Fixed(Ratio(r, Mode::kRpc), 3);
    out << ",";
    if (Ratio(r, Mode::kLocal) > 0) out << Fixed(Ratio(r, Mode::kLocal), 3);
    out << "," << CsvQuote(CaseNotes(r)) << "\n";
  }
  out.close();
  if (!out) return "cannot write " + path + ": " + std::strerror(errno);
  return "";
}

std::string DrawPng(const std::string& csv_path, const std::string& png_path, size_t cases) {
  const std::string script_path = png_path + ".gp";
  {
    std::ofstream gp(script_path, std::ios::trunc);
    if (!gp) return "cannot write " + script_path;
    const size_t width = std::max<size_t>(900, 110 + 75 * cases);
    // Columns 8, 10, 12: rpc, localio and local ops/s (see WriteCsv).
    gp << "set terminal pngcairo size " << width << ",600 noenhanced\n"
       << "set output '" << png_path << "'\n"
       << "set datafile separator ','\n"
       << "set title 'localio-bench: operations per second (log scale), one run, same file'\n"
       << "set style data histograms\n"
       << "set style histogram clustered gap 1\n"
       << "set style fill solid 0.85 border -1\n"
       << "set logscale y\n"
       << "set ylabel 'ops/s'\n"
       << "set format y '%.0f'\n"
       << "set grid ytics\n"
       << "set key outside top center horizontal\n"
       << "set xtics rotate by 30 right scale 0 font ',9'\n"
       << "set bmargin 8\n"
       << "plot '" << csv_path << "' every ::1 using 8:xtic(1) title 'rpc' lc rgb '#d95f02', \\\n"
       << "     '' every ::1 using 10 title 'localio' lc rgb '#1b9e77', \\\n"
       << "     '' every ::1 using 12 title 'local' lc rgb '#7570b3'\n";
  }
  const std::string cmd = "gnuplot '" + script_path + "' 2>&1";
  std::string output;
  if (FILE* p = popen(cmd.c_str(), "r")) {
    char buf[512];
    while (std::fgets(buf, sizeof buf, p) != nullptr) output += buf;
    const int rc = pclose(p);
    unlink(script_path.c_str());
    if (rc != 0) return "gnuplot failed (is gnuplot-nox installed?): " + output;
    return "";
  }
  unlink(script_path.c_str());
  return "cannot run gnuplot";
}

}  // namespace localio::bench
