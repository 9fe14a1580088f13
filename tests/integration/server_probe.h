/* SPDX-License-Identifier: LGPL-3.0-or-later */
// Looking at a running LOCALIO server from outside, for integration tests:
// what rpcbind lists (via the stock `rpcinfo -p`), and what the map holds
// (via `localio-stat --json`, see tests/tools/stat_json.h).
#ifndef LOCALIO_TESTS_SERVER_PROBE_H
#define LOCALIO_TESTS_SERVER_PROBE_H

#include <cstdint>
#include <string>
#include <vector>

#include "localio/status.h"
#include "stat_json.h"

namespace localio::harness {

struct RpcbindMapping {
  uint32_t prog = 0;
  uint32_t vers = 0;
  std::string proto;  // "tcp", "udp", ...
  uint16_t port = 0;
};

// `rpcinfo -p 127.0.0.1`, parsed.
Status RpcinfoMappings(std::vector<RpcbindMapping>* out);

// The tcp ports rpcbind lists for (prog, vers).
std::vector<uint16_t> RpcbindTcpPorts(const std::vector<RpcbindMapping>& all, uint32_t prog,
                                      uint32_t vers);

// What localio-stat --json shows for `map_path`: the document, and its
// entries of export `export_id`.
struct MapView {
  nlohmann::json doc;
  std::vector<tools::StatEntry> entries;  // of the export asked for
  uint16_t port = 0;
  uint16_t nfs_port = 0;
  bool alive = false;
  std::string instance_id;  // hex
};
Status ViewMap(const std::string& map_path, uint16_t export_id, MapView* out);

// The entry with this path, or nullptr.
const tools::StatEntry* EntryAt(const MapView& view, const std::string& path);

}  // namespace localio::harness

#endif  // LOCALIO_TESTS_SERVER_PROBE_H
