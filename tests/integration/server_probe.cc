// SPDX-License-Identifier: LGPL-3.0-or-later
#include "server_probe.h"

#include <cerrno>
#include <chrono>
#include <sstream>

#include "harness/process.h"

namespace localio::harness {

Status RpcinfoMappings(std::vector<RpcbindMapping>* out) {
  CommandResult r;
  Status s = RunCommand({LOCALIO_RPCINFO, "-p", "127.0.0.1"}, std::chrono::seconds(20), &r);
  if (!s.ok()) return s;
  if (!r.Succeeded()) return Status::Error(-EIO, "rpcinfo -p 127.0.0.1: " + r.Describe());
  out->clear();
  std::istringstream lines(r.out);
  for (std::string line; std::getline(lines, line);) {
    std::istringstream words(line);
    RpcbindMapping m;
    unsigned long port = 0;
    // The header line ("program vers proto port service") fails to parse.
    if (!(words >> m.prog >> m.vers >> m.proto >> port) || port > UINT16_MAX) continue;
    m.port = static_cast<uint16_t>(port);
    out->push_back(m);
  }
  return Status::Ok();
}

std::vector<uint16_t> RpcbindTcpPorts(const std::vector<RpcbindMapping>& all, uint32_t prog,
                                      uint32_t vers) {
  std::vector<uint16_t> ports;
  for (const RpcbindMapping& m : all) {
    if (m.prog == prog && m.vers == vers && m.proto == "tcp") ports.push_back(m.port);
  }
  return ports;
}

Status ViewMap(const std::string& map_path, uint16_t export_id, MapView* out) {
  MapView v;
  std::string error;
  if (!tools::RunLocalioStatJson(map_path, &v.doc, &error)) return Status::Error(-EIO, error);
  try {
    const nlohmann::json& header = v.doc.at("header");
    v.port = static_cast<uint16_t>(tools::UintAt(header, "port"));
    v.nfs_port = static_cast<uint16_t>(tools::UintAt(header, "nfs_port"));
    v.alive = header.at("alive").get<bool>();
    v.instance_id = header.at("instance_id").get<std::string>();
  } catch (const std::exception& ex) {
    return Status::Error(-EBADMSG, "localio-stat --json " + map_path + ": header: " + ex.what());
  }
  std::vector<tools::StatEntry> all;
  if (!tools::StatEntries(v.doc, &all, &error))
    return Status::Error(-EBADMSG, "localio-stat --json " + map_path + ": " + error);
  for (tools::StatEntry& e : all) {
    if (e.export_id == export_id) v.entries.push_back(std::move(e));
  }
  *out = std::move(v);
  return Status::Ok();
}

const tools::StatEntry* EntryAt(const MapView& view, const std::string& path) {
  for (const tools::StatEntry& e : view.entries) {
    if (e.path == path) return &e;
  }
  return nullptr;
}

}  // namespace localio::harness
