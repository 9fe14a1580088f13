// A small streaming JSON writer for the tools' --json output: no third-party
// library, strings escaped per RFC 8259, commas placed by the writer. The
// caller keeps begin/end and key/value calls balanced; nothing is checked
// beyond that.
#ifndef LOCALIO_TOOLS_JSON_WRITER_H
#define LOCALIO_TOOLS_JSON_WRITER_H

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace localio::tools {

class JsonWriter {
 public:
  void BeginObject();
  void EndObject();
  void BeginArray();
  void EndArray();
  // The next value belongs to this key (inside an object).
  void Key(std::string_view key);

  void String(std::string_view value);
  void Uint(uint64_t value);
  void Int(int64_t value);
  void Bool(bool value);
  void Null();

  // Key + value in one call.
  void Field(std::string_view key, std::string_view value) { Key(key); String(value); }
  void Field(std::string_view key, const char* value) { Key(key); String(value); }
  void Field(std::string_view key, uint64_t value) { Key(key); Uint(value); }
  void Field(std::string_view key, uint32_t value) { Key(key); Uint(value); }
  void Field(std::string_view key, uint16_t value) { Key(key); Uint(value); }
  void Field(std::string_view key, bool value) { Key(key); Bool(value); }

  // The document so far (complete once every Begin has its End).
  const std::string& text() const { return out_; }

 private:
  void BeforeValue();
  void Open(char bracket);
  void Close(char bracket);

  std::string out_;
  std::vector<bool> has_items_;  // per open container: a value was written
  bool after_key_ = false;
};

// `value` as a JSON string literal, quotes included. Control characters,
// '"' and '\\' are escaped; valid UTF-8 passes through; every byte that is
// not part of a valid UTF-8 sequence (paths are arbitrary bytes) becomes
// U+FFFD so that the output is always valid JSON.
std::string JsonQuote(std::string_view value);

}  // namespace localio::tools

#endif  // LOCALIO_TOOLS_JSON_WRITER_H
