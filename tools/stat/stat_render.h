/* SPDX-License-Identifier: LGPL-3.0-or-later */
// localio-stat's two outputs for one StatReport: a table for people and one
// JSON object for programs. The JSON shape (stable; tests read it):
//   {"map", "trust": {"server_uid", "trusted", "reason" (null or why
//    clients would not trust the map)}, "header": {"instance_id" (hex), "server_pid", "alive",
//    "heartbeat_ms", "heartbeat_age_ms", "epoch", "port", "fh_format": {...}},
//    "entry_count", "capacity", "evictions", "arena_bytes",
//    "arena_used_bytes" (the record arena's size and its bytes in live
//    records),
//    "exports": [{"export_id", "server_root", "client_root" (effective:
//      server_root when the map stores none), "read_only", "squash",
//      "anon_uid", "anon_gid"}],
//    "entries": [{"export_id", "handle" (hex), "type", "ino", "dev",
//      "generation", "path"}]            (only when collected)
//    "hello": {"path", "error" (null or a sentence), "slots": [{"slot",
//      "state", "claims", "client_pid", "confirmed_instance" (hex, "" unless
//      confirmed), "lease_ms", "handshakes", "read_ops", "read_bytes",
//      "write_ops", "write_bytes", "fallbacks": [...], "exports": [{"export_id",
//      "read_ops", "read_bytes", "write_ops", "write_bytes"}] (the same I/O
//      by export: the first 8 exports the client used)}]}}
#ifndef LOCALIO_TOOLS_STAT_RENDER_H
#define LOCALIO_TOOLS_STAT_RENDER_H

#include <string>

#include "stat_report.h"

namespace localio::tools {

// One JSON object, followed by a newline.
std::string RenderStatJson(const StatReport& report);

// The human-readable tables; entries only when the report has them.
std::string RenderStatText(const StatReport& report);

}  // namespace localio::tools

#endif  // LOCALIO_TOOLS_STAT_RENDER_H
