// SPDX-License-Identifier: LGPL-3.0-or-later
#include "nfs_port_caller.h"

#include <cerrno>
#include <vector>

#include "localio/localio_proto.h"
#include "localio/wire_handle.h"
#include "localio/xdr.h"

namespace localio::client {

namespace {

constexpr uint32_t kNfsProgram = 100003;
constexpr uint32_t kNfs3ProcLookup = 3;
constexpr uint32_t kNfs4ProcCompound = 1;
constexpr uint32_t kNfs4OpLookup = 15;
constexpr uint32_t kNfs4OpPutfh = 22;
constexpr size_t kNfs3FhMax = 64;
constexpr size_t kNfs4FhMax = 128;
// nfsstat3 and nfsstat4 agree on these.
constexpr uint32_t kNfsOk = 0;
constexpr uint32_t kNfsErrNoent = 2;
constexpr uint32_t kNfsErrAcces = 13;

std::string StatusText(uint32_t status) {
  switch (status) {
    case kNfsOk: return "OK (a file of that name exists)";
    case 1: return "PERM";
    case kNfsErrAcces: return "ACCES (this identity may not look there)";
    case 20: return "NOTDIR";
    case 70: return "STALE (not a handle of this server: the map is another server's)";
    case 10001: return "BADHANDLE (not a handle of this server: the map is another server's)";
    case 10006: return "SERVERFAULT";
    default: return "status " + std::to_string(status);
  }
}

Status Answered(const std::string& peer, int version, uint32_t status) {
  if (status == kNfsErrNoent) return Status::Ok();
  return Status::Error(status == kNfsErrAcces ? -EACCES : -EREMOTE,
                       "the NFS server at " + peer + " answered the LOCALIO name's NFSv" +
                           std::to_string(version) + " LOOKUP with " + StatusText(status));
}

}  // namespace

Status NfsPortCaller::Call(const NameDirectory& dir, uint32_t proc, std::span<const uint8_t> args,
                           std::chrono::milliseconds timeout) {
  const std::string name = rpc::EncodeLocalioName(proc, args);
  if (name.empty()) return Status::Error(-E2BIG, "a LOCALIO call too long for one name");
  uint8_t handle[kNfs4FhMax];
  if (!v3_refused_) {
    const size_t len = BuildWireHandle(dir.export_id, dir.opaque, dir.format, /*pad_v3=*/true,
                                       std::span<uint8_t>(handle, kNfs3FhMax));
    if (len == 0) return Status::Error(-EINVAL, "the map's root handle does not fit its format");
    const Status v3 = CallV3({handle, len}, name, timeout);
    // No NFSv3 at this port (PROG_MISMATCH: Protocols = 4): NFSv4.0 from
    // now on. An export that refuses NFSv3 alone answers ACCES: NFSv4.0
    // is tried for this call.
    if (v3.ok() || (v3.code != -EPROTONOSUPPORT && v3.code != -EACCES)) return v3;
    if (v3.code == -EPROTONOSUPPORT) v3_refused_ = true;
    const size_t len4 = BuildWireHandle(dir.export_id, dir.opaque, dir.format, false,
                                        std::span<uint8_t>(handle, kNfs4FhMax));
    if (len4 == 0) return v3;
    const Status v4 = CallV4({handle, len4}, name, timeout);
    return v4.ok() || v3.code == -EPROTONOSUPPORT ? v4 : v3;
  }
  const size_t len = BuildWireHandle(dir.export_id, dir.opaque, dir.format, /*pad_v3=*/false,
                                     std::span<uint8_t>(handle, kNfs4FhMax));
  if (len == 0) return Status::Error(-EINVAL, "the map's root handle does not fit its format");
  return CallV4({handle, len}, name, timeout);
}

Status NfsPortCaller::CallV3(std::span<const uint8_t> handle, const std::string& name,
                             std::chrono::milliseconds timeout) {
  rpc::XdrEncoder args;
  args.Opaque(handle, kNfs3FhMax);
  args.String(name, rpc::kLocalioNameMax);
  return Send(3, kNfs3ProcLookup, args, timeout);
}

Status NfsPortCaller::CallV4(std::span<const uint8_t> handle, const std::string& name,
                             std::chrono::milliseconds timeout) {
  rpc::XdrEncoder args;
  args.Opaque({}, 0);  // tag
  args.U32(0);         // minor version 0: no session needed for PUTFH + LOOKUP
  args.U32(2);
  args.U32(kNfs4OpPutfh);
  args.Opaque(handle, kNfs4FhMax);
  args.U32(kNfs4OpLookup);
  args.String(name, rpc::kLocalioNameMax);
  return Send(4, kNfs4ProcCompound, args, timeout);
}

Status NfsPortCaller::Send(uint32_t version, uint32_t proc, const rpc::XdrEncoder& args,
                           std::chrono::milliseconds timeout) {
  std::vector<uint8_t> results;
  Status st = connection_.Call({0, kNfsProgram, version, proc, cred_}, args.bytes(), timeout,
                               &results);
  if (!st.ok()) return st;
  // LOOKUP3res and COMPOUND4res both start with the status.
  rpc::XdrDecoder in(results);
  uint32_t status = 0;
  if (!in.U32(&status))
    return Status::Error(-EPROTO, "the NFSv" + std::to_string(version) + " reply from " +
                                      connection_.peer() + " has no status");
  return Answered(connection_.peer(), static_cast<int>(version), status);
}

}  // namespace localio::client
