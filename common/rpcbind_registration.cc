// SPDX-License-Identifier: LGPL-3.0-or-later
#include "localio/rpcbind_registration.h"

#include <unistd.h>

#include <cerrno>

#include "localio/localio_proto.h"

namespace localio::rpc {
namespace {

RpcbindOptions OverTcp(RpcbindOptions options) {
  options.address = "127.0.0.1";
  return options;
}

// rpcbind is not listening on its local socket (none, or a stale file).
bool NoLocalSocket(const Status& st) { return st.code == -ENOENT || st.code == -ECONNREFUSED; }

std::string PortText(const RpcbMapping& m) {
  uint16_t port = 0;
  return PortOfUniversalAddress(m.addr, &port) ? "port " + std::to_string(port)
                                               : "address \"" + m.addr + "\"";
}

}  // namespace

LocalioRegistration::LocalioRegistration(uint16_t port, const std::string& bind_address,
                                         RpcbindOptions options)
    : port_(port),
      netid_(bind_address.find(':') != std::string::npos ? "tcp6" : "tcp"),
      uaddr_(UniversalAddress(bind_address, port)),
      local_(options),
      tcp_(OverTcp(options)),
      local_owner_(RpcbindOwnerOf(geteuid())) {}

std::string LocalioRegistration::Program() const {
  return "program " + std::to_string(kLocalioProgram) + " v" + std::to_string(kLocalioVersion);
}

Status LocalioRegistration::Dump(std::vector<RpcbMapping>* mine, std::vector<std::string>* log) {
  std::vector<RpcbMapping> all;
  Status st = local_.Dump(&all);
  client_ = &local_;
  owner_ = local_owner_;
  if (NoLocalSocket(st)) {
    const Status local_status = st;
    st = tcp_.Dump(&all);
    if (!st.ok()) return local_status;  // rpcbind is not there at all: say why locally
    client_ = &tcp_;
    owner_ = kRpcbindUnknownOwner;
    if (!told_tcp_fallback_)
      log->push_back(local_.Describe() + " does not answer (" + local_status.message +
                     "): registering over TCP, where rpcbind records the owner as \"unknown\"; "
                     "clients in another network namespace will not trust it");
    told_tcp_fallback_ = true;
  }
  if (!st.ok()) return st;
  mine->clear();
  for (RpcbMapping& m : all)
    if (m.prog == kLocalioProgram && m.vers == kLocalioVersion) mine->push_back(std::move(m));
  return Status::Ok();
}

Status LocalioRegistration::RemoveSquatters(const std::vector<RpcbMapping>& mappings,
                                            std::vector<std::string>* log, bool* removed) {
  *removed = false;
  std::vector<const RpcbMapping*> squatters;
  for (const RpcbMapping& m : mappings)
    if (m.owner != owner_) squatters.push_back(&m);
  if (squatters.empty()) return Status::Ok();
  const std::string us = "this server (owner \"" + owner_ + "\")";
  // rpcbind lets only root remove another owner's mapping.
  if (owner_ != RpcbindOwnerOf(0)) {
    for (const RpcbMapping* m : squatters) {
      const std::string key = m->owner + " " + m->netid + " " + m->addr;
      if (!told_squatters_.insert(key).second) continue;
      log->push_back("rpcbind maps " + Program() + " (" + m->netid + " " + PortText(*m) +
                     ") for owner \"" + m->owner + "\", not " + us +
                     ", and only root may remove it; clients that ask rpcbind will not trust it");
    }
    return Status::Ok();
  }
  // "" removes every netid: the squatter's, and a mapping of this uid.
  bool done = false;
  Status st = client_->Unset(kLocalioProgram, kLocalioVersion, "", &done);
  if (!st.ok()) return st;
  if (!done) return Status::Error(-EPERM, client_->Describe() + " refused to UNSET " + Program());
  for (const RpcbMapping* m : squatters)
    log->push_back("rpcbind mapped " + Program() + " (" + m->netid + " " + PortText(*m) +
                   ") for owner \"" + m->owner + "\", not " + us + ": removed it");
  *removed = true;
  return Status::Ok();
}

Status LocalioRegistration::SetOurs(std::vector<std::string>* log) {
  bool done = false;
  Status st = client_->Set(kLocalioProgram, kLocalioVersion, netid_, uaddr_, &done);
  if (!st.ok()) return st;
  if (!done)
    return Status::Error(-EEXIST, client_->Describe() + " refused SET of " + Program() + " " +
                                      netid_ + " port " + std::to_string(port_) +
                                      " (another mapping holds it)");
  state_ = State::kRegistered;
  if (client_ == &local_ && !learned_local_owner_) {
    std::vector<RpcbMapping> all;
    if (!local_.Dump(&all).ok()) return Status::Ok();  // learned at the next SET
    learned_local_owner_ = true;
    for (const RpcbMapping& m : all) {
      if (m.prog != kLocalioProgram || m.vers != kLocalioVersion || m.netid != netid_ ||
          m.addr != uaddr_ || m.owner == local_owner_)
        continue;
      log->push_back(local_.Describe() + " records the owner of " + Program() + " as \"" +
                     m.owner + "\", not \"" + local_owner_ +
                     "\": this rpcbind cannot read its callers' credentials (its libtirpc's "
                     "getpeereid fails), so any local user may replace the mapping and clients "
                     "in another network namespace will not trust it; clients in this one prove "
                     "the listener by its socket's owner");
      local_owner_ = owner_ = m.owner;
    }
  }
  return Status::Ok();
}

Status LocalioRegistration::Register(std::vector<std::string>* log) {
  std::vector<RpcbMapping> mappings;
  Status st = Dump(&mappings, log);
  if (!st.ok()) return st;
  bool removed = false;
  st = RemoveSquatters(mappings, log, &removed);
  if (!st.ok()) return st;
  if (!removed) {
    // An earlier server of this uid that died without UNSET left its
    // mapping, and SET does not overwrite one.
    for (const RpcbMapping& m : mappings) {
      if (m.owner != owner_ || m.netid != netid_) continue;
      bool done = false;
      st = client_->Unset(kLocalioProgram, kLocalioVersion, netid_, &done);
      if (!st.ok()) return st;
      break;
    }
  }
  return SetOurs(log);
}

void LocalioRegistration::Check(std::vector<std::string>* log) {
  std::vector<RpcbMapping> mappings;
  if (!Dump(&mappings, log).ok()) return;  // rpcbind not answering (yet): try at the next check
  bool removed = false;
  if (!RemoveSquatters(mappings, log, &removed).ok()) return;
  bool ours = false, same_uid = false;
  std::string other;
  for (const RpcbMapping& m : mappings) {
    if (m.owner != owner_) continue;
    uint16_t port = 0;
    if (m.netid == netid_ && m.addr == uaddr_) {
      ours = true;
    } else if (PortOfUniversalAddress(m.addr, &port) && port != port_) {
      same_uid = true;
      other = m.netid + " " + PortText(m);
    }
  }
  if (removed) ours = same_uid = false;  // all gone with the squatters
  if (ours) {
    state_ = State::kRegistered;
    return;
  }
  if (same_uid) {
    if (state_ != State::kLeftToSameUid)
      log->push_back("rpcbind maps " + Program() + " to " + other +
                     ", another server's of this uid; left to it (clients of this one use the "
                     "port in the map)");
    state_ = State::kLeftToSameUid;
    return;
  }
  if (state_ == State::kRegistered && !removed)
    log->push_back("rpcbind lost " + Program() + "; registering it again");
  if (!SetOurs(log).ok()) {
    state_ = State::kUnregistered;
    return;  // tried again at the next check
  }
  log->push_back("registered " + Program() + " " + netid_ + " port " + std::to_string(port_) +
                 " with " + client_->Describe() + " as owner \"" + owner_ + "\"");
}

Status LocalioRegistration::Unregister() {
  std::vector<std::string> unused;
  std::vector<RpcbMapping> mappings;
  Status st = Dump(&mappings, &unused);
  if (!st.ok()) return st;
  for (const RpcbMapping& m : mappings) {
    if (m.owner != owner_ || m.netid != netid_ || m.addr != uaddr_) continue;
    bool done = false;
    st = client_->Unset(kLocalioProgram, kLocalioVersion, netid_, &done);
    if (st.ok()) state_ = State::kUnregistered;
    return st;
  }
  return Status::Ok();  // not ours (any more)
}

}  // namespace localio::rpc
