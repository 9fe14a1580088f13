/* SPDX-License-Identifier: LGPL-3.0-or-later */
// The shim's process-wide decision, made once, at the first call of any
// wrapped function (entry_points.h), when the program's libnfs is loaded
// whether it came with the program or later with dlopen: the real libnfs
// functions, whether they are the libnfs this shim was built for, and the
// environment's configuration. When anything is wrong the shim prints ONE stderr line and
// every entry point jumps straight to libnfs: the program runs as it would
// without the shim.
#ifndef LOCALIO_PRELOAD_RUNTIME_H
#define LOCALIO_PRELOAD_RUNTIME_H

#include "client_log.h"
#include "libnfs_abi.h"
#include "preload_env.h"

namespace localio::preload {

struct Runtime {
  LibnfsLibrary libnfs;  // the program's
  RealLibnfs real;
  bool active = false;  // the entry points run the shim's wrappers
  EnvConfig env;
  client::Logger log;
};

// Thread-safe; the first call decides (and prints at most one line).
const Runtime& GetRuntime();

// The shim's wrappers, in slot order (interpose.cc).
extern void* const kWrappers[];

}  // namespace localio::preload

#endif  // LOCALIO_PRELOAD_RUNTIME_H
