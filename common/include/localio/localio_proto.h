// The LOCALIO RPC program as Linux defines it (fs/nfs/localio.c,
// fs/nfsd/localio.c): program 400122 version 1, NULL and
// UUID_IS_LOCAL(opaque uuid[16]) -> void. Our clients send a single-use
// nonce in the uuid field (DESIGN.md, "Handshake").
#ifndef LOCALIO_LOCALIO_PROTO_H
#define LOCALIO_LOCALIO_PROTO_H

#include <array>
#include <cstdint>
#include <optional>
#include <span>

#include "localio/xdr.h"

namespace localio::rpc {

inline constexpr uint32_t kLocalioProgram = 400122;
inline constexpr uint32_t kLocalioVersion = 1;
inline constexpr uint32_t kLocalioProcNull = 0;
inline constexpr uint32_t kLocalioProcUuidIsLocal = 1;
inline constexpr size_t kNonceSize = 16;

using Nonce = std::array<uint8_t, kNonceSize>;

// UUID_IS_LOCAL arguments: the 16 bytes as fixed opaque, no length word.
void EncodeUuidIsLocalArgs(const Nonce& nonce, XdrEncoder* out);

// Nothing unless `args` is exactly one fixed opaque[16].
std::optional<Nonce> DecodeUuidIsLocalArgs(std::span<const uint8_t> args);

}  // namespace localio::rpc

#endif  // LOCALIO_LOCALIO_PROTO_H
