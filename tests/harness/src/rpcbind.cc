// SPDX-License-Identifier: LGPL-3.0-or-later
#include "harness/rpcbind.h"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <thread>
#include <vector>

#include <unistd.h>

#include "harness/process.h"
#include "harness/rpc_ping.h"
#include "localio/rpcbind_client.h"

namespace localio::harness {
namespace {

using std::chrono::milliseconds;

constexpr char kRpcbind[] = "/usr/sbin/rpcbind";

Status PingPortmapper() {
  return RpcNullPing("127.0.0.1", 111, kPortmapProgram, 2, milliseconds(1000));
}

// The rpcbind this process started; stopped at exit, by pid.
std::unique_ptr<ChildProcess>& OwnRpcbind() {
  static std::unique_ptr<ChildProcess> own;
  return own;
}

}  // namespace

void StopOwnRpcbind() {
  std::unique_ptr<ChildProcess>& own = OwnRpcbind();
  if (own) {
    own->Terminate(milliseconds(3000));
    own.reset();
  }
}

Status EnsureRpcbind() {
  if (PingPortmapper().ok()) return Status::Ok();
  if (OwnRpcbind() && OwnRpcbind()->Running()) {
    return Status::Error(-ETIMEDOUT, "the rpcbind this test started (pid " +
                                         std::to_string(OwnRpcbind()->pid()) +
                                         ") does not answer on 127.0.0.1:111");
  }
  auto child = std::make_unique<ChildProcess>();
  // rpcbind's own messages go to the null device: it logs to syslog anyway.
  Status s = child->Spawn({kRpcbind, "-f", "-w"}, "/dev/null");
  if (!s.ok()) return Status::Error(s.code, "starting rpcbind: " + s.message);
  Status last;
  for (int i = 0; i < 100; ++i) {
    last = PingPortmapper();
    if (last.ok()) break;
    // Another process may have started one at the same time: ours then exits
    // ("another rpcbind is already running") and theirs is as good.
    if (!child->Running() && i > 0) {
      last = PingPortmapper();
      if (last.ok()) break;
    }
    std::this_thread::sleep_for(milliseconds(50));
  }
  if (!last.ok()) {
    child->Terminate(milliseconds(1000));
    return Status::Error(-ETIMEDOUT, "rpcbind does not answer on 127.0.0.1:111 after starting " +
                                         std::string(kRpcbind) +
                                         " -f -w (are we root?): " + last.message);
  }
  if (child->Running()) {
    std::fprintf(stderr, "harness: started rpcbind (pid %d)\n", static_cast<int>(child->pid()));
    OwnRpcbind() = std::move(child);
    static bool registered = false;
    if (!registered) {
      std::atexit(StopOwnRpcbind);
      registered = true;
    }
  }
  return Status::Ok();
}

std::string RpcbindRecordedOwner() {
  // A program number of the "transient" range, one per process.
  const uint32_t prog = 0x4d000000u + (static_cast<uint32_t>(getpid()) & 0xffffu);
  const rpc::RpcbindClient rpcbind;
  bool done = false;
  if (!rpcbind.Set(prog, 1, "tcp", rpc::UniversalAddress("0.0.0.0", 9), &done).ok() || !done)
    return "";
  std::vector<rpc::RpcbMapping> all;
  std::string found;
  if (rpcbind.Dump(&all).ok())
    for (const rpc::RpcbMapping& m : all)
      if (m.prog == prog && m.netid == "tcp") found = m.owner;
  rpcbind.Unset(prog, 1, "", &done);
  return found;
}

bool RpcbindRecordsOwners() { return RpcbindRecordedOwner() == rpc::RpcbindOwnerOf(geteuid()); }

}  // namespace localio::harness
