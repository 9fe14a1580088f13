/* SPDX-License-Identifier: LGPL-3.0-or-later */
// What localio-stat shows, read from a map and its hello file: a plain copy
// taken with MapReader and ReadHelloSlots (read-only; the map and the hello
// file are never written). Kept apart from rendering so tests and other
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
// and the hello file beside it. An unusable map (missing, not a map,
// truncated, header never settled) is an error naming the problem; an
// unreadable hello file is not: it is reported in `hello_error`.
Status CollectStatReport(const std::string& map_path, bool with_entries, StatReport* out);

// Lower-case hex of `bytes`.
std::string HexOf(const uint8_t* bytes, size_t len);

// Names used in both outputs.
const char* SquashName(MapSquash squash);
const char* ObjectTypeName(MapObjectType type);
const char* HelloStateName(HelloState state);

}  // namespace localio::tools

#endif  // LOCALIO_TOOLS_STAT_REPORT_H
