// SPDX-License-Identifier: LGPL-3.0-or-later
#include "stat_cli.h"

#include "localio/defaults.h"
#include "stat_render.h"
#include "stat_report.h"

namespace localio::tools {

namespace {

constexpr char kUsage[] =
    "usage: localio-stat [--json] [--entries] [MAP]\n"
    "  Shows what a LOCALIO map holds: server, exports, entries, hello slots.\n"
    "  MAP       the map file (default " LOCALIO_DEFAULT_MAP_PATH ")\n"
    "  --json    one JSON object, entries included\n"
    "  --entries list every entry in the table output\n";

}  // namespace

int RunLocalioStat(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  bool json = false;
  bool entries = false;
  std::string map_path;
  for (const std::string& a : args) {
    if (a == "--json") {
      json = true;
    } else if (a == "--entries") {
      entries = true;
    } else if (a == "-h" || a == "--help") {
      out << kUsage;
      return 0;
    } else if (!a.empty() && a[0] == '-') {
      err << "localio-stat: unknown option " << a << "\n" << kUsage;
      return 2;
    } else if (map_path.empty() && !a.empty()) {
      map_path = a;
    } else {
      err << "localio-stat: one map path expected\n" << kUsage;
      return 2;
    }
  }
  if (map_path.empty()) map_path = LOCALIO_DEFAULT_MAP_PATH;

  StatReport report;
  if (Status st = CollectStatReport(map_path, json || entries, &report); !st.ok()) {
    err << "localio-stat: " << map_path << ": " << st.message << "\n";
    return 1;
  }
  if (!report.hello_error.empty()) {
    err << "localio-stat: " << report.hello_path << ": " << report.hello_error << "\n";
  }
  out << (json ? RenderStatJson(report) : RenderStatText(report));
  out.flush();
  return 0;
}

}  // namespace localio::tools
