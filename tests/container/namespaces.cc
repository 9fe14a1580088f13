// SPDX-License-Identifier: LGPL-3.0-or-later
#include "namespaces.h"

#include <sched.h>
#include <sys/mount.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <sstream>
#include <thread>

#include "harness/files.h"
#include "harness/nfs_url.h"

namespace localio::container {
namespace {

// The shell that sets up a namespace: $1 the volume, $2 how to show it,
// then the command. Mount points /srv and /mnt get a private empty tmpfs
// first, so nothing from the host's /srv or /mnt shows through.
constexpr char kSetup[] =
    "set -e\n"
    "volume=$1; view=$2; shift 2\n"
    "mount -t tmpfs -o size=1m,mode=755 view-srv /srv\n"
    "mount -t tmpfs -o size=1m,mode=755 view-mnt /mnt\n"
    "case $view in\n"
    "  server) mkdir /srv/data; mount --bind \"$volume\" /srv/data ;;\n"
    "  client) mkdir /mnt/data; mount --bind \"$volume\" /mnt/data ;;\n"
    "  none) ;;\n"
    "  *) echo \"bad view $view\" >&2; exit 2 ;;\n"
    "esac\n"
    "mount -t tmpfs -o size=1m,mode=755 hidden \"$volume\"\n"
    "exec \"$@\"\n";

std::vector<std::string> InNamespace(const std::string& volume, const std::string& view) {
  return {"unshare", "--mount", "--propagation",   "private", "--", "/bin/sh",
          "-c",      kSetup,    "namespace-setup", volume,    view};
}

// The value of `key=` in a line of words ("" when absent).
std::string Field(const std::string& line, const std::string& key) {
  const std::string needle = " " + key + "=";
  size_t at = (" " + line).find(needle);
  if (at == std::string::npos) return "";
  size_t start = at + needle.size() - 1;
  size_t end = line.find(' ', start);
  return line.substr(start, end == std::string::npos ? std::string::npos : end - start);
}

}  // namespace

Status Volumes::Create() {
  if (unshare(CLONE_NEWNS) != 0) {
    const int err = errno;
    return Status::Error(-err, std::string("unshare(CLONE_NEWNS): ") + std::strerror(err) +
                                   " (the container-model test needs root)");
  }
  if (mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) {
    const int err = errno;
    return Status::Error(-err, std::string("making / private: ") + std::strerror(err));
  }
  if (Status s = tmp_.Create("localio-container"); !s.ok()) return s;
  volume_ = tmp_.path() + "/volume";
  map_dir_ = tmp_.path() + "/map";
  scratch_ = tmp_.path() + "/scratch";
  std::error_code ec;
  for (const std::string& d : {volume_, map_dir_, scratch_}) {
    std::filesystem::create_directories(d, ec);
    if (ec) return Status::Error(-ec.value(), "cannot create " + d + ": " + ec.message());
  }
  // As the deployments mount it: root's, writable by no one else, or
  // neither the server nor its clients would trust what it holds.
  if (mount("localio-map", map_dir_.c_str(), "tmpfs", 0, "size=64m,mode=0755") != 0) {
    const int err = errno;
    return Status::Error(-err, "mount tmpfs on " + map_dir_ + ": " + std::strerror(err));
  }
  mounted_ = true;
  return Status::Ok();
}

Volumes::~Volumes() {
  if (mounted_) umount2(map_dir_.c_str(), MNT_DETACH);
}

Status NamespacedServer::Start(const Volumes& volumes, const std::vector<std::string>& fsal_lines) {
  // A fresh file per start: an old "ready" must not be taken for this one.
  static int starts = 0;
  output_ = volumes.scratch() + "/testserver-" + std::to_string(++starts) + ".out";
  std::filesystem::remove(output_);
  std::vector<std::string> argv = InNamespace(volumes.volume(), "server");
  argv.insert(argv.end(), {LOCALIO_TESTSERVER, "--export-dir", kServerRoot, "--id", "1", "--pseudo",
                           "/data", "--map-path", volumes.map_path()});
  for (const std::string& line : fsal_lines) argv.insert(argv.end(), {"--fsal-line", line});
  if (Status s = process_.Spawn(argv, output_); !s.ok()) return s;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (std::chrono::steady_clock::now() < deadline) {
    const std::string out = harness::ReadFile(output_);
    if (out.find("\nready\n") != std::string::npos) {
      std::istringstream lines(out);
      for (std::string line; std::getline(lines, line);) {
        if (line.rfind("server ", 0) != 0) continue;
        ganesha_pid_ = static_cast<pid_t>(std::atoi(Field(line, "pid").c_str()));
        nfs_port_ = static_cast<uint16_t>(std::atoi(Field(line, "nfs_port").c_str()));
        mnt_port_ = static_cast<uint16_t>(std::atoi(Field(line, "mnt_port").c_str()));
        log_ = Field(line, "log");
      }
      if (ganesha_pid_ <= 0 || nfs_port_ == 0 || mnt_port_ == 0) {
        return Status::Error(-EBADMSG,
                             "cannot read the server line of localio-testserver:\n" + out);
      }
      return Status::Ok();
    }
    if (!process_.Running()) {
      return Status::Error(-ECHILD, "localio-testserver in its namespace ended (" +
                                        process_.exit_description() + "):\n" + out);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  Stop();
  return Status::Error(-ETIMEDOUT,
                       "localio-testserver not ready after 60 s:\n" + harness::ReadFile(output_));
}

void NamespacedServer::Stop() { process_.Terminate(std::chrono::seconds(20)); }

std::string NamespacedServer::Url(int version, const std::string& file) const {
  return harness::NfsUrl({kServerRoot, "/data", nfs_port_, mnt_port_}, version, file);
}

std::string NamespacedServer::LogTail() const {
  return "--- localio-testserver output:\n" + harness::FileTail(output_, 20) + "--- " + log_ +
         ":\n" + harness::FileTail(log_, 40);
}

Status RunInClientNamespace(const Volumes& volumes, ClientView view,
                            const std::vector<std::string>& env,
                            const std::vector<std::string>& argv, std::chrono::milliseconds timeout,
                            harness::CommandResult* result) {
  std::vector<std::string> full =
      InNamespace(volumes.volume(), view == ClientView::kAtClientRoot ? "client" : "none");
  full.push_back("env");
  full.insert(full.end(), env.begin(), env.end());
  full.insert(full.end(), argv.begin(), argv.end());
  return harness::RunCommand(full, timeout, result);
}

}  // namespace localio::container
