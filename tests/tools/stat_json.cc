// SPDX-License-Identifier: LGPL-3.0-or-later
#include "stat_json.h"

#include <chrono>
#include <cstdlib>
#include <stdexcept>

#include "harness/process.h"

namespace localio::tools {

uint64_t UintAt(const nlohmann::json& v, const char* key) {
  const nlohmann::json& m = v.at(key);
  if (!m.is_number_unsigned())
    throw std::domain_error(std::string(key) + " is not a non-negative integer: " + m.dump());
  return m.get<uint64_t>();
}

bool StatEntries(const nlohmann::json& doc, std::vector<StatEntry>* out, std::string* error) {
  std::vector<StatEntry> entries;
  try {
    const nlohmann::json& all = doc.at("entries");
    if (!all.is_array()) throw std::domain_error("not an array");
    for (const nlohmann::json& e : all) {
      const uint64_t id = UintAt(e, "export_id");
      if (id > UINT16_MAX) throw std::domain_error("export_id " + std::to_string(id));
      entries.push_back({static_cast<uint16_t>(id), e.at("handle").get<std::string>(),
                         e.at("type").get<std::string>(), UintAt(e, "ino"), UintAt(e, "dev"),
                         UintAt(e, "generation"), e.at("path").get<std::string>()});
    }
  } catch (const std::exception& ex) {
    *error = std::string("\"entries\": ") + ex.what();
    return false;
  }
  *out = std::move(entries);
  return true;
}

std::string HexBytes(const void* data, size_t len) {
  static constexpr char kDigits[] = "0123456789abcdef";
  const auto* p = static_cast<const uint8_t*>(data);
  std::string out;
  for (size_t i = 0; i < len; ++i) {
    out += kDigits[p[i] >> 4];
    out += kDigits[p[i] & 0xf];
  }
  return out;
}

std::string LocalioStatTool() { return LOCALIO_STAT_TOOL; }

bool RunLocalioStatJson(const std::string& map_path, nlohmann::json* out, std::string* error) {
  harness::CommandResult r;
  Status s =
      harness::RunCommand({LocalioStatTool(), "--json", map_path}, std::chrono::seconds(30), &r);
  if (!s.ok()) {
    *error = s.message;
    return false;
  }
  if (!r.Succeeded()) {
    *error = "localio-stat --json " + map_path + ": " + r.Describe();
    return false;
  }
  try {
    *out = nlohmann::json::parse(r.out);
  } catch (const nlohmann::json::parse_error& ex) {
    *error = std::string("localio-stat --json output is not JSON: ") + ex.what();
    return false;
  }
  return true;
}

}  // namespace localio::tools
