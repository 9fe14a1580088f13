/* SPDX-License-Identifier: LGPL-3.0-or-later */
// The container model without Docker: server and client in separate mount
// namespaces made with `unshare --mount`, sharing the network (loopback),
// an export volume and a memory volume for the map.
//
// Volumes is made once per test program, which first moves itself into a
// private mount namespace: the tmpfs it mounts for the map (the "memory
// volume") and every mount of the server and client namespaces (copies of
// it) disappear with the processes, whatever happens to the test.
//   - volume():     the export's files (a temp dir);
//   - map_dir():    a tmpfs mounted on a temp dir, the map lives in it;
//   - scratch():    the client's local files (a temp dir).
// In the server's namespace the volume is at /srv/data only; in a client's
// at /mnt/data only (or nowhere); the temp dir itself is hidden there.
#ifndef LOCALIO_TESTS_CONTAINER_NAMESPACES_H
#define LOCALIO_TESTS_CONTAINER_NAMESPACES_H

#include <sys/types.h>

#include <chrono>
#include <string>
#include <vector>

#include "harness/process.h"
#include "harness/temp_dir.h"
#include "localio/status.h"

namespace localio::container {

inline constexpr char kServerRoot[] = "/srv/data";
inline constexpr char kClientRoot[] = "/mnt/data";

class Volumes {
 public:
  // Unshares this process's mount namespace (call while single-threaded),
  // creates the dirs and mounts the tmpfs. Error names the step.
  Status Create();
  ~Volumes();  // unmounts the tmpfs, removes the dirs
  const std::string& volume() const { return volume_; }
  const std::string& map_dir() const { return map_dir_; }
  const std::string& scratch() const { return scratch_; }
  std::string map_path() const { return map_dir_ + "/map"; }

 private:
  harness::TempDir tmp_;
  std::string volume_, map_dir_, scratch_;
  bool mounted_ = false;
};

// localio-testserver (so the real ganesha.nfsd) inside its own mount
// namespace, exporting the volume as it sees it: /srv/data.
class NamespacedServer {
 public:
  // `fsal_lines` go into the export's LOCALIO block (e.g. Client_Root).
  Status Start(const Volumes& volumes, const std::vector<std::string>& fsal_lines);
  // SIGTERM to the testserver (which stops ganesha.nfsd), by pid.
  void Stop();
  ~NamespacedServer() { Stop(); }

  pid_t ganesha_pid() const { return ganesha_pid_; }
  // URL of `file` in the export for NFS version 3 or 4.
  std::string Url(int version, const std::string& file) const;
  std::string LogTail() const;

 private:
  harness::ChildProcess process_;
  std::string output_, log_;
  pid_t ganesha_pid_ = -1;
  uint16_t nfs_port_ = 0, mnt_port_ = 0;
};

// Where a client namespace sees the volume.
enum class ClientView { kAtClientRoot, kNowhere };

// Runs `argv` with `env` (NAME=value) in a fresh client mount namespace.
Status RunInClientNamespace(const Volumes& volumes, ClientView view,
                            const std::vector<std::string>& env,
                            const std::vector<std::string>& argv, std::chrono::milliseconds timeout,
                            harness::CommandResult* result);

}  // namespace localio::container

#endif  // LOCALIO_TESTS_CONTAINER_NAMESPACES_H
