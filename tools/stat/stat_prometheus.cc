// SPDX-License-Identifier: LGPL-3.0-or-later
#include "stat_prometheus.h"

#include <cinttypes>
#include <cstdio>
#include <functional>
#include <map>
#include <utility>

#include "localio/defaults.h"

namespace localio::tools {

namespace {

using Labels = std::vector<std::pair<std::string, std::string>>;

std::string LabelText(const Labels& labels) {
  if (labels.empty()) return {};
  std::string out = "{";
  for (size_t i = 0; i < labels.size(); ++i) {
    if (i > 0) out += ",";
    out += labels[i].first + "=\"" + PrometheusLabelValue(labels[i].second) + "\"";
  }
  return out + "}";
}

// One metric family: its HELP and TYPE lines, then the samples `each` adds
// for every report.
class Family {
 public:
  Family(std::string* out, const char* name, const char* type, const char* help)
      : out_(out), name_(name) {
    *out_ += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " " + type + "\n";
  }
  void Sample(const Labels& labels, uint64_t value) {
    *out_ += name_ + LabelText(labels) + " " + std::to_string(value) + "\n";
  }
  void Sample(const Labels& labels, double value) {
    char text[64];
    std::snprintf(text, sizeof text, "%.3f", value);
    *out_ += name_ + LabelText(labels) + " " + text + "\n";
  }

 private:
  std::string* out_;
  std::string name_;
};

Labels Of(const StatReport& r) { return {{"map", r.map_path}}; }
Labels With(Labels labels, std::string key, std::string value) {
  labels.emplace_back(std::move(key), std::move(value));
  return labels;
}

bool Up(const StatReport& r) {
  return r.trust_error.empty() && r.header.alive &&
         r.heartbeat_age_ms <= LOCALIO_HEARTBEAT_STALE_MS;
}

}  // namespace

std::string PrometheusLabelValue(const std::string& value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (c == '\\') out += "\\\\";
    else if (c == '"') out += "\\\"";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
  return out;
}

std::string RenderStatPrometheus(const std::vector<StatReport>& reports) {
  std::string out;
  const auto each = [&](Family family, const std::function<void(Family&, const StatReport&)>& fn) {
    for (const StatReport& r : reports) fn(family, r);
  };
  each(Family(&out, "localio_server_up", "gauge",
              "1 while the map's server is alive, beating and trusted by its clients"),
       [](Family& f, const StatReport& r) { f.Sample(Of(r), uint64_t{Up(r) ? 1u : 0u}); });
  each(Family(&out, "localio_server_info", "gauge",
              "The map's server: instance id, pid, LOCALIO and NFS ports"),
       [](Family& f, const StatReport& r) {
         const MapHeaderSnapshot& h = r.header;
         f.Sample({{"map", r.map_path},
                   {"instance", HexOf(h.instance_id.data(), h.instance_id.size())},
                   {"pid", std::to_string(h.server_pid)},
                   {"port", std::to_string(h.port)},
                   {"nfs_port", std::to_string(h.nfs_port)}},
                  uint64_t{1});
       });
  each(Family(&out, "localio_server_heartbeat_age_seconds", "gauge",
              "Time since the server last stamped the map's heartbeat"),
       [](Family& f, const StatReport& r) {
         f.Sample(Of(r), static_cast<double>(r.heartbeat_age_ms) / 1000.0);
       });
  each(Family(&out, "localio_map_epoch", "gauge",
              "The map's epoch: it moves at every change of its exports"),
       [](Family& f, const StatReport& r) { f.Sample(Of(r), r.header.epoch); });
  each(Family(&out, "localio_map_capacity_entries", "gauge", "Entries the map can hold"),
       [](Family& f, const StatReport& r) { f.Sample(Of(r), uint64_t{r.header.capacity}); });
  each(Family(&out, "localio_map_entries", "gauge", "Entries (handle to path) in the map"),
       [](Family& f, const StatReport& r) { f.Sample(Of(r), r.header.entries_used); });
  each(Family(&out, "localio_map_evictions_total", "counter",
              "Entries the map evicted to make room since the server started"),
       [](Family& f, const StatReport& r) { f.Sample(Of(r), r.header.evictions); });
  each(Family(&out, "localio_map_arena_size_bytes", "gauge", "Size of the map's record arena"),
       [](Family& f, const StatReport& r) { f.Sample(Of(r), r.header.arena_bytes); });
  each(Family(&out, "localio_map_arena_used_bytes", "gauge",
              "Bytes of the record arena in live records"),
       [](Family& f, const StatReport& r) { f.Sample(Of(r), r.header.arena_used_bytes); });
  each(Family(&out, "localio_export_info", "gauge",
              "An export the map publishes: its roots, access and squash"),
       [](Family& f, const StatReport& r) {
         for (const MapExport& e : r.exports)
           f.Sample({{"map", r.map_path},
                     {"export_id", std::to_string(e.export_id)},
                     {"server_root", e.server_root},
                     {"client_root", e.client_root.empty() ? e.server_root : e.client_root},
                     {"read_only", e.read_only ? "true" : "false"},
                     {"squash", SquashName(e.squash)}},
                    uint64_t{1});
       });
  each(Family(&out, "localio_hello_slots", "gauge", "Handshake slots of the map's hello file by state"),
       [](Family& f, const StatReport& r) {
         std::map<std::string, uint64_t> by_state;
         for (const HelloSlotView& s : r.hello_slots) ++by_state[HelloStateName(s.state)];
         for (const auto& [state, n] : by_state) f.Sample(With(Of(r), "state", state), n);
       });
  const auto per_slot = [&](const char* name, const char* type, const char* help,
                            const std::function<void(Family&, const Labels&, const HelloSlotView&)>&
                                fn) {
    each(Family(&out, name, type, help), [&](Family& f, const StatReport& r) {
      for (const HelloSlotView& s : r.hello_slots)
        fn(f, With(With(Of(r), "slot", std::to_string(s.index)), "pid", std::to_string(s.client_pid)),
           s);
    });
  };
  per_slot("localio_client_bypassed_operations_total", "counter",
           "Reads and writes a client served from the local file",
           [](Family& f, const Labels& l, const HelloSlotView& s) {
             f.Sample(With(l, "op", "read"), s.read_ops);
             f.Sample(With(l, "op", "write"), s.write_ops);
           });
  per_slot("localio_client_bypassed_bytes_total", "counter",
           "Bytes a client read and wrote through the local file",
           [](Family& f, const Labels& l, const HelloSlotView& s) {
             f.Sample(With(l, "op", "read"), s.read_bytes);
             f.Sample(With(l, "op", "write"), s.write_bytes);
           });
  // By export: one series per client slot and export (the slot's first
  // kHelloExportRows exports), so that a client that ends takes its series
  // with it instead of making a sum go down; sum by (export_id) in PromQL.
  const auto by_export = [&](const char* name, const char* help,
                             uint64_t HelloSlotView::Export::*read,
                             uint64_t HelloSlotView::Export::*write) {
    per_slot(name, "counter", help,
             [read, write](Family& f, const Labels& l, const HelloSlotView& s) {
               for (const HelloSlotView::Export& e : s.exports) {
                 const Labels le = With(l, "export_id", std::to_string(e.export_id));
                 f.Sample(With(le, "op", "read"), e.*read);
                 f.Sample(With(le, "op", "write"), e.*write);
               }
             });
  };
  by_export("localio_client_export_bypassed_operations_total",
            "Reads and writes a client served from the local file, by export",
            &HelloSlotView::Export::read_ops, &HelloSlotView::Export::write_ops);
  by_export("localio_client_export_bypassed_bytes_total",
            "Bytes a client read and wrote through the local file, by export",
            &HelloSlotView::Export::read_bytes, &HelloSlotView::Export::write_bytes);
  per_slot("localio_client_rpc_fallbacks_total", "counter",
           "Reads and writes a client sent through RPC instead, by reason",
           [](Family& f, const Labels& l, const HelloSlotView& s) {
             for (uint32_t i = 0; i < kHelloFallbackReasons; ++i)
               f.Sample(With(l, "reason", kHelloFallbackReasonNames[i]), s.fallbacks[i]);
           });
  per_slot("localio_client_handshakes_total", "counter", "Handshakes a client attempted",
           [](Family& f, const Labels& l, const HelloSlotView& s) { f.Sample(l, s.handshakes); });
  return out;
}

}  // namespace localio::tools
