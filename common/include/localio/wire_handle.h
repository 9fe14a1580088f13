/* SPDX-License-Identifier: LGPL-3.0-or-later */
// Parsing a server's wire file handle into (export id, FSAL opaque bytes).
// The one place that knows how a handle is laid out; the layout itself comes
// from the server (struct localio_fh_format in the map header).
#ifndef LOCALIO_WIRE_HANDLE_H
#define LOCALIO_WIRE_HANDLE_H

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

#include "localio/fh_format.h"

namespace localio {

struct WireHandle {
  uint32_t export_id = 0;
  std::span<const uint8_t> opaque;  // points into the caller's bytes
};

// True when the descriptor describes a layout this parser can follow
// (offsets inside the header, export id of 1, 2 or 4 bytes, ...).
bool FhFormatIsSane(const localio_fh_format& format);

// Splits `handle` (as sent on the wire, v3 or v4) according to `format`.
// Returns nothing when the handle does not follow the format: wrong version
// byte, too short, opaque length beyond the handle or beyond the format's
// maximum, or non-zero bytes in the v3 padding.
std::optional<WireHandle> ParseWireHandle(std::span<const uint8_t> handle,
                                          const localio_fh_format& format);

// Builds a wire handle for `export_id` and `opaque` (what the server would
// send; used by tests and tools). `pad_v3` pads to the v3 multiple.
// Returns the length written, or 0 when `out` is too small or the values do
// not fit the format.
size_t BuildWireHandle(uint32_t export_id, std::span<const uint8_t> opaque,
                       const localio_fh_format& format, bool pad_v3,
                       std::span<uint8_t> out);

}  // namespace localio

#endif  // LOCALIO_WIRE_HANDLE_H
