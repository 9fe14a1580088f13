// SPDX-License-Identifier: LGPL-3.0-or-later
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

void EncodeWroteArgs(uint16_t export_id, std::span<const std::span<const uint8_t>> handles,
                     XdrEncoder* out) {
  out->U32(export_id);
  out->U32(static_cast<uint32_t>(handles.size()));
  for (std::span<const uint8_t> h : handles) out->Opaque(h, kMapMaxHandleLen);
}

std::optional<WroteArgs> DecodeWroteArgs(std::span<const uint8_t> args) {
  XdrDecoder in(args);
  uint32_t export_id = 0, count = 0;
  if (!in.U32(&export_id) || export_id > 0xffff || !in.U32(&count) ||
      count > kWroteMaxHandles)
    return std::nullopt;
  WroteArgs out;
  out.export_id = static_cast<uint16_t>(export_id);
  for (uint32_t i = 0; i < count; ++i) {
    std::span<const uint8_t> h;
    if (!in.Opaque(kMapMaxHandleLen, &h) || h.empty()) return std::nullopt;
    out.handles.push_back(h);
  }
  if (in.remaining() != 0) return std::nullopt;
  return out;
}

}  // namespace localio::rpc
