// SPDX-License-Identifier: LGPL-3.0-or-later
#include "stat_cli.h"

#include <sys/stat.h>

#include <cstdlib>
#include <sstream>

#include "localio/defaults.h"
#include "localio/map_reader.h"
#include "localio/trusted_dir.h"
#include "stat_prometheus.h"
#include "stat_render.h"
#include "stat_serve.h"
#include "stat_report.h"

namespace localio::tools {

namespace {

constexpr char kUsage[] =
    "usage: localio-stat [--json | --prometheus | --serve ADDR:PORT] [--entries]\n"
    "                    [--server-uid UID] [MAP]\n"
    "  Shows what a LOCALIO map holds: server, exports, entries, hello slots.\n"
    "  MAP              a map file, or a directory of maps: each is shown (default\n"
    "                   " LOCALIO_DEFAULT_MAP_DIR ")\n"
    "  --json           one JSON object, entries included\n"
    "  --prometheus     Prometheus' text format, once (node_exporter's textfile collector)\n"
    "  --serve ADDR:PORT  the same at http://ADDR:PORT/metrics, read at every scrape,\n"
    "                   until SIGINT or SIGTERM (e.g. 0.0.0.0:9588)\n"
    "  --entries        list every entry in the table output\n"
    "  --server-uid UID the uid the server runs as, whom clients trust to own the\n"
    "                   map (default $LOCALIO_SERVER_UID, else 0); a map they would\n"
    "                   not trust is shown with why, and the exit status is 1\n";

}  // namespace

int RunLocalioStat(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  bool json = false;
  bool prometheus = false;
  std::string serve;
  bool entries = false;
  std::string map_path;
  uint32_t server_uid = LOCALIO_DEFAULT_SERVER_UID;
  const char* env_uid = std::getenv("LOCALIO_SERVER_UID");
  bool uid_given = env_uid != nullptr;
  std::string uid_text = uid_given ? env_uid : "";
  std::string uid_from = "LOCALIO_SERVER_UID";
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--server-uid") {
      if (i + 1 == args.size()) {
        err << "localio-stat: --server-uid needs a uid\n" << kUsage;
        return 2;
      }
      uid_text = args[++i];
      uid_from = "--server-uid";
      uid_given = true;
    } else if (a == "--json") {
      json = true;
    } else if (a == "--prometheus") {
      prometheus = true;
    } else if (a == "--serve") {
      if (i + 1 == args.size()) {
        err << "localio-stat: --serve needs ADDR:PORT\n" << kUsage;
        return 2;
      }
      serve = args[++i];
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
  if (int(json) + int(prometheus) + int(!serve.empty()) > 1) {
    err << "localio-stat: --json, --prometheus and --serve exclude each other\n" << kUsage;
    return 2;
  }
  if (map_path.empty()) map_path = LOCALIO_DEFAULT_MAP_DIR;
  if (uid_given && !ParseId(uid_text.c_str(), &server_uid)) {
    err << "localio-stat: " << uid_from << " \"" << uid_text
        << "\" is not a uid (0..4294967294)\n";
    return 2;
  }

  // A directory of maps: each one (listed again at every --serve scrape).
  struct stat st;
  const bool dir = stat(map_path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
  const auto collect = [&](std::vector<StatReport>* reports, std::ostream& diag) {
    int status = 0;
    std::vector<std::string> maps{map_path};
    if (dir) {
      if (Status listed = ListMapFiles(map_path, &maps); !listed.ok()) {
        diag << "localio-stat: " << listed.message << "\n";
        return 1;
      }
      if (maps.empty()) {
        diag << "localio-stat: " << map_path << ": no map in this directory\n";
        return 1;
      }
    }
    for (const std::string& path : maps) {
      StatReport report;
      if (Status collected = CollectStatReport(path, server_uid, json || entries, &report);
          !collected.ok()) {
        diag << "localio-stat: " << path << ": " << collected.message << "\n";
        status = 1;
        continue;
      }
      if (!report.trust_error.empty()) {
        diag << "localio-stat: " << path << ": " << report.trust_error << "\n";
        status = 1;
      }
      if (!report.hello_error.empty())
        diag << "localio-stat: " << report.hello_path << ": " << report.hello_error << "\n";
      reports->push_back(std::move(report));
    }
    return status;
  };
  if (!serve.empty()) {
    std::string address;
    uint16_t port = 0;
    if (Status parsed = ParseListenAddress(serve, &address, &port); !parsed.ok()) {
      err << "localio-stat: --serve: " << parsed.message << "\n";
      return 2;
    }
    return ServeMetrics(
        address, port,
        [&] {
          std::vector<StatReport> reports;
          std::ostringstream ignored;  // a map that went away is simply not shown
          collect(&reports, ignored);
          return RenderStatPrometheus(reports);
        },
        [&](uint16_t bound) {
          const bool v6 = address.find(':') != std::string::npos;
          out << "localio-stat: serving http://" << (v6 ? "[" + address + "]" : address) << ":"
              << bound << "/metrics\n";
          out.flush();
        },
        err);
  }
  std::vector<StatReport> reports;
  const int status = collect(&reports, err);
  if (prometheus) {
    out << RenderStatPrometheus(reports);
  } else {
    if (dir && json) out << "[";
    for (size_t i = 0; i < reports.size(); ++i) {
      if (dir && json && i > 0) out << ",";
      if (dir && !json) out << (i > 0 ? "\n" : "") << "== " << reports[i].map_path << "\n";
      out << (json ? RenderStatJson(reports[i]) : RenderStatText(reports[i]));
    }
    if (dir && json) out << "]\n";
  }
  out.flush();
  return status;
}

}  // namespace localio::tools
