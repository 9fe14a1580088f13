/* SPDX-License-Identifier: LGPL-3.0-or-later */
// A hostile neighbour for tests: localio_hostile_peer (tests/rpc) run as
// another uid with setpriv, as a co-located attacker would run it: a
// listener of its own (optionally squatting rpcbind's LOCALIO entry), or a
// flood of UUID_IS_LOCAL calls. Needs root (tests run as root).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "harness/process.h"
#include "harness/temp_dir.h"
#include "localio/status.h"

namespace localio::harness {

class HostilePeer {
 public:
  static constexpr uid_t kUid = 1001;

  // `localio_hostile_peer listen ARGS...` as kUid; returns once it has
  // printed its port (and whether it registered), or with what failed.
  // `as_root_of_own_user_namespace`: run it through `unshare --user
  // --map-root-user`, where kUid is uid 0.
  Status Listen(const std::vector<std::string>& args, bool as_root_of_own_user_namespace = false);
  // `localio_hostile_peer flood PORT CONNECTIONS SECONDS [DEPTH]` as kUid;
  // returns once started.
  Status Flood(uint16_t port, int connections, int seconds, int depth = 16);
  uint16_t port() const { return port_; }
  bool registered() const { return registered_; }
  // Ends it (SIGTERM) and returns its last line: "calls=N uuid_is_local=M"
  // for a listener, "calls=N reconnects=M" for a flood ("" when it printed
  // none).
  std::string Stop();
  // Waits for a flood to end by itself; its last line as Stop().
  std::string Wait(std::chrono::milliseconds timeout);
  // The number after "key=" in `line`, or -1.
  static long long Field(const std::string& line, const std::string& key);

 private:
  Status Start(const std::vector<std::string>& args, bool user_namespace = false);
  std::string LastLine() const;

  TempDir dir_;
  ChildProcess process_;
  std::string output_;
  uint16_t port_ = 0;
  bool registered_ = false;
};

}  // namespace localio::harness
