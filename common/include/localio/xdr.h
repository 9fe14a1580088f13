/* SPDX-License-Identifier: LGPL-3.0-or-later */
// XDR (RFC 4506) primitives: a decoder over a bounded byte span and an
// encoder into a growable buffer. The decoder never reads past its span; a
// failed read leaves the decoder failed (sticky), so a caller may decode a
// whole structure and check ok() once.
#ifndef LOCALIO_XDR_H
#define LOCALIO_XDR_H

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace localio::rpc {

class XdrDecoder {
 public:
  // `bytes` must stay alive while the decoder and any span it returned are used.
  explicit XdrDecoder(std::span<const uint8_t> bytes) : bytes_(bytes) {}

  // Each read returns false (and fails the decoder) when the input is short
  // or a length exceeds its maximum; outputs are untouched on failure.
  bool U32(uint32_t* value);
  bool U64(uint64_t* value);
  bool Bool(bool* value);  // only 0 or 1 are valid
  // `size` bytes plus zero padding to a multiple of 4.
  bool FixedOpaque(size_t size, std::span<const uint8_t>* value);
  bool FixedOpaque(std::span<uint8_t> out);
  // A length word (<= max), the bytes and their padding.
  bool Opaque(size_t max, std::span<const uint8_t>* value);
  bool String(size_t max, std::string* value);

  bool ok() const { return ok_; }
  size_t remaining() const { return ok_ ? bytes_.size() - pos_ : 0; }
  // The bytes not yet decoded (empty when failed).
  std::span<const uint8_t> rest() const {
    return ok_ ? bytes_.subspan(pos_) : std::span<const uint8_t>{};
  }

 private:
  bool Fail() { ok_ = false; return false; }

  std::span<const uint8_t> bytes_;
  size_t pos_ = 0;
  bool ok_ = true;
};

class XdrEncoder {
 public:
  void U32(uint32_t value);
  void U64(uint64_t value);
  void Bool(bool value) { U32(value ? 1 : 0); }
  void FixedOpaque(std::span<const uint8_t> value);  // no length word
  // False (nothing written) when longer than `max`.
  bool Opaque(std::span<const uint8_t> value, size_t max);
  bool String(std::string_view value, size_t max);
  void Raw(std::span<const uint8_t> value);  // already-encoded XDR

  const std::vector<uint8_t>& bytes() const { return out_; }
  std::vector<uint8_t> Take() { return std::move(out_); }

 private:
  std::vector<uint8_t> out_;
};

}  // namespace localio::rpc

#endif  // LOCALIO_XDR_H
