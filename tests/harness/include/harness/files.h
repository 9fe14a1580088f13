/* SPDX-License-Identifier: LGPL-3.0-or-later */
// A whole file in and out of a string, for tests: the bytes as they are (no
// newline translation), in a std::string because that is what tests compare
// and search. Reads go to the end of the file, not to its stat size, so
// /proc files and files another process is growing read whole too.
#pragma once

#include <string>
#include <string_view>

namespace localio::harness {

// The whole content of `path` into *bytes. False, with *bytes empty, when it
// cannot be opened or read (errno says why).
bool ReadFile(const std::string& path, std::string* bytes);
// The same, "" on any error: for tests that compare or search the content,
// where a missing file shows as a mismatch anyway.
std::string ReadFile(const std::string& path);

// Creates or truncates `path` (mode 0644, less the umask) and writes `bytes`
// as its whole content. False on any error (errno says why).
bool WriteFile(const std::string& path, std::string_view bytes);

}  // namespace localio::harness
