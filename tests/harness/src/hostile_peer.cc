// SPDX-License-Identifier: LGPL-3.0-or-later
#include "harness/hostile_peer.h"

#include <signal.h>

#include <cerrno>
#include <fstream>
#include <sstream>
#include <thread>

namespace localio::harness {

Status HostilePeer::Start(const std::vector<std::string>& args, bool user_namespace) {
  if (Status s = dir_.Create("localio-hostile"); !s.ok()) return s;
  output_ = dir_.path() + "/output";
  std::vector<std::string> argv = {"setpriv", "--reuid=" + std::to_string(kUid),
                                   "--regid=" + std::to_string(kUid), "--clear-groups", "--"};
  if (user_namespace)
    argv.insert(argv.end(), {"unshare", "--user", "--map-root-user", "--"});
  argv.push_back(LOCALIO_HOSTILE_PEER);
  argv.insert(argv.end(), args.begin(), args.end());
  return process_.Spawn(argv, output_);
}

Status HostilePeer::Listen(const std::vector<std::string>& args,
                           bool as_root_of_own_user_namespace) {
  std::vector<std::string> all = {"listen"};
  all.insert(all.end(), args.begin(), args.end());
  if (Status s = Start(all, as_root_of_own_user_namespace); !s.ok()) return s;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (std::chrono::steady_clock::now() < deadline) {
    const std::string line = LastLine();
    if (const long long port = Field(line, "port"); port > 0) {
      port_ = static_cast<uint16_t>(port);
      registered_ = Field(line, "registered") == 1;
      return Status::Ok();
    }
    if (!process_.Running())
      return Status::Error(-ECHILD, "localio_hostile_peer listen ended (" +
                                        process_.exit_description() + "): " + FileTail(output_, 5));
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return Status::Error(-ETIMEDOUT, "localio_hostile_peer listen printed no port: " +
                                       FileTail(output_, 5));
}

Status HostilePeer::Flood(uint16_t port, int connections, int seconds, int depth) {
  return Start({"flood", std::to_string(port), std::to_string(connections),
                std::to_string(seconds), std::to_string(depth)});
}

std::string HostilePeer::Stop() {
  if (process_.pid() > 0) {
    process_.Signal(SIGTERM);
    process_.WaitExit(std::chrono::seconds(10));
    process_.Terminate(std::chrono::milliseconds(100));
  }
  return LastLine();
}

std::string HostilePeer::Wait(std::chrono::milliseconds timeout) {
  process_.WaitExit(timeout);
  return Stop();
}

std::string HostilePeer::LastLine() const {
  std::ifstream in(output_);
  std::string line, last;
  while (std::getline(in, line))
    if (!line.empty()) last = line;
  return last;
}

long long HostilePeer::Field(const std::string& line, const std::string& key) {
  std::istringstream words(line);
  std::string word;
  while (words >> word)
    if (word.rfind(key + "=", 0) == 0) return std::atoll(word.c_str() + key.size() + 1);
  return -1;
}

}  // namespace localio::harness
