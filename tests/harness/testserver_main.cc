// SPDX-License-Identifier: LGPL-3.0-or-later
// localio-testserver: starts ganesha.nfsd through the test harness with the
// exports given on the command line, prints one parseable line per export and
// one for the server, then runs until SIGTERM/SIGINT and stops it cleanly.
// Used by ci/demo.sh and for poking at a server by hand.
#include <signal.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "harness/files.h"
#include "harness/ganesha_server.h"

namespace {

using localio::harness::Access;
using localio::harness::ExportOptions;
using localio::harness::Fsal;
using localio::harness::FsalName;
using localio::harness::GaneshaServer;
using localio::harness::ReadFile;
using localio::harness::ServerOptions;

constexpr char kUsage[] =
    "usage: localio-testserver [export options]... [--extra-config FILE] [--log-level L]\n"
    "  --export-dir DIR    start a new export of DIR (created if missing)\n"
    "  --export            start a new export of a fresh temp directory\n"
    "  options for the export started last:\n"
    "  --fsal LOCALIO|VFS  LOCALIO stacked over VFS (default), or plain VFS\n"
    "  --id N              Export_Id (default: 1, 2, ... in order)\n"
    "  --pseudo PATH       NFSv4 pseudo path (default /export-<id>)\n"
    "  --ro                Access_Type = RO (default RW)\n"
    "  --squash VALUE      Squash (default No_Root_Squash)\n"
    "  --fsal-line LINE    a line for the export's FSAL block (repeatable)\n"
    "  --map-path PATH     LOCALIO Map_Path (default: fresh file under /dev/shm)\n"
    "  --map-dir DIR       LOCALIO Map_Directory, no Map_Path (the server names its map)\n"
    "  --bind ADDR         Bind_addr (default 127.0.0.1; 0.0.0.0 only in a network namespace of the test's own)\n"
    "  --localio-line LINE a line for the LOCALIO module block (repeatable)\n"
    "  --core-line LINE    a line for NFS_CORE_PARAM (repeatable), e.g. \"Monitoring_Port = 9587;\"\n"
    "  --extra-config FILE text appended to ganesha.conf\n"
    "Prints, once the server answers:\n"
    "  export id=N fsal=F access=RW|RO path=P pseudo=Q nfs_port=X mnt_port=Y v3=URL v4=URL\n"
    "  server pid=N nfs_port=X mnt_port=Y dir=D log=L config=C map=M\n"
    "  ready\n"
    "Temp dirs are removed on exit unless LOCALIO_KEEP_TMP=1.\n";

int UsageError(const std::string& message) {
  std::fprintf(stderr, "localio-testserver: %s\n%s", message.c_str(), kUsage);
  return 2;
}

// Parses argv into options; returns 0 or an exit code after printing why.
int ParseArgs(int argc, char** argv, ServerOptions* options) {
  uint16_t next_id = 1;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    auto value = [&](std::string* out) {
      if (i + 1 >= argc) return false;
      *out = argv[++i];
      return true;
    };
    std::string v;
    if (arg == "--help" || arg == "-h") {
      std::fputs(kUsage, stdout);
      return 1;
    } else if (arg == "--export" || arg == "--export-dir") {
      ExportOptions e;
      e.id = next_id++;
      if (arg == "--export-dir" && !value(&e.path)) return UsageError("--export-dir needs a path");
      options->exports.push_back(e);
      continue;
    } else if (arg == "--extra-config") {
      if (!value(&v) || !ReadFile(v, &options->extra_config)) {
        return UsageError("--extra-config needs a readable file");
      }
      continue;
    } else if (arg == "--map-path") {
      if (!value(&options->map_path)) return UsageError("--map-path needs a path");
      continue;
    } else if (arg == "--bind") {
      if (!value(&options->bind_address)) return UsageError("--bind needs an address");
      continue;
    } else if (arg == "--map-dir") {
      if (!value(&options->map_directory)) return UsageError("--map-dir needs a directory");
      continue;
    } else if (arg == "--localio-line") {
      if (!value(&v)) return UsageError("--localio-line needs a value");
      options->localio_lines.push_back(v);
      continue;
    } else if (arg == "--core-line") {
      if (!value(&v)) return UsageError("--core-line needs a value");
      options->core_lines.push_back(v);
      continue;
    } else if (arg == "--log-level") {
      if (!value(&options->log_level)) return UsageError("--log-level needs a value");
      continue;
    }
    if (options->exports.empty()) return UsageError(arg + " given before --export/--export-dir");
    ExportOptions& e = options->exports.back();
    if (arg == "--ro") {
      e.access = Access::kReadOnly;
    } else if (arg == "--fsal" && value(&v) && (v == "LOCALIO" || v == "VFS")) {
      e.fsal = v == "LOCALIO" ? Fsal::kLocalio : Fsal::kVfs;
    } else if (arg == "--id" && value(&v) && std::atoi(v.c_str()) > 0 && std::atoi(v.c_str()) < 65536) {
      e.id = static_cast<uint16_t>(std::atoi(v.c_str()));
      next_id = static_cast<uint16_t>(e.id + 1);
    } else if (arg == "--pseudo" && value(&e.pseudo)) {
    } else if (arg == "--squash" && value(&e.squash)) {
    } else if (arg == "--fsal-line" && value(&v)) {
      e.fsal_lines.push_back(v);
    } else {
      return UsageError("bad or incomplete option: " + arg);
    }
  }
  if (options->exports.empty()) return UsageError("no export given");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  ServerOptions options;
  if (int rc = ParseArgs(argc, argv, &options); rc != 0) return rc == 1 ? 0 : rc;

  // Block the stop signals before any child exists; they are taken with
  // sigtimedwait below (children get a clean mask from the harness).
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGTERM);
  sigaddset(&stop, SIGINT);
  sigprocmask(SIG_BLOCK, &stop, nullptr);

  GaneshaServer server(options);
  if (auto s = server.Start(); !s.ok()) {
    std::fprintf(stderr, "localio-testserver: %s\n", s.message.c_str());
    return 1;
  }
  for (const ExportOptions& e : server.exports()) {
    std::printf("export id=%u fsal=%s access=%s path=%s pseudo=%s nfs_port=%u mnt_port=%u v3=%s v4=%s\n",
                e.id, FsalName(e.fsal), e.access == Access::kReadOnly ? "RO" : "RW", e.path.c_str(),
                e.pseudo.c_str(), server.nfs_port(), server.mnt_port(), server.Url(e.id, 3, "").c_str(),
                server.Url(e.id, 4, "").c_str());
  }
  std::printf("server pid=%d nfs_port=%u mnt_port=%u dir=%s log=%s config=%s map=%s\nready\n",
              static_cast<int>(server.pid()), server.nfs_port(), server.mnt_port(),
              server.dir().c_str(), server.log_path().c_str(), server.config_path().c_str(),
              server.map_path().empty() ? "-" : server.map_path().c_str());
  std::fflush(stdout);

  const timespec tick{1, 0};
  for (;;) {
    int sig = sigtimedwait(&stop, nullptr, &tick);
    if (sig == SIGTERM || sig == SIGINT) break;
    if (!server.Running()) {
      std::fprintf(stderr, "localio-testserver: ganesha.nfsd exited unexpectedly\n%s",
                   server.LogTail().c_str());
      return 1;
    }
  }
  server.Stop();
  std::fprintf(stderr, "localio-testserver: stopped\n");
  return 0;
}
