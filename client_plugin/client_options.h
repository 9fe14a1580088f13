/* SPDX-License-Identifier: LGPL-3.0-or-later */
// The client's configuration as the core uses it, resolved from the C API's
// struct localio_config (and $LOCALIO_MAP) and checked: a bad value is one
// error naming the parameter, and the bypass stays off.
#ifndef LOCALIO_CLIENT_OPTIONS_H
#define LOCALIO_CLIENT_OPTIONS_H

#include <chrono>
#include <cstdint>
#include <string>

#include "localio/defaults.h"
#include "localio/localio_client.h"
#include "localio/status.h"
#include "localio/trusted_dir.h"  // ParseId
#include "path_map.h"

namespace localio::client {

struct ClientOptions {
  std::string map_path = LOCALIO_DEFAULT_MAP_DIR;  // a map file, or a directory of maps
  PathMap path_map;
  bool disable = false;
  int log_level = LOCALIO_CLIENT_LOG_ERROR;
  uint32_t server_uid = LOCALIO_DEFAULT_SERVER_UID;  // whom the client trusts
  std::chrono::milliseconds probe_timeout{LOCALIO_DEFAULT_PROBE_TIMEOUT_MS};
};

// The process's defaults for fields the config leaves at -1/NULL/0.
struct OptionDefaults {
  const char* env_map_path = nullptr;  // $LOCALIO_MAP
  const char* env_server_uid = nullptr;  // $LOCALIO_SERVER_UID
};

// Fills `out` from `cfg` (NULL: all defaults). On a bad value `out` still
// holds usable values with disable = true, and the error names the field.
// cfg->uid and cfg->gid are not read: local I/O acts as the identity the
// context's RPCs carry (rpc_credential.h).
Status ResolveOptions(const localio_config* cfg, const OptionDefaults& defaults,
                      ClientOptions* out);

}  // namespace localio::client

#endif  // LOCALIO_CLIENT_OPTIONS_H
