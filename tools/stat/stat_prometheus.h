/* SPDX-License-Identifier: LGPL-3.0-or-later */
// localio-stat's Prometheus text exposition (format 0.0.4): what the
// reports of one or more maps hold, as metric families with the localio_
// prefix, counters ending in _total, times in seconds, sizes in bytes.
// Every sample of a map carries map="<its path>"; a client slot's carry
// slot="<index>" too. Read-only, like the rest of localio-stat: nothing
// runs in the server's I/O path.
//
//   localio_server_up                    1: alive, beating, trusted
//   localio_server_info                  1, labels instance, pid, port, nfs_port
//   localio_server_heartbeat_age_seconds
//   localio_map_epoch                    bumped at every export change
//   localio_map_capacity_entries / localio_map_entries
//   localio_map_evictions_total
//   localio_map_arena_size_bytes / localio_map_arena_used_bytes
//   localio_export_info                  1, labels export_id, server_root,
//                                        client_root, read_only, squash
//   localio_hello_slots                  slots by state (claimed, ...)
//   localio_client_bypassed_operations_total{op="read"|"write"}
//   localio_client_bypassed_bytes_total{op}
//   localio_client_export_bypassed_operations_total{export_id, op}
//   localio_client_export_bypassed_bytes_total{export_id, op}
//                                        the same by export (the first 8 a
//                                        client uses: kHelloExportRows);
//                                        sum by (export_id) for an export's
//                                        total
//   localio_client_rpc_fallbacks_total{reason}   (the C API's reason names)
//   localio_client_handshakes_total
#ifndef LOCALIO_TOOLS_STAT_PROMETHEUS_H
#define LOCALIO_TOOLS_STAT_PROMETHEUS_H

#include <string>
#include <vector>

#include "stat_report.h"

namespace localio::tools {

std::string RenderStatPrometheus(const std::vector<StatReport>& reports);

// `value` escaped for a label value (backslash, double quote, newline).
std::string PrometheusLabelValue(const std::string& value);

}  // namespace localio::tools

#endif  // LOCALIO_TOOLS_STAT_PROMETHEUS_H
