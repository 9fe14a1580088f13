// SPDX-License-Identifier: LGPL-3.0-or-later
#include "client_options.h"

#include <cerrno>

namespace localio::client {

namespace {

// An id as AUTH_SYS carries it: -1 = default, else 0 .. 2^32-2.
bool ResolveId(long value, uint32_t fallback, uint32_t* out) {
  if (value == -1) {
    *out = fallback;
    return true;
  }
  if (value < 0 || static_cast<unsigned long>(value) >= kNoneId) return false;
  *out = static_cast<uint32_t>(value);
  return true;
}

Status Bad(ClientOptions* out, const std::string& what) {
  out->disable = true;
  return Status::Error(-EINVAL, "bad configuration, LOCALIO bypass off: " + what);
}

}  // namespace

Status ResolveOptions(const localio_config* cfg, const OptionDefaults& defaults,
                      ClientOptions* out) {
  *out = ClientOptions{};
  if (defaults.env_map_path != nullptr && defaults.env_map_path[0] != '\0')
    out->map_path = defaults.env_map_path;
  const bool server_uid_given = cfg != nullptr && cfg->server_uid != -1;
  if (!server_uid_given && defaults.env_server_uid != nullptr &&
      !ParseId(defaults.env_server_uid, &out->server_uid))
    return Bad(out, std::string("LOCALIO_SERVER_UID=\"") + defaults.env_server_uid +
                        "\" is not a uid (0..4294967294)");
  if (cfg == nullptr) return Status::Ok();

  if (cfg->log_level < LOCALIO_CLIENT_LOG_OFF || cfg->log_level > LOCALIO_CLIENT_LOG_DEBUG)
    return Bad(out, "log_level " + std::to_string(cfg->log_level) + " is not 0..3");
  out->log_level = cfg->log_level;
  out->disable = cfg->disable != 0;
  if (cfg->map_path != nullptr) {
    if (cfg->map_path[0] == '\0') return Bad(out, "map_path is empty");
    out->map_path = cfg->map_path;
  }
  if (cfg->path_map != nullptr) {
    if (Status st = ParsePathMap(cfg->path_map, &out->path_map); !st.ok())
      return Bad(out, st.message);
  }
  if (server_uid_given && !ResolveId(cfg->server_uid, 0, &out->server_uid))
    return Bad(out, "server_uid " + std::to_string(cfg->server_uid) +
                        " is not -1 or a 32-bit id");
  if (cfg->probe_timeout_ms < 0 || cfg->probe_timeout_ms > LOCALIO_MAX_PROBE_TIMEOUT_MS)
    return Bad(out, "probe_timeout_ms " + std::to_string(cfg->probe_timeout_ms) +
                        " is not 0.." + std::to_string(LOCALIO_MAX_PROBE_TIMEOUT_MS));
  out->probe_timeout = std::chrono::milliseconds(
      cfg->probe_timeout_ms == 0 ? LOCALIO_DEFAULT_PROBE_TIMEOUT_MS : cfg->probe_timeout_ms);
  return Status::Ok();
}

}  // namespace localio::client
