/* SPDX-License-Identifier: LGPL-3.0-or-later */
// Test data: a file of `size` pseudo-random bytes, the same bytes for the
// same seed (std::mt19937_64), so a copy can be checked by its checksum.
#pragma once

#include <cstdint>
#include <string>

#include "localio/status.h"

namespace localio::harness {

// Creates or truncates `path`; an error names the path.
Status WriteRandomFile(const std::string& path, uint64_t size, uint64_t seed);

// The SHA-256 of a file in hex (sha256sum's), or "error: ..." naming the
// failure: never equal to a checksum.
std::string Sha256File(const std::string& path);

}  // namespace localio::harness
