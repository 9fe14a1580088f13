/* SPDX-License-Identifier: LGPL-3.0-or-later */
// What localio-stat shows, read from a map and its hello file: a plain copy
// taken with MapReader and ReadHelloSlots (read-only; the map and the hello
// file are never written), and whether clients would trust them. Kept apart from rendering so tests and other
// tools can use the same snapshot.
#ifndef LOCALIO_TOOLS_STAT_REPORT_H
#define LOCALIO_TOOLS_STAT_REPORT_H

#include <cstdint>
#include <string>
#include <vector>

#include "localio/hello_area.h"
#include "localio/map_types.h"

namespace localio::tools {


struct StatReport {
  std::string map_path;
  uint32_t server_uid = 0;    // the uid the map was checked against
  std::string trust_error;    // why clients would not trust the map; "" if they would
  MapHeaderSnapshot header;
  uint64_t heartbeat_age_ms = 0;  // now - heartbeat (CLOCK_MONOTONIC), >= 0
  std::vector<MapExport> exports;  // by export id
  bool has_entries = false;        // entries were collected
  std::vector<MapEntry> entries;   // by export id, then path
  std::string hello_path;          // map_path + ".hello"
  std::string hello_error;         // why the hello file was not read; "" if read
  std::vector<HelloSlotView> hello_slots;  // non-free slots, by index
};

// Reads the map at `map_path` (and, with `with_entries`, every valid entry)
// and the hello file beside it. A map that clients of a server running as
// `server_uid` would not trust (MapReader::Open: owner, mode, directory) is
// still read, and `trust_error` says why it is not trusted. An unusable map
// (missing, not a map, truncated, header never settled) is an error naming
// the problem; an unreadable or untrusted hello file is not: it is
// reported in `hello_error`.
Status CollectStatReport(const std::string& map_path, uint32_t server_uid, bool with_entries,
                         StatReport* out);

// Lower-case hex of `bytes`.
std::string HexOf(const uint8_t* bytes, size_t len);

// Names used in both outputs.
const char* SquashName(MapSquash squash);
const char* ObjectTypeName(MapObjectType type);
const char* HelloStateName(HelloState state);

}  // namespace localio::tools

#endif  // LOCALIO_TOOLS_STAT_REPORT_H
