/* SPDX-License-Identifier: LGPL-3.0-or-later */
// The localio-stat command line, as a function so tests can run it without
// a process:  localio-stat [--json] [--entries] [--server-uid UID] [MAP]
// MAP is a map file or a directory of maps (each shown; under --json a JSON
// array), LOCALIO_DEFAULT_MAP_DIR by default (localio/defaults.h). --json
// prints one JSON object (always with "entries"); otherwise tables, with
// entries only under --entries. The map is checked as clients of a server
// running as UID would check it (default $LOCALIO_SERVER_UID, else
// LOCALIO_DEFAULT_SERVER_UID); one they would not trust is shown all the
// same, headed by why it is not trusted.
#ifndef LOCALIO_TOOLS_STAT_CLI_H
#define LOCALIO_TOOLS_STAT_CLI_H

#include <ostream>
#include <string>
#include <vector>

namespace localio::tools {

// Runs localio-stat with `args` (without the program name). Returns the exit
// status: 0 ok; 1 when the map cannot be used, with
// "localio-stat: MAP: <reason>" on `err` (also when it is shown but not
// trusted); 2 for bad usage.
int RunLocalioStat(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

}  // namespace localio::tools

#endif  // LOCALIO_TOOLS_STAT_CLI_H
