// SPDX-License-Identifier: LGPL-3.0-or-later
#include "harness/rpc_ping.h"

#include <cerrno>

#include "localio/localio_caller.h"
#include "localio/xdr.h"

namespace localio::harness {

Status RpcCall(const std::string& host, uint16_t port, uint32_t program, uint32_t version,
               uint32_t procedure, const std::vector<uint8_t>& args,
               std::chrono::milliseconds timeout, std::vector<uint8_t>* result) {
  rpc::CallHeader call;
  call.prog = program;
  call.vers = version;
  call.proc = procedure;
  return rpc::CallOverTcp(host, port, call, args, timeout, result);
}

Status RpcNullPing(const std::string& host, uint16_t port, uint32_t program, uint32_t version,
                   std::chrono::milliseconds timeout) {
  return RpcCall(host, port, program, version, 0, {}, timeout, nullptr);
}

Status MountExportList(const std::string& host, uint16_t mnt_port,
                       std::chrono::milliseconds timeout, std::vector<std::string>* paths) {
  std::vector<uint8_t> body;
  if (Status s = RpcCall(host, mnt_port, kMountProgram, 3, 5, {}, timeout, &body); !s.ok()) {
    return s;
  }
  // exports: { bool follows; string dir; groups: { bool follows; string name; }*; }*
  rpc::XdrDecoder xdr(body);
  paths->clear();
  for (bool follows; xdr.Bool(&follows) && follows;) {
    std::string dir;
    if (!xdr.String(4096, &dir)) return Status::Error(-EBADMSG, "MOUNT EXPORT reply: truncated");
    for (bool group; xdr.Bool(&group) && group;) {
      std::string name;
      if (!xdr.String(4096, &name))
        return Status::Error(-EBADMSG, "MOUNT EXPORT reply: truncated group");
    }
    paths->push_back(dir);
  }
  if (!xdr.ok()) return Status::Error(-EBADMSG, "MOUNT EXPORT reply: truncated");
  return Status::Ok();
}

}  // namespace localio::harness
