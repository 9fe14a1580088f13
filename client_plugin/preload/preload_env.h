/* SPDX-License-Identifier: LGPL-3.0-or-later */
// The shim's configuration from the environment (the C API's struct
// localio_config, as variables):
//   LOCALIO_MAP       the server's map file, or a directory of maps (default
//                     /run/localio: the mounted server's map is found there)
//   LOCALIO_PATH_MAP  "server_root=client_root[,...]"
//   LOCALIO_DISABLE   1: never bypass; 0 or unset: bypass when local
//   LOCALIO_LOG       0 off, 1 errors (default), 2 info, 3 debug
//   LOCALIO_SERVER_UID the uid the server runs as (default 0): the only
//                     owner of a map and a LOCALIO listener the shim trusts
// A bad value is one error naming the variable; the shim then stays off.
#ifndef LOCALIO_PRELOAD_ENV_H
#define LOCALIO_PRELOAD_ENV_H

#include <functional>
#include <string>

#include "localio/defaults.h"
#include "localio/localio_client.h"
#include "localio/status.h"

namespace localio::preload {

struct EnvConfig {
  std::string map_path;   // "" = the default
  std::string path_map;   // "" = none
  bool disable = false;
  int log_level = LOCALIO_CLIENT_LOG_ERROR;
  long server_uid = -1;   // -1 = the default

  // A localio_config pointing into this object (keep it alive meanwhile);
  // its unused uid/gid are -1, as localio_config_init leaves them.
  localio_config ToConfig() const;
};

using GetEnv = std::function<const char*(const char*)>;

// Reads the variables through `getenv` (std::getenv in the shim). On error
// `out` holds the values read so far, with disable = true, and the message
// starts with the variable's name.
Status ReadEnvConfig(const GetEnv& getenv, EnvConfig* out);

}  // namespace localio::preload

#endif  // LOCALIO_PRELOAD_ENV_H
