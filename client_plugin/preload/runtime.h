// The shim's process-wide decision, made once at the first wrapped call:
// the real libnfs functions, whether they are the supported ABI, and the
// environment's configuration. When anything is wrong the shim prints ONE
// stderr line and every call passes straight to libnfs.
#ifndef LOCALIO_PRELOAD_RUNTIME_H
#define LOCALIO_PRELOAD_RUNTIME_H

#include "client_log.h"
#include "libnfs_abi.h"
#include "preload_env.h"

namespace localio::preload {

struct Runtime {
  RealLibnfs real;
  bool active = false;  // contexts get a Client (the bypass may be used)
  EnvConfig env;
  client::Logger log;
};

// Thread-safe; the first call decides (and prints at most one line).
const Runtime& GetRuntime();

}  // namespace localio::preload

#endif  // LOCALIO_PRELOAD_RUNTIME_H
