/* SPDX-License-Identifier: LGPL-3.0-or-later */
// Hand-built CALL records for tests, including ones our encoder refuses to
// make (other RPC versions, unknown flavours, oversized credentials).
#ifndef LOCALIO_TESTS_RPC_CALL_BYTES_H
#define LOCALIO_TESTS_RPC_CALL_BYTES_H

#include <cstdint>
#include <vector>

#include "localio/localio_proto.h"
#include "localio/rpc_codec.h"
#include "localio/xdr.h"

namespace localio::rpc::testing {

struct RawCall {
  uint32_t xid = 0x1234;
  uint32_t rpcvers = kRpcVersion;
  uint32_t prog = kLocalioProgram;
  uint32_t vers = kLocalioVersion;
  uint32_t proc = kLocalioProcNull;
  uint32_t cred_flavor = 0;
  std::vector<uint8_t> cred_body;
  uint32_t verf_flavor = 0;
  std::vector<uint8_t> verf_body;
  std::vector<uint8_t> args;

  std::vector<uint8_t> Bytes() const {
    XdrEncoder out;
    out.U32(xid);
    out.U32(0);  // CALL
    out.U32(rpcvers);
    out.U32(prog);
    out.U32(vers);
    out.U32(proc);
    out.U32(cred_flavor);
    out.Opaque(cred_body, SIZE_MAX);
    out.U32(verf_flavor);
    out.Opaque(verf_body, SIZE_MAX);
    out.Raw(args);
    return out.Take();
  }
};

inline AuthSys SampleAuthSys() {
  AuthSys sys;
  sys.stamp = 42;
  sys.machine_name = "client-host";
  sys.uid = 1000;
  sys.gid = 100;
  sys.gids = {4, 24, 27};
  return sys;
}

inline std::vector<uint8_t> AuthSysBody(const AuthSys& sys) {
  XdrEncoder out;
  out.U32(sys.stamp);
  out.String(sys.machine_name, SIZE_MAX);
  out.U32(sys.uid);
  out.U32(sys.gid);
  out.U32(static_cast<uint32_t>(sys.gids.size()));
  for (uint32_t gid : sys.gids) out.U32(gid);
  return out.Take();
}

inline Nonce SampleNonce() {
  Nonce nonce;
  for (size_t i = 0; i < nonce.size(); ++i) nonce[i] = static_cast<uint8_t>(0xa0 + i);
  return nonce;
}

}  // namespace localio::rpc::testing

#endif  // LOCALIO_TESTS_RPC_CALL_BYTES_H
