// SPDX-License-Identifier: LGPL-3.0-or-later
#include "stat_render.h"

#include <cstdarg>
#include <cstdio>
#include <sstream>

#include <nlohmann/json.hpp>

namespace localio::tools {

namespace {

std::string ClientRoot(const MapExport& e) {
  return e.client_root.empty() ? e.server_root : e.client_root;
}

using Json = nlohmann::ordered_json;  // keys in the order written here

Json FhFormat(const localio_fh_format& f) {
  return {{"version_byte", f.version_byte},
          {"header_len", f.header_len},
          {"export_id_offset", f.export_id_offset},
          {"export_id_size", f.export_id_size},
          {"export_id_big_endian", f.export_id_big_endian != 0},
          {"opaque_len_offset", f.opaque_len_offset},
          {"v3_pad_multiple", f.v3_pad_multiple},
          {"max_opaque_len", f.max_opaque_len}};
}

Json Header(const StatReport& r) {
  const MapHeaderSnapshot& h = r.header;
  return {{"instance_id", HexOf(h.instance_id.data(), h.instance_id.size())},
          {"server_pid", h.server_pid},
          {"alive", h.alive},
          {"heartbeat_ms", h.heartbeat_ms},
          {"heartbeat_age_ms", r.heartbeat_age_ms},
          {"epoch", h.epoch},
          {"port", h.port},
          {"nfs_port", h.nfs_port},
          {"fh_format", FhFormat(h.fh_format)}};
}

Json Exports(const StatReport& r) {
  Json out = Json::array();
  for (const MapExport& e : r.exports) {
    out.push_back({{"export_id", e.export_id},
                   {"server_root", e.server_root},
                   {"client_root", ClientRoot(e)},
                   {"read_only", e.read_only},
                   {"squash", SquashName(e.squash)},
                   {"anon_uid", e.anon_uid},
                   {"anon_gid", e.anon_gid}});
  }
  return out;
}

Json Entries(const StatReport& r) {
  Json out = Json::array();
  for (const MapEntry& e : r.entries) {
    out.push_back({{"export_id", e.export_id},
                   {"handle", HexOf(e.handle().data(), e.handle_len)},
                   {"type", ObjectTypeName(e.type)},
                   {"ino", e.ino},
                   {"dev", e.dev},
                   {"generation", e.generation},
                   {"path", e.path()}});
  }
  return out;
}

Json Hello(const StatReport& r) {
  Json slots = Json::array();
  for (const HelloSlotView& s : r.hello_slots) {
    Json exports = Json::array();
    for (const HelloSlotView::Export& e : s.exports)
      exports.push_back({{"export_id", e.export_id},
                         {"read_ops", e.read_ops},
                         {"read_bytes", e.read_bytes},
                         {"write_ops", e.write_ops},
                         {"write_bytes", e.write_bytes}});
    slots.push_back({{"slot", s.index},
                     {"state", HelloStateName(s.state)},
                     {"claims", s.claims},
                     {"client_pid", s.client_pid},
                     {"confirmed_instance",
                      s.state == kHelloConfirmed
                          ? HexOf(s.confirmed_instance.data(), s.confirmed_instance.size())
                          : std::string()},
                     {"lease_ms", s.lease_ms},
                     {"handshakes", s.handshakes},
                     {"read_ops", s.read_ops},
                     {"read_bytes", s.read_bytes},
                     {"write_ops", s.write_ops},
                     {"write_bytes", s.write_bytes},
                     {"fallbacks", s.fallbacks},
                     {"exports", std::move(exports)}});
  }
  return {{"path", r.hello_path},
          {"error", r.hello_error.empty() ? Json(nullptr) : Json(r.hello_error)},
          {"slots", std::move(slots)}};
}

// printf into a std::string, for aligned table rows.
__attribute__((format(printf, 1, 2))) std::string Format(const char* fmt, ...) {
  va_list args;
  va_start(args, fmt);
  va_list again;
  va_copy(again, args);
  const int n = std::vsnprintf(nullptr, 0, fmt, args);
  va_end(args);
  std::string out;
  if (n > 0) {
    out.resize(static_cast<size_t>(n) + 1);
    std::vsnprintf(out.data(), out.size(), fmt, again);
    out.resize(static_cast<size_t>(n));
  }
  va_end(again);
  return out;
}

unsigned long long U(uint64_t v) { return static_cast<unsigned long long>(v); }

// A path for a table cell: "" shown as "." (the export root), control
// characters as '?' so a hostile name cannot garble the terminal.
std::string Printable(std::string_view path) {
  if (path.empty()) return ".";
  std::string out(path);
  for (char& c : out) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
  }
  return out;
}

}  // namespace

std::string RenderStatJson(const StatReport& r) {
  Json doc = {{"map", r.map_path},
              {"trust", {{"server_uid", r.server_uid},
                         {"trusted", r.trust_error.empty()},
                         {"reason", r.trust_error.empty() ? Json(nullptr) : Json(r.trust_error)}}},
              {"header", Header(r)},
              {"entry_count", r.header.entries_used},
              {"capacity", r.header.capacity},
              {"evictions", r.header.evictions},
              {"arena_bytes", r.header.arena_bytes},
              {"arena_used_bytes", r.header.arena_used_bytes},
              {"exports", Exports(r)}};
  if (r.has_entries) doc["entries"] = Entries(r);
  doc["hello"] = Hello(r);
  // Compact; paths are arbitrary bytes: what is not UTF-8 becomes U+FFFD, so
  // the output is always valid JSON.
  return doc.dump(-1, ' ', false, Json::error_handler_t::replace) + "\n";
}

std::string RenderStatText(const StatReport& r) {
  const MapHeaderSnapshot& h = r.header;
  const localio_fh_format& f = h.fh_format;
  std::ostringstream o;
  if (!r.trust_error.empty())
    o << "NOT TRUSTED " << r.trust_error << "\n"
      << "            clients of a server running as uid " << r.server_uid
      << " do not use this map; what it holds is shown as found\n";
  o << "map         " << r.map_path << "\n";
  o << "instance    " << HexOf(h.instance_id.data(), h.instance_id.size()) << "\n";
  o << "server      pid " << h.server_pid << ", " << (h.alive ? "alive" : "DEAD")
    << ", heartbeat " << r.heartbeat_age_ms << " ms ago\n";
  o << "epoch       " << h.epoch << "\n";
  o << "port        " << h.port << (h.port == 0 ? " (not listening)" : "")
    << ", NFS port " << h.nfs_port << (h.nfs_port == 0 ? " (not published)" : "") << "\n";
  o << Format("fh format   version 0x%02x, header %u bytes, export id at %u (%u bytes, %s), "
              "opaque length at %u, v3 padded to %u, opaque up to %u\n",
              f.version_byte, f.header_len, f.export_id_offset, f.export_id_size,
              f.export_id_big_endian ? "big-endian" : "little-endian", f.opaque_len_offset,
              f.v3_pad_multiple, f.max_opaque_len);
  o << "entries     " << h.entries_used << " / " << h.capacity << " (evictions "
    << h.evictions << ")\n";
  o << "records     " << h.arena_used_bytes << " / " << h.arena_bytes << " bytes of the arena\n";

  o << "\nexports (" << r.exports.size() << ")\n";
  if (!r.exports.empty()) {
    o << Format("  %5s  %-3s  %-14s  %-13s  %s\n", "ID", "RO", "SQUASH", "ANON UID:GID",
                "SERVER ROOT -> CLIENT ROOT");
    for (const MapExport& e : r.exports) {
      o << Format("  %5u  %-3s  %-14s  %-13s  %s", e.export_id, e.read_only ? "yes" : "no",
                  SquashName(e.squash),
                  (std::to_string(e.anon_uid) + ":" + std::to_string(e.anon_gid)).c_str(),
                  e.server_root.c_str());
      if (!e.client_root.empty() && e.client_root != e.server_root)
        o << " -> " << e.client_root;
      o << "\n";
    }
  }

  if (r.has_entries) {
    o << "\nentries (" << r.entries.size() << ")\n";
    if (!r.entries.empty()) {
      o << Format("  %5s  %-9s  %12s  %8s  %6s  %-40s  %s\n", "EXPORT", "TYPE", "INODE",
                  "DEVICE", "GEN", "PATH", "HANDLE");
      for (const MapEntry& e : r.entries) {
        o << Format("  %5u  %-9s  %12llu  %8llu  %6llu  %-40s  %s\n", e.export_id,
                    ObjectTypeName(e.type), U(e.ino), U(e.dev), U(e.generation),
                    Printable(e.path()).c_str(), HexOf(e.handle().data(), e.handle_len).c_str());
      }
    }
  }

  o << "\nhello slots (" << r.hello_path << ")\n";
  if (!r.hello_error.empty()) {
    o << "  unreadable: " << r.hello_error << "\n";
  } else if (r.hello_slots.empty()) {
    o << "  none in use\n";
  } else {
    o << Format("  %4s  %-9s  %7s  %-32s  %10s  %10s  %12s  %10s  %12s  %s\n", "SLOT", "STATE",
                "PID", "CONFIRMED INSTANCE", "HANDSHAKES", "READS", "READ BYTES", "WRITES",
                "WRITE BYTES", "FALLBACKS");
    for (const HelloSlotView& s : r.hello_slots) {
      std::string fallbacks;
      for (uint64_t v : s.fallbacks) fallbacks += (fallbacks.empty() ? "" : ",") + std::to_string(v);
      const std::string instance =
          s.state == kHelloConfirmed
              ? HexOf(s.confirmed_instance.data(), s.confirmed_instance.size())
              : "-";
      o << Format("  %4u  %-9s  %7u  %-32s  %10llu  %10llu  %12llu  %10llu  %12llu  %s\n",
                  s.index, HelloStateName(s.state), s.client_pid, instance.c_str(),
                  U(s.handshakes), U(s.read_ops), U(s.read_bytes), U(s.write_ops),
                  U(s.write_bytes), fallbacks.c_str());
      for (const HelloSlotView::Export& e : s.exports)
        o << Format("  %4s  %-9s  %7s  %-32s  %10s  %10llu  %12llu  %10llu  %12llu\n", "",
                    "", "", ("  export " + std::to_string(e.export_id)).c_str(), "",
                    U(e.read_ops), U(e.read_bytes), U(e.write_ops), U(e.write_bytes));
    }
  }
  return o.str();
}

}  // namespace localio::tools
