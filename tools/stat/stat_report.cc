// SPDX-License-Identifier: LGPL-3.0-or-later
#include "stat_report.h"

#include <algorithm>
#include <cerrno>
#include <memory>

#include "localio/clock.h"
#include "localio/map_reader.h"

namespace localio::tools {

std::string HexOf(const uint8_t* bytes, size_t len) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(len * 2);
  for (size_t i = 0; i < len; ++i) {
    out += kDigits[bytes[i] >> 4];
    out += kDigits[bytes[i] & 0xf];
  }
  return out;
}

const char* SquashName(MapSquash squash) {
  switch (squash) {
    case MapSquash::kNone: return "none";
    case MapSquash::kRootSquash: return "root_squash";
    case MapSquash::kRootIdSquash: return "root_id_squash";
    case MapSquash::kAllSquash: return "all_squash";
  }
  return "unknown";
}

const char* ObjectTypeName(MapObjectType type) {
  switch (type) {
    case MapObjectType::kUnknown: return "unknown";
    case MapObjectType::kRegular: return "regular";
    case MapObjectType::kDirectory: return "directory";
    case MapObjectType::kSymlink: return "symlink";
    case MapObjectType::kOther: return "other";
  }
  return "unknown";
}

const char* HelloStateName(HelloState state) {
  switch (state) {
    case kHelloFree: return "free";
    case kHelloClaimed: return "claimed";
    case kHelloNonceSet: return "nonce_set";
    case kHelloConfirmed: return "confirmed";
  }
  return "unknown";
}

Status CollectStatReport(const std::string& map_path, uint32_t server_uid, bool with_entries,
                         StatReport* out) {
  StatReport r;
  r.map_path = map_path;
  r.server_uid = server_uid;
  std::unique_ptr<MapReader> reader;
  Status st = MapReader::Open(map_path, server_uid, &reader);
  if (st.code == kNotTrusted) {
    // A person debugging wants to see it all the same, told plainly.
    r.trust_error = st.message;
    st = MapReader::OpenUntrusted(map_path, &reader);
  }
  if (!st.ok()) return st;
  if (!reader->ReadHeader(&r.header)) {
    return Status::Error(-EAGAIN, "map " + map_path +
                                      " is not usable: its header kept changing while read");
  }
  const uint64_t now = SystemClock().NowMs();
  r.heartbeat_age_ms = now > r.header.heartbeat_ms ? now - r.header.heartbeat_ms : 0;

  // The reader finds rows by id only; the whole id space is 65536 lookups
  // of a 1 KiB key array, a few milliseconds for a tool.
  for (uint32_t id = 0; id <= UINT16_MAX; ++id) {
    if (auto row = reader->FindExport(static_cast<uint16_t>(id))) r.exports.push_back(*row);
  }

  if (with_entries) {
    r.has_entries = true;
    reader->ForEachEntry([&](const MapEntry& e) { r.entries.push_back(e); });
    std::sort(r.entries.begin(), r.entries.end(), [](const MapEntry& a, const MapEntry& b) {
      if (a.export_id != b.export_id) return a.export_id < b.export_id;
      return a.path() < b.path();
    });
  }

  r.hello_path = map_path + ".hello";
  if (Status hst = ReadHelloSlots(r.hello_path, server_uid, &r.hello_slots); !hst.ok()) {
    r.hello_error = hst.message;
    r.hello_slots.clear();
  }
  *out = std::move(r);
  return Status::Ok();
}

}  // namespace localio::tools
