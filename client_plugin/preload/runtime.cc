// SPDX-License-Identifier: LGPL-3.0-or-later
#include "runtime.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "entry_points.h"

namespace localio::preload {

namespace {

constexpr const char* kEntryNames[] = {
#define LOCALIO_ENTRY_NAME(index, name) #name,
    LOCALIO_PRELOAD_ENTRY_POINTS(LOCALIO_ENTRY_NAME)
#undef LOCALIO_ENTRY_NAME
};
static_assert(sizeof(kEntryNames) / sizeof(kEntryNames[0]) == LOCALIO_PRELOAD_ENTRY_COUNT);

// Where a slot goes when the program calls a wrapped name that no loaded
// library defines: as the dynamic linker does for an undefined symbol.
[[noreturn]] void MissingFunction() {
  std::fputs(
      "localio: symbol lookup error: the program called a libnfs "
      "function that no "
      "loaded library defines\n",
      stderr);
  _exit(127);
}

// Points every entry point at the wrappers (active) or at the program's
// libnfs.
void RouteEntryPoints(const Runtime& rt) {
  for (int i = 0; i < LOCALIO_PRELOAD_ENTRY_COUNT; ++i) {
    void* target = rt.active ? kWrappers[i] : rt.libnfs.Symbol(kEntryNames[i]);
    if (target == nullptr) target = reinterpret_cast<void*>(&MissingFunction);
    __atomic_store_n(&localio_preload_slots[i], target, __ATOMIC_RELEASE);
  }
}

Runtime* Decide() {
  auto* rt = new Runtime();
  const Status env = ReadEnvConfig([](const char* name) { return std::getenv(name); }, &rt->env);
  rt->log = client::Logger(rt->env.log_level);
  rt->libnfs = FindProgramLibnfs(kBuiltForLibnfs);
  std::string missing;
  rt->real = ResolveRealLibnfs(rt->libnfs, &missing);
  const std::string& library = rt->libnfs.path;
  if (!env.ok()) {
    rt->log.Error("bad environment, bypass disabled: " + env.message);
  } else if (!IsLibraryOf(library, kBuiltForLibnfs)) {
    rt->log.Error(std::string("this shim is built for ") + kBuiltForLibnfs +
                  " but the program uses " + (library.empty() ? "no libnfs it can find" : library) +
                  ": bypass disabled, the program runs on its libnfs alone");
  } else if (!missing.empty()) {
    rt->log.Error("libnfs ABI not supported (" + missing + " not found in " + library +
                  "), bypass disabled");
  } else if (rt->env.disable) {
    rt->log.Error("bypass disabled by LOCALIO_DISABLE=1");
  } else {
    rt->active = true;
    rt->log.Info("preload active over " + library);
  }
  RouteEntryPoints(*rt);
  return rt;
}

}  // namespace

const Runtime& GetRuntime() {
  // Never destroyed: wrapped calls may come from atexit handlers.
  static const Runtime* runtime = Decide();
  return *runtime;
}

}  // namespace localio::preload

extern "C" __attribute__((visibility("hidden"))) void localio_preload_resolve() {
  (void)localio::preload::GetRuntime();
}
