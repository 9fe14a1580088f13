/* SPDX-License-Identifier: LGPL-3.0-or-later */
// A real ganesha.nfsd on 127.0.0.1 with its own ports, config, plugin
// directory, recovery directory and log, all in a fresh temp dir. Start(),
// Stop(), Kill9(), Restart() and Reload() act on the server by pid.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "harness/nfs_url.h"
#include "harness/process.h"
#include "harness/server_config.h"
#include "harness/temp_dir.h"
#include "localio/status.h"

namespace localio::harness {

class GaneshaServer {
 public:
  explicit GaneshaServer(ServerOptions options);
  ~GaneshaServer();  // Stop(), then removes the temp dir (see TempDir)
  GaneshaServer(const GaneshaServer&) = delete;
  GaneshaServer& operator=(const GaneshaServer&) = delete;

  // First call: makes sure rpcbind runs, picks ports, creates the temp dir,
  // export dirs, plugin dir and (for LOCALIO) a map dir under /dev/shm,
  // writes ganesha.conf. Every call: launches the
  // server and waits (up to `timeout`) until NFSv3, NFSv4 and MOUNT answer an
  // RPC NULL and MOUNT lists every export (Ganesha runs on when an export
  // fails to load). On failure the error carries the tail of the server log.
  Status Start(std::chrono::milliseconds timeout = std::chrono::seconds(30));
  // SIGTERM, then SIGKILL if still alive after `grace`. No-op if not running.
  void Stop(std::chrono::milliseconds grace = std::chrono::seconds(10));
  // SIGKILL, as a crash would; the server's state stays on disk.
  void Kill9();
  // Stop() (if running) and Start() again with the same ports and dirs.
  Status Restart(std::chrono::milliseconds timeout = std::chrono::seconds(30));
  // Rewrites ganesha.conf with these exports (same ports) without signalling.
  Status SetExports(std::vector<ExportOptions> exports);
  // SIGHUP: Ganesha re-reads the config and adds/removes exports.
  Status Reload();
  bool Running();

  pid_t pid() const { return process_.pid(); }
  uint16_t nfs_port() const { return layout_.nfs_port; }
  uint16_t mnt_port() const { return layout_.mnt_port; }
  const std::string& dir() const { return tmp_.path(); }  // the server's temp dir
  std::string config_path() const;
  std::string log_path() const;
  // LOCALIO's map file ("" when no export uses LOCALIO; with
  // map_directory, found once the server is ready).
  const std::string& map_path() const { return layout_.map_path; }
  const std::vector<ExportOptions>& exports() const { return options_.exports; }
  // The export with this id (after Start: path and pseudo filled in), or nullptr.
  const ExportOptions* FindExport(uint16_t id) const;
  std::string ExportDir(uint16_t id) const;
  // URL of `file` in export `id` for NFS version 3 or 4 (see nfs_url.h).
  std::string Url(uint16_t id, int version, const std::string& file) const;
  // Last lines of the server log, prefixed with a header naming the file.
  std::string LogTail(size_t lines = 60) const;

 private:
  Status Prepare();
  Status WriteConfig();
  Status Launch(std::chrono::milliseconds timeout);
  Status WaitReady(std::chrono::milliseconds timeout);
  // The map a server of Map_Directory named after its NFS port.
  Status FindNamedMap();
  Status CheckExportsServed(std::chrono::steady_clock::time_point deadline);

  ServerOptions options_;
  ConfigLayout layout_;
  TempDir tmp_;
  TempDir shm_;  // holds the LOCALIO map unless options name one
  ChildProcess process_;
  bool prepared_ = false;
};

}  // namespace localio::harness
