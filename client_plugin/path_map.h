/* SPDX-License-Identifier: LGPL-3.0-or-later */
// Where this client sees an export's root: the map names the server's path
// (and optionally a Client_Root); a path map given by the application moves
// server paths to client paths when the containers mount the data at
// different places. Pure functions, no I/O.
#ifndef LOCALIO_CLIENT_PATH_MAP_H
#define LOCALIO_CLIENT_PATH_MAP_H

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "localio/map_types.h"
#include "localio/status.h"

namespace localio::client {

// One "server_root=client_root" pair, both normalised (absolute, no "."
// or ".." component, no repeated or trailing '/', except "/" itself).
struct PathMapping {
  std::string server_root;
  std::string client_root;
  bool operator==(const PathMapping&) const = default;
};

using PathMap = std::vector<PathMapping>;

// Parses "a=b[,c=d...]" ("" gives an empty map). Errors (-EINVAL) name the
// bad pair: missing '=', a relative path, a ".." component, a server root
// given twice.
Status ParsePathMap(std::string_view text, PathMap* out);

// Normalises an absolute path as above; false for a relative path, a ".."
// component or a NUL byte.
bool NormaliseAbsolutePath(std::string_view path, std::string* out);

// The client's path for `server_root` (a normalised absolute path): the
// longest mapping whose server root is `server_root` or a parent of it,
// with the rest appended; `server_root` itself when none matches.
std::string ApplyPathMap(const PathMap& map, const std::string& server_root);

// Where this client sees `exp`'s root: the export's client_root when the
// server set one other than its server_root (the map stores the server root
// there when Client_Root is unset), else the path map applied to its
// server_root; "" when the
// server's root is not a clean absolute path (then nothing is opened).
std::string ClientRootOf(const MapExport& exp, const PathMap& map);

}  // namespace localio::client

#endif  // LOCALIO_CLIENT_PATH_MAP_H
