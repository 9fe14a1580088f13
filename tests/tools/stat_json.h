// Reading localio-stat --json output in tests: a minimal JSON parser (enough
// for what the tool writes: objects, arrays, strings with escapes, integers,
// booleans, null), typed views of the parts tests look at, and running the
// built tool. For tests only; the tool itself never parses JSON.
#ifndef LOCALIO_TESTS_STAT_JSON_H
#define LOCALIO_TESTS_STAT_JSON_H

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace localio::tools {

struct JsonValue {
  enum class Kind { kNull, kBool, kNumber, kString, kArray, kObject };
  Kind kind = Kind::kNull;
  bool boolean = false;
  std::string text;  // a string's value, or a number's literal
  std::vector<JsonValue> items;
  std::vector<std::pair<std::string, JsonValue>> members;

  // The member named `key` of an object; nullptr if absent or not an object.
  const JsonValue* Find(std::string_view key) const;
  // The value when it is a non-negative integer that fits.
  std::optional<uint64_t> Uint() const;
  bool IsNull() const { return kind == Kind::kNull; }
};

// Parses one JSON document (surrounding whitespace allowed). False and
// `*error` set (with the byte offset) on anything else.
bool ParseJson(std::string_view text, JsonValue* out, std::string* error);

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
// `*error`) when it is missing or an element lacks a field.
bool StatEntries(const JsonValue& doc, std::vector<StatEntry>* out, std::string* error);

// Lower-case hex of bytes, as localio-stat writes handles and instance ids.
std::string HexBytes(const void* data, size_t len);

// The built localio-stat binary.
std::string LocalioStatTool();

// Runs `localio-stat --json map_path` and parses its output. False with
// `*error` naming the exit status, stderr or the parse error.
bool RunLocalioStatJson(const std::string& map_path, JsonValue* out, std::string* error);

}  // namespace localio::tools

#endif  // LOCALIO_TESTS_STAT_JSON_H
