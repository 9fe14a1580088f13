// SPDX-License-Identifier: LGPL-3.0-or-later
#include "localio/wire_handle.h"

#include <algorithm>

namespace localio {

bool FhFormatIsSane(const localio_fh_format& f) {
  if (f.header_len == 0 || f.header_len > 16) return false;
  if (f.export_id_size != 1 && f.export_id_size != 2 && f.export_id_size != 4)
    return false;
  if (f.export_id_offset == 0 ||
      f.export_id_offset + f.export_id_size > f.header_len)
    return false;
  if (f.opaque_len_offset == 0 || f.opaque_len_offset >= f.header_len)
    return false;
  // The export id and the opaque length must not overlap.
  if (f.opaque_len_offset >= f.export_id_offset &&
      f.opaque_len_offset < f.export_id_offset + f.export_id_size)
    return false;
  if (f.v3_pad_multiple == 0 || f.v3_pad_multiple > 8) return false;
  if (f.max_opaque_len == 0) return false;
  return true;
}

std::optional<WireHandle> ParseWireHandle(std::span<const uint8_t> handle,
                                          const localio_fh_format& f) {
  if (!FhFormatIsSane(f) || handle.size() < f.header_len) return std::nullopt;
  if (handle[0] != f.version_byte) return std::nullopt;
  const size_t opaque_len = handle[f.opaque_len_offset];
  if (opaque_len == 0 || opaque_len > f.max_opaque_len) return std::nullopt;
  const size_t used = f.header_len + opaque_len;
  if (used > handle.size()) return std::nullopt;
  // Anything after the opaque bytes can only be v3 padding: zeroes, shorter
  // than the padding multiple.
  const size_t tail = handle.size() - used;
  if (tail >= f.v3_pad_multiple) return std::nullopt;
  for (size_t i = used; i < handle.size(); ++i)
    if (handle[i] != 0) return std::nullopt;

  uint32_t id = 0;
  for (size_t i = 0; i < f.export_id_size; ++i) {
    const size_t idx = f.export_id_big_endian ? i : f.export_id_size - 1 - i;
    id = (id << 8) | handle[f.export_id_offset + idx];
  }
  return WireHandle{id, handle.subspan(f.header_len, opaque_len)};
}

size_t BuildWireHandle(uint32_t export_id, std::span<const uint8_t> opaque,
                       const localio_fh_format& f, bool pad_v3,
                       std::span<uint8_t> out) {
  if (!FhFormatIsSane(f) || opaque.empty() ||
      opaque.size() > f.max_opaque_len)
    return 0;
  if (f.export_id_size < 4 && export_id >> (8 * f.export_id_size) != 0)
    return 0;
  size_t len = f.header_len + opaque.size();
  if (pad_v3) len = (len + f.v3_pad_multiple - 1) / f.v3_pad_multiple * f.v3_pad_multiple;
  if (len > out.size()) return 0;

  std::fill(out.begin(), out.begin() + len, uint8_t{0});
  out[0] = f.version_byte;
  for (size_t i = 0; i < f.export_id_size; ++i) {
    const size_t idx = f.export_id_big_endian ? f.export_id_size - 1 - i : i;
    out[f.export_id_offset + idx] = static_cast<uint8_t>(export_id >> (8 * i));
  }
  out[f.opaque_len_offset] = static_cast<uint8_t>(opaque.size());
  std::copy(opaque.begin(), opaque.end(), out.begin() + f.header_len);
  return len;
}

}  // namespace localio
