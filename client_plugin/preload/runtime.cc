#include "runtime.h"

#include <cstdlib>
#include <string>

namespace localio::preload {

namespace {

Runtime* Decide() {
  auto* rt = new Runtime();
  const Status env = ReadEnvConfig([](const char* name) { return std::getenv(name); }, &rt->env);
  rt->log = client::Logger(rt->env.log_level);
  std::string missing;
  rt->real = ResolveRealLibnfs(&missing);
  if (!env.ok()) {
    rt->log.Error("bad environment, bypass disabled: " + env.message);
    return rt;
  }
  if (!missing.empty()) {
    rt->log.Error("libnfs ABI not supported (" + missing + " not found), bypass disabled");
    return rt;
  }
  const std::string library = LibraryPathOf(rt->real);
  if (!IsSupportedLibnfsPath(library)) {
    rt->log.Error("libnfs ABI not supported (" + (library.empty() ? "unknown library" : library) +
                  ", need libnfs.so.13), bypass disabled");
    return rt;
  }
  if (rt->env.disable) {
    rt->log.Error("bypass disabled by LOCALIO_DISABLE=1");
    return rt;
  }
  rt->active = true;
  rt->log.Info("preload active over " + library);
  return rt;
}

}  // namespace

const Runtime& GetRuntime() {
  // Never destroyed: wrapped calls may come from atexit handlers.
  static const Runtime* runtime = Decide();
  return *runtime;
}

}  // namespace localio::preload
