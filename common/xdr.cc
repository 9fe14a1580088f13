// SPDX-License-Identifier: LGPL-3.0-or-later
#include "localio/xdr.h"

#include <cstring>

namespace localio::rpc {
namespace {

size_t Padding(size_t size) { return (4 - size % 4) % 4; }

}  // namespace

bool XdrDecoder::U32(uint32_t* value) {
  if (!ok_ || bytes_.size() - pos_ < 4) return Fail();
  const uint8_t* p = bytes_.data() + pos_;
  *value = uint32_t{p[0]} << 24 | uint32_t{p[1]} << 16 | uint32_t{p[2]} << 8 |
           uint32_t{p[3]};
  pos_ += 4;
  return true;
}

bool XdrDecoder::U64(uint64_t* value) {
  uint32_t high = 0, low = 0;
  if (!U32(&high) || !U32(&low)) return false;
  *value = uint64_t{high} << 32 | low;
  return true;
}

bool XdrDecoder::Bool(bool* value) {
  uint32_t word = 0;
  if (!U32(&word)) return false;
  if (word > 1) return Fail();
  *value = word == 1;
  return true;
}

bool XdrDecoder::FixedOpaque(size_t size, std::span<const uint8_t>* value) {
  if (!ok_) return false;
  const size_t left = bytes_.size() - pos_;
  // Compare without adding to `size`: it may come from the wire.
  if (size > left || Padding(size) > left - size) return Fail();
  *value = bytes_.subspan(pos_, size);
  pos_ += size + Padding(size);
  return true;
}

bool XdrDecoder::FixedOpaque(std::span<uint8_t> out) {
  std::span<const uint8_t> in;
  if (!FixedOpaque(out.size(), &in)) return false;
  if (!in.empty()) std::memcpy(out.data(), in.data(), in.size());
  return true;
}

bool XdrDecoder::Opaque(size_t max, std::span<const uint8_t>* value) {
  uint32_t size = 0;
  if (!U32(&size)) return false;
  if (size > max) return Fail();
  return FixedOpaque(size, value);
}

bool XdrDecoder::String(size_t max, std::string* value) {
  std::span<const uint8_t> bytes;
  if (!Opaque(max, &bytes)) return false;
  value->assign(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  return true;
}

void XdrEncoder::U32(uint32_t value) {
  const uint8_t word[4] = {static_cast<uint8_t>(value >> 24),
                           static_cast<uint8_t>(value >> 16),
                           static_cast<uint8_t>(value >> 8),
                           static_cast<uint8_t>(value)};
  out_.insert(out_.end(), word, word + 4);
}

void XdrEncoder::U64(uint64_t value) {
  U32(static_cast<uint32_t>(value >> 32));
  U32(static_cast<uint32_t>(value));
}

void XdrEncoder::FixedOpaque(std::span<const uint8_t> value) {
  out_.insert(out_.end(), value.begin(), value.end());
  out_.insert(out_.end(), Padding(value.size()), uint8_t{0});
}

bool XdrEncoder::Opaque(std::span<const uint8_t> value, size_t max) {
  if (value.size() > max || value.size() > UINT32_MAX) return false;
  U32(static_cast<uint32_t>(value.size()));
  FixedOpaque(value);
  return true;
}

bool XdrEncoder::String(std::string_view value, size_t max) {
  return Opaque({reinterpret_cast<const uint8_t*>(value.data()), value.size()},
                max);
}

void XdrEncoder::Raw(std::span<const uint8_t> value) {
  out_.insert(out_.end(), value.begin(), value.end());
}

}  // namespace localio::rpc
