// SPDX-License-Identifier: LGPL-3.0-or-later
#include "harness/ganesha_server.h"

#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <thread>

#include "harness/free_port.h"
#include "harness/fsal_paths.h"
#include "harness/rpc_ping.h"
#include "localio/defaults.h"
#include "localio/map_reader.h"
#include "harness/rpcbind.h"

namespace localio::harness {
namespace {

using Steady = std::chrono::steady_clock;
using std::chrono::milliseconds;

Status MakeDir(const std::string& path) {
  std::error_code ec;
  std::filesystem::create_directories(path, ec);
  if (ec) return Status::Error(-ec.value(), "cannot create " + path + ": " + ec.message());
  return Status::Ok();
}

Status Symlink(const std::string& target, const std::string& link) {
  if (access(target.c_str(), R_OK) != 0) {
    const int err = errno;
    return Status::Error(-err,
                         "FSAL library " + target + " is not readable: " + std::strerror(err));
  }
  if (symlink(target.c_str(), link.c_str()) != 0 && errno != EEXIST) {
    const int err = errno;
    return Status::Error(-err, "symlink " + link + " -> " + target + ": " + std::strerror(err));
  }
  return Status::Ok();
}

}  // namespace

GaneshaServer::GaneshaServer(ServerOptions options) : options_(std::move(options)) {}

GaneshaServer::~GaneshaServer() { Stop(); }

std::string GaneshaServer::config_path() const { return tmp_.path() + "/ganesha.conf"; }
std::string GaneshaServer::log_path() const { return tmp_.path() + "/ganesha.log"; }

Status GaneshaServer::Prepare() {
  if (Status s = EnsureRpcbind(); !s.ok()) return s;
  if (Status s = tmp_.Create("localio-ganesha"); !s.ok()) return s;
  layout_.nfs_port = FindFreePort();
  do {
    layout_.mnt_port = FindFreePort();
  } while (layout_.mnt_port == layout_.nfs_port && layout_.mnt_port != 0);
  if (layout_.nfs_port == 0 || layout_.mnt_port == 0) {
    return Status::Error(-EADDRINUSE,
                         std::string("no free port on 127.0.0.1: ") + std::strerror(errno));
  }
  layout_.plugins_dir = tmp_.path() + "/plugins";
  layout_.recovery_root = tmp_.path() + "/recovery";
  for (const std::string& d : {layout_.plugins_dir, layout_.recovery_root}) {
    if (Status s = MakeDir(d); !s.ok()) return s;
  }
  // Ganesha loads every FSAL from its one Plugins_Dir: ours beside Debian's VFS.
  bool wants_localio = false;
  for (ExportOptions& e : options_.exports) {
    e = WithDefaults(std::move(e), tmp_.path());
    if (Status s = MakeDir(e.path); !s.ok()) return s;
    wants_localio = wants_localio || e.fsal == Fsal::kLocalio;
  }
  if (Status s = Symlink(SystemPluginsDir() + "/libfsalvfs.so", layout_.plugins_dir + "/libfsalvfs.so");
      !s.ok()) {
    return s;
  }
  if (wants_localio) {
    layout_.map_path = options_.map_path;
    layout_.map_dir = options_.map_directory;
    if (layout_.map_path.empty() && layout_.map_dir.empty()) {
      if (Status s = shm_.Create("localio-harness", "/dev/shm"); !s.ok()) return s;
      layout_.map_path = shm_.path() + "/map";
    }
    const std::string library =
        options_.fsal_library.empty() ? LocalioFsalLibrary() : options_.fsal_library;
    if (library.empty()) {
      return Status::Error(-ENOENT,
                           "an export asks for FSAL LOCALIO but this build has no fsallocalio "
                           "target (configure with LOCALIO_BUILD_FSAL=ON)");
    }
    if (Status s = Symlink(library, layout_.plugins_dir + "/libfsallocalio.so"); !s.ok()) {
      return s;
    }
  }
  prepared_ = true;
  return WriteConfig();
}

Status GaneshaServer::WriteConfig() {
  std::string text;
  if (Status s = RenderGaneshaConfig(options_, layout_, &text); !s.ok()) return s;
  const std::string tmp_path = config_path() + ".new";
  {
    std::ofstream out(tmp_path, std::ios::trunc);
    out << text;
    if (!out.flush()) return Status::Error(-EIO, "cannot write " + tmp_path);
  }
  // Atomic replace: a SIGHUP never reads a half-written file.
  if (rename(tmp_path.c_str(), config_path().c_str()) != 0) {
    const int err = errno;
    return Status::Error(-err, "rename to " + config_path() + ": " + std::strerror(err));
  }
  return Status::Ok();
}

Status GaneshaServer::Start(milliseconds timeout) {
  if (Running())
    return Status::Error(-EBUSY, "ganesha.nfsd already running as pid " + std::to_string(pid()));
  if (!prepared_) {
    if (Status s = Prepare(); !s.ok()) return s;
  }
  return Launch(timeout);
}

Status GaneshaServer::Launch(milliseconds timeout) {
  const std::vector<std::string> argv = {GaneshaBinary(), "-F", "-L", log_path(), "-f",
                                         config_path(), "-p", tmp_.path() + "/ganesha.pid",
                                         "-N", options_.log_level};
  if (Status s = process_.Spawn(argv, tmp_.path() + "/ganesha.stdout"); !s.ok()) return s;
  Status ready = WaitReady(timeout);
  if (ready.ok() && !layout_.map_dir.empty()) ready = FindNamedMap();
  if (!ready.ok()) {
    process_.Terminate(milliseconds(2000));
    return Status::Error(ready.code, "ganesha.nfsd (config " + config_path() +
                                         ") did not become ready: " + ready.message + "\n" +
                                         LogTail() + "--- stdout/stderr:\n" +
                                         FileTail(tmp_.path() + "/ganesha.stdout", 20));
  }
  return Status::Ok();
}

Status GaneshaServer::FindNamedMap() {
  std::vector<std::string> maps;
  if (Status s = ListMapFiles(layout_.map_dir, &maps); !s.ok()) return s;
  const std::string suffix = "-" + std::to_string(layout_.nfs_port) + LOCALIO_MAP_SUFFIX;
  for (const std::string& m : maps)
    if (m.size() > suffix.size() && m.compare(m.size() - suffix.size(), suffix.size(), suffix) == 0) {
      layout_.map_path = m;
      return Status::Ok();
    }
  return Status::Error(-ENOENT, "no map named after NFS port " + std::to_string(layout_.nfs_port) +
                                    " in Map_Directory " + layout_.map_dir);
}

Status GaneshaServer::WaitReady(milliseconds timeout) {
  // Ready = alive and answering RPC NULL for every program a client needs.
  // The NFS port accepts connections a little before the programs are
  // registered with the dispatcher, so a connect alone is not enough.
  struct Probe {
    const char* name;
    uint16_t port;
    uint32_t program, version;
  };
  const Probe probes[] = {{"NFSv3", layout_.nfs_port, kNfsProgram, 3},
                          {"NFSv4", layout_.nfs_port, kNfsProgram, 4},
                          {"MOUNTv3", layout_.mnt_port, kMountProgram, 3}};
  const auto deadline = Steady::now() + timeout;
  Status last = Status::Error(-ETIMEDOUT, "not probed");
  while (Steady::now() < deadline) {
    if (!process_.Running()) {
      return Status::Error(-ECHILD, "ganesha.nfsd exited (" + process_.exit_description() + ")");
    }
    bool all = true;
    for (const Probe& p : probes) {
      Status s = RpcNullPing("127.0.0.1", p.port, p.program, p.version, milliseconds(500));
      if (!s.ok()) {
        last = Status::Error(
            s.code, std::string(p.name) + " on port " + std::to_string(p.port) + ": " + s.message);
        all = false;
        break;
      }
    }
    if (all) return CheckExportsServed(deadline);
    std::this_thread::sleep_for(milliseconds(50));
  }
  return Status::Error(-ETIMEDOUT, "timed out after " + std::to_string(timeout.count()) +
                                       " ms; last probe: " + last.message);
}

Status GaneshaServer::CheckExportsServed(Steady::time_point deadline) {
  // Ganesha starts even when an export fails to load (unknown FSAL, FSAL
  // init error): it only logs. Compare MOUNT's export list with ours, with a
  // short grace since exports are listed once the server is up.
  const auto give_up = std::min(deadline, Steady::now() + milliseconds(3000));
  std::string missing;
  do {
    std::vector<std::string> served;
    Status s = MountExportList("127.0.0.1", layout_.mnt_port, milliseconds(1000), &served);
    if (!s.ok()) return Status::Error(s.code, "MOUNT EXPORT: " + s.message);
    missing.clear();
    for (const ExportOptions& e : options_.exports) {
      const bool is_served = std::find(served.begin(), served.end(), e.path) != served.end();
      const auto& unserved = options_.unserved_exports;
      if (std::find(unserved.begin(), unserved.end(), e.id) != unserved.end()) {
        if (is_served)
          return Status::Error(-EEXIST, "export " + std::to_string(e.id) + " (" + e.path +
                                            ") is served, and the test expects it not to be");
      } else if (!is_served) {
        missing += " " + std::to_string(e.id) + " (" + e.path + ", FSAL " + FsalName(e.fsal) + ")";
      }
    }
    if (missing.empty()) return Status::Ok();
    std::this_thread::sleep_for(milliseconds(100));
  } while (Steady::now() < give_up);
  return Status::Error(-ENOENT, "server runs but does not serve export(s)" + missing +
                                    ": Ganesha failed to load them, see the log");
}

void GaneshaServer::Stop(milliseconds grace) { process_.Terminate(grace); }

void GaneshaServer::Kill9() { process_.Terminate(milliseconds(0)); }

Status GaneshaServer::Restart(milliseconds timeout) {
  if (!prepared_) return Status::Error(-EINVAL, "Restart before Start");
  Stop();
  return Launch(timeout);
}

Status GaneshaServer::SetExports(std::vector<ExportOptions> exports) {
  if (!prepared_) return Status::Error(-EINVAL, "SetExports before Start");
  for (ExportOptions& e : exports) {
    e = WithDefaults(std::move(e), tmp_.path());
    if (Status s = MakeDir(e.path); !s.ok()) return s;
  }
  options_.exports = std::move(exports);
  return WriteConfig();
}

Status GaneshaServer::Reload() { return process_.Signal(SIGHUP); }

bool GaneshaServer::Running() { return process_.Running(); }

const ExportOptions* GaneshaServer::FindExport(uint16_t id) const {
  for (const ExportOptions& e : options_.exports) {
    if (e.id == id) return &e;
  }
  return nullptr;
}

std::string GaneshaServer::ExportDir(uint16_t id) const {
  const ExportOptions* e = FindExport(id);
  return e != nullptr ? e->path : std::string();
}

std::string GaneshaServer::Url(uint16_t id, int version, const std::string& file) const {
  const ExportOptions* e = FindExport(id);
  if (e == nullptr) return std::string();  // callers see an unusable URL at once
  return NfsUrl({e->path, e->pseudo, layout_.nfs_port, layout_.mnt_port}, version, file);
}

std::string GaneshaServer::LogTail(size_t lines) const {
  return "--- last " + std::to_string(lines) + " lines of " + log_path() + ":\n" +
         FileTail(log_path(), lines);
}

}  // namespace localio::harness
