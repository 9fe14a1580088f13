#include "localio/localio_proto.h"

namespace localio::rpc {

void EncodeUuidIsLocalArgs(const Nonce& nonce, XdrEncoder* out) {
  out->FixedOpaque(nonce);
}

std::optional<Nonce> DecodeUuidIsLocalArgs(std::span<const uint8_t> args) {
  Nonce nonce{};
  XdrDecoder in(args);
  if (!in.FixedOpaque(nonce) || in.remaining() != 0) return std::nullopt;
  return nonce;
}

}  // namespace localio::rpc
