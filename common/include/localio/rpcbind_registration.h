/* SPDX-License-Identifier: LGPL-3.0-or-later */
// Program 400122 v1 in rpcbind for one LOCALIO listener (docs/DESIGN.md,
// "The LOCALIO program and the handshake"). It is set over rpcbind's local
// socket, so rpcbind records this process's uid as its owner: a client that
// cannot see the listener's socket (another network namespace) trusts the
// port only from a registration by the server's uid. Without a local socket
// it is set over TCP, where rpcbind records owner "unknown" (said in the
// log: such clients will not trust it). An rpcbind whose libtirpc cannot read
// its callers' credentials (Debian forky's 1.3.7+ds-1 builds getpeereid as
// a stub that fails) records "unknown" over its local socket too: the first
// SET shows it, the registration goes on with that owner and says so once
// (clients in another network namespace will not trust it; in this one they
// prove the listener by its socket's owner, which needs no rpcbind).
//
// A registration of the program by another uid is a squatter's: removed
// (rpcbind lets only root remove another owner's mapping) and replaced by
// this listener's. One by this uid at another port is another server of this
// uid: replaced at Register (an earlier instance that died leaves one), left
// to it by Check. Not thread-safe: one owner thread.
#ifndef LOCALIO_RPCBIND_REGISTRATION_H
#define LOCALIO_RPCBIND_REGISTRATION_H

#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "localio/rpcbind_client.h"

namespace localio::rpc {

class LocalioRegistration {
 public:
  // The listener's port and the numeric address it is bound to (its family
  // gives the netid, "tcp" or "tcp6"). `options` names the local socket and
  // the timeout; the TCP fallback is 127.0.0.1 at options.port.
  LocalioRegistration(uint16_t port, const std::string& bind_address, RpcbindOptions options = {});

  // At start: removes squatters and a mapping this uid left at another port,
  // then sets this listener's. Ok when registered; the error names rpcbind
  // and what it refused. Appends to `log` one sentence per thing worth
  // logging (a squatter removed or left, the TCP fallback).
  Status Register(std::vector<std::string>* log);
  // The periodic check: removes squatters and registers again when the
  // mapping is gone (rpcbind restarted without its state, or the SET at
  // start failed); leaves another server of this uid alone. Appends
  // sentences for changes only, so that a steady state logs nothing.
  void Check(std::vector<std::string>* log);
  // At stop: UNSET, only if rpcbind still maps the program to this
  // listener for this uid.
  Status Unregister();

  bool registered() const { return state_ == State::kRegistered; }
  const std::string& netid() const { return netid_; }
  // The owner rpcbind records for this process on the transport last used.
  const std::string& owner() const { return owner_; }

 private:
  enum class State { kUnregistered, kRegistered, kLeftToSameUid };

  // DUMP over the local socket, else over TCP; `client_` is then the one
  // that answered and `owner_` this process's owner there.
  Status Dump(std::vector<RpcbMapping>* mine, std::vector<std::string>* log);
  // Removes every mapping of the program when one is a squatter's and this
  // owner may (root); `*removed` says whether it did. Logs squatters it
  // must leave, once each.
  Status RemoveSquatters(const std::vector<RpcbMapping>& mappings, std::vector<std::string>* log,
                         bool* removed);
  // SET of this listener; the first time over the local socket, learns the
  // owner rpcbind records there (logged when it is not this uid's).
  Status SetOurs(std::vector<std::string>* log);
  std::string Program() const;

  uint16_t port_;
  std::string netid_, uaddr_;
  RpcbindClient local_, tcp_;
  const RpcbindClient* client_ = nullptr;
  std::string owner_;
  std::string local_owner_;  // what rpcbind records over its local socket
  bool learned_local_owner_ = false;
  bool told_tcp_fallback_ = false;
  State state_ = State::kUnregistered;
  std::set<std::string> told_squatters_;  // kept squatters already logged
};

}  // namespace localio::rpc

#endif  // LOCALIO_RPCBIND_REGISTRATION_H
