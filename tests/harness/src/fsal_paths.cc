// SPDX-License-Identifier: LGPL-3.0-or-later
#include "harness/fsal_paths.h"

#include <unistd.h>

// Set by tests/harness/CMakeLists.txt from the build.
#ifndef LOCALIO_FSAL_LIBRARY
#error "LOCALIO_FSAL_LIBRARY must be defined by the build"
#endif
#ifndef LOCALIO_SYSTEM_PLUGINS_DIR
#error "LOCALIO_SYSTEM_PLUGINS_DIR must be defined by the build"
#endif
#ifndef LOCALIO_GANESHA_NFSD
#error "LOCALIO_GANESHA_NFSD must be defined by the build"
#endif
#ifndef LOCALIO_GANESHA_VERSION_MAJOR
#error "LOCALIO_GANESHA_VERSION_MAJOR must be defined by the build"
#endif

namespace localio::harness {

std::string LocalioFsalLibrary() { return LOCALIO_FSAL_LIBRARY; }

bool LocalioFsalBuilt() {
  const std::string lib = LocalioFsalLibrary();
  return !lib.empty() && access(lib.c_str(), R_OK) == 0;
}

std::string SystemPluginsDir() { return LOCALIO_SYSTEM_PLUGINS_DIR; }

std::string GaneshaBinary() { return LOCALIO_GANESHA_NFSD; }

int GaneshaMajorVersion() { return LOCALIO_GANESHA_VERSION_MAJOR; }

std::vector<std::pair<std::string, std::string>> HostCoreParams() {
  if (GaneshaMajorVersion() >= 6) return {{"Allow_Set_Io_Flusher_Fail", "true"}};
  return {};
}

}  // namespace localio::harness
