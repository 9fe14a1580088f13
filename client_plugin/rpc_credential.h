/* SPDX-License-Identifier: LGPL-3.0-or-later */
// The identity the RPCs of an nfs_context carry: the AUTH_SYS credential
// its rpc_context holds now, however it was set (a URL's ?uid=&gid=,
// nfs_set_uid/nfs_set_gid, nfs_set_auxiliary_gids in libnfs 5,
// nfs_set_auth/rpc_set_auth, or libnfs's default: the process's real uid
// and gid, no groups). Local I/O acts as exactly that identity
// (credentials.h), so the bypass follows the wire by construction.
//
// libnfs has no getter. struct rpc_context is private, but the struct AUTH
// it holds is public (nfsc/libnfs-zdr.h: ah_cred is the credential's flavor
// and XDR body, the same in libnfs 4.0 and 5.0.2). Where the context keeps
// its AUTH pointer is found once per process by a probe on the very
// library the context comes from (ProbeAuthOffset), never assumed; the
// body is decoded with the project's RPC codec. When the probe or the
// credential gives no AUTH_SYS identity, no local I/O can act as the RPC
// identity: the caller sends everything through RPC.
#ifndef LOCALIO_CLIENT_RPC_CREDENTIAL_H
#define LOCALIO_CLIENT_RPC_CREDENTIAL_H

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

#include "credentials.h"
#include "libnfs_calls.h"
#include "localio/rpc_codec.h"
#include "localio/status.h"

namespace localio::client {

// How far into an rpc_context the probe looks for the AUTH pointer (libnfs
// 4.0 and 5.0.2 keep it at 0x30).
inline constexpr size_t kAuthProbeBytes = 512;

// The identity in a credential as struct opaque_auth holds it (`flavor`,
// `body`). AUTH_NONE, another flavor or a body that is not exactly one
// authsys_parms within RFC 5531's bounds is an error naming it.
Status DecodeCredential(uint32_t flavor, std::span<const uint8_t> body, Identity* out);

// Where `libnfs`'s rpc_context keeps its struct AUTH pointer: a scratch
// rpc_context is given an AUTH_SYS credential of distinctive ids
// (rpc_set_auth), and the pointer must be found exactly once, aligned, in
// its first kAuthProbeBytes, and decode to those ids; the context is
// destroyed after. Anything else is an error saying what was seen.
Status ProbeAuthOffset(const LibnfsCalls& libnfs, size_t* offset);

// ProbeAuthOffset's answer for the process, probed at the first call. A
// process has one libnfs: the C API links it, the shim serves only the one
// it was built for.
Status AuthOffset(const LibnfsCalls& libnfs, size_t* offset);

// The credential of one nfs_context. Read decodes it; Current tells, at the
// cost of a few loads and a compare, whether it is still the one Read
// last saw: the bytes are compared, not the AUTH pointer, since libnfs
// frees the old AUTH when it sets a new one and malloc may give the next
// one the same address. One thread at a time, like the context.
class RpcCredential {
 public:
  // `libnfs` needs get_rpc_context and what ProbeAuthOffset uses.
  RpcCredential(const LibnfsCalls& libnfs, nfs_context* nfs);

  // The context's identity now, or why there is none (the probe failed,
  // AUTH_NONE, another flavor, a malformed body). Either way Current()
  // then holds until the credential changes.
  Status Read(Identity* out);
  // False when the credential changed since the last Read (or there was
  // none). Always true when nothing can be read (Read keeps saying why).
  bool Current() const;

 private:
  const AUTH* Auth() const;

  Status unreadable_;  // why no credential can be read at all
  const unsigned char* slot_ = nullptr;  // where the rpc_context keeps its AUTH*
  bool seen_ = false;  // Read ran since construction
  bool null_auth_ = false;  // ... and found no AUTH at all
  uint32_t flavor_ = 0;
  uint32_t length_ = 0;  // oa_length as seen (may exceed the copy)
  std::array<uint8_t, rpc::kMaxAuthBody> body_{};
};

}  // namespace localio::client

#endif  // LOCALIO_CLIENT_RPC_CREDENTIAL_H
