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

namespace {

constexpr char kHex[] = "0123456789abcdef";

void AppendHex(uint8_t byte, std::string* out) {
  out->push_back(kHex[byte >> 4]);
  out->push_back(kHex[byte & 15]);
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;  // upper case is not the encoding's: one name per call
}

}  // namespace

std::string EncodeLocalioName(uint32_t proc, std::span<const uint8_t> args) {
  const size_t size = sizeof kLocalioNamePrefix - 1 + 8 + 1 + 2 * args.size();
  if (size > kLocalioNameMax) return {};
  std::string name(kLocalioNamePrefix);
  name.reserve(size);
  for (int shift = 24; shift >= 0; shift -= 8) AppendHex(static_cast<uint8_t>(proc >> shift), &name);
  name.push_back('.');
  for (uint8_t b : args) AppendHex(b, &name);
  return name;
}

bool DecodeLocalioName(std::string_view name, uint32_t* proc, std::vector<uint8_t>* args) {
  const std::string_view prefix(kLocalioNamePrefix);
  if (name.size() > kLocalioNameMax || name.substr(0, prefix.size()) != prefix) return false;
  name.remove_prefix(prefix.size());
  if (name.size() < 9 || name[8] != '.' || (name.size() - 9) % 2 != 0) return false;
  uint32_t p = 0;
  for (size_t i = 0; i < 8; ++i) {
    const int v = HexValue(name[i]);
    if (v < 0) return false;
    p = p << 4 | static_cast<uint32_t>(v);
  }
  std::vector<uint8_t> bytes((name.size() - 9) / 2);
  for (size_t i = 0; i < bytes.size(); ++i) {
    const int hi = HexValue(name[9 + 2 * i]), lo = HexValue(name[10 + 2 * i]);
    if (hi < 0 || lo < 0) return false;
    bytes[i] = static_cast<uint8_t>(hi << 4 | lo);
  }
  *proc = p;
  *args = std::move(bytes);
  return true;
}

}  // namespace localio::rpc
