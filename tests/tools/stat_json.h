/* SPDX-License-Identifier: LGPL-3.0-or-later */
// Reading localio-stat --json output in tests: the document as nlohmann-json
// holds it, typed entries, and running the built tool. For tests only; the
// tool itself never parses JSON.
#ifndef LOCALIO_TESTS_STAT_JSON_H
#define LOCALIO_TESTS_STAT_JSON_H

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace localio::tools {

// v[key] when it is a non-negative integer. Throws (an std::exception) when
// it is absent or of another type: get<uint64_t>() alone takes -1 or 1.5.
uint64_t UintAt(const nlohmann::json& v, const char* key);

// One element of "entries".
struct StatEntry {
  uint16_t export_id = 0;
  std::string handle_hex;
  std::string type;
  uint64_t ino = 0;
  uint64_t dev = 0;
  uint64_t generation = 0;
  std::string path;
};

// The "entries" array of a localio-stat --json document; false (and
// `*error`) when it is missing or an element lacks a field or has one of
// another type.
bool StatEntries(const nlohmann::json& doc, std::vector<StatEntry>* out, std::string* error);

// Lower-case hex of bytes, as localio-stat writes handles and instance ids.
std::string HexBytes(const void* data, size_t len);

// The built localio-stat binary.
std::string LocalioStatTool();

// Runs `localio-stat --json map_path` and parses its output. False with
// `*error` naming the exit status, stderr or the parse error.
bool RunLocalioStatJson(const std::string& map_path, nlohmann::json* out, std::string* error);

}  // namespace localio::tools

#endif  // LOCALIO_TESTS_STAT_JSON_H
