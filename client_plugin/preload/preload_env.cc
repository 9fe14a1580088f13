// SPDX-License-Identifier: LGPL-3.0-or-later
#include "preload_env.h"

#include <cerrno>

#include "client_options.h"
#include "path_map.h"

namespace localio::preload {

namespace {

Status Bad(EnvConfig* out, const std::string& what) {
  out->disable = true;
  return Status::Error(-EINVAL, what);
}

// A single digit in [lo, hi], nothing else.
bool ParseDigit(const char* text, int lo, int hi, int* out) {
  if (text[0] < '0' || text[0] > '9' || text[1] != '\0') return false;
  const int v = text[0] - '0';
  if (v < lo || v > hi) return false;
  *out = v;
  return true;
}

std::string Quoted(const char* value) { return std::string("\"") + value + "\""; }

}  // namespace

localio_config EnvConfig::ToConfig() const {
  // As localio_config_init, which lives in the C API library.
  localio_config cfg{};
  cfg.uid = -1;
  cfg.gid = -1;
  cfg.probe_timeout_ms = LOCALIO_DEFAULT_PROBE_TIMEOUT_MS;
  cfg.map_path = map_path.empty() ? nullptr : map_path.c_str();
  cfg.path_map = path_map.empty() ? nullptr : path_map.c_str();
  cfg.disable = disable ? 1 : 0;
  cfg.log_level = log_level;
  cfg.server_uid = server_uid;
  return cfg;
}

Status ReadEnvConfig(const GetEnv& getenv, EnvConfig* out) {
  *out = EnvConfig{};
  // The log level first, so that a later error is printed at that level.
  if (const char* v = getenv("LOCALIO_LOG"); v != nullptr) {
    if (!ParseDigit(v, LOCALIO_CLIENT_LOG_OFF, LOCALIO_CLIENT_LOG_DEBUG, &out->log_level))
      return Bad(out, "LOCALIO_LOG=" + Quoted(v) + " is not 0, 1, 2 or 3");
  }
  if (const char* v = getenv("LOCALIO_DISABLE"); v != nullptr) {
    int flag = 0;
    if (!ParseDigit(v, 0, 1, &flag))
      return Bad(out, "LOCALIO_DISABLE=" + Quoted(v) + " is not 0 or 1");
    out->disable = flag == 1;
  }
  if (const char* v = getenv("LOCALIO_MAP"); v != nullptr) {
    if (v[0] == '\0') return Bad(out, "LOCALIO_MAP is set but empty");
    out->map_path = v;
  }
  if (const char* v = getenv("LOCALIO_PATH_MAP"); v != nullptr) {
    client::PathMap parsed;
    if (Status st = client::ParsePathMap(v, &parsed); !st.ok())
      return Bad(out, "LOCALIO_PATH_MAP=" + Quoted(v) + ": " + st.message);
    out->path_map = v;
  }
  if (const char* v = getenv("LOCALIO_SERVER_UID"); v != nullptr) {
    uint32_t uid = 0;
    if (!ParseId(v, &uid))
      return Bad(out, "LOCALIO_SERVER_UID=" + Quoted(v) + " is not a uid (0..4294967294)");
    out->server_uid = uid;
  }
  return Status::Ok();
}

}  // namespace localio::preload
