/* SPDX-License-Identifier: LGPL-3.0-or-later */
// The LOCALIO RPC program as Linux defines it (fs/nfs/localio.c,
// fs/nfsd/localio.c): program 400122 version 1, NULL and
// UUID_IS_LOCAL(opaque uuid[16]) -> void. Our clients send a single-use
// nonce in the uuid field (docs/DESIGN.md, "The handshake slot").
//
// One procedure of our own, far from Linux's numbers: WROTE(export id,
// handles) -> status, sent by a client that wrote files behind the server's
// back, at their fsync or close and before it reads their attributes; the
// server drops its cached attributes of those objects (docs/DESIGN.md,
// "Coherence"). It grants nothing, so it needs no proof of locality.
#ifndef LOCALIO_LOCALIO_PROTO_H
#define LOCALIO_LOCALIO_PROTO_H

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "localio/map_layout.h"
#include "localio/xdr.h"

namespace localio::rpc {

inline constexpr uint32_t kLocalioProgram = 400122;
inline constexpr uint32_t kLocalioVersion = 1;
inline constexpr uint32_t kLocalioProcNull = 0;
inline constexpr uint32_t kLocalioProcUuidIsLocal = 1;
inline constexpr uint32_t kLocalioProcWrote = 0x4c4f0001;  // "LO", 1
inline constexpr size_t kNonceSize = 16;
// Handles per WROTE call, so a call fits the service's 4 KiB record limit.
inline constexpr size_t kWroteMaxHandles = 32;

using Nonce = std::array<uint8_t, kNonceSize>;

// UUID_IS_LOCAL arguments: the 16 bytes as fixed opaque, no length word.
void EncodeUuidIsLocalArgs(const Nonce& nonce, XdrEncoder* out);

// Nothing unless `args` is exactly one fixed opaque[16].
std::optional<Nonce> DecodeUuidIsLocalArgs(std::span<const uint8_t> args);

// WROTE arguments: export_id (u32, < 65536), then an array of at most
// kWroteMaxHandles opaque<kMapMaxHandleLen> handles (the FSAL opaques, as the
// map keys them).
struct WroteArgs {
  uint16_t export_id = 0;
  std::vector<std::span<const uint8_t>> handles;  // point into the record
};
void EncodeWroteArgs(uint16_t export_id, std::span<const std::span<const uint8_t>> handles,
                     XdrEncoder* out);
std::optional<WroteArgs> DecodeWroteArgs(std::span<const uint8_t> args);

// WROTE's result: 0, or a positive errno for the first handle that could
// not be dropped (ENOENT: no such LOCALIO export; EINVAL: not a handle of
// it). The other handles were dropped all the same.
inline constexpr uint32_t kWroteOk = 0;

// LOCALIO names: a LOCALIO call carried through the NFS port, for a client
// that reaches the server only there (a port published by podman or
// Docker, a forward on a node address: the listener's own port is not
// forwarded). The client sends an NFS LOOKUP, in the root directory of one
// of the server's LOCALIO exports, of the name
//   kLocalioNamePrefix + 8 hex digits of the procedure + "." + the hex of
//   its XDR arguments
// (lower case); the FSAL's lookup runs the call (UUID_IS_LOCAL, WROTE with
// one handle) and answers NOENT, as for any name that is not there. Such a
// name is reserved: a file of that name in an export cannot be looked up.
// The answer to UUID_IS_LOCAL is the hello file's, as over the listener.
inline constexpr char kLocalioNamePrefix[] = ".localio.";
inline constexpr size_t kLocalioNameMax = 255;  // NAME_MAX
// The name, or "" when it would be longer than kLocalioNameMax.
std::string EncodeLocalioName(uint32_t proc, std::span<const uint8_t> args);
// True when `name` is exactly such a name; *proc and *args then hold the
// call.
bool DecodeLocalioName(std::string_view name, uint32_t* proc, std::vector<uint8_t>* args);

}  // namespace localio::rpc

#endif  // LOCALIO_LOCALIO_PROTO_H
