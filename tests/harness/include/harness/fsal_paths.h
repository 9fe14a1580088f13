// Where the FSAL libraries and the server binary are, as CMake found them.
#pragma once

#include <string>

namespace localio::harness {

// Path of the built libfsallocalio.so, "" if this build has no FSAL target.
std::string LocalioFsalLibrary();
// True when the LOCALIO FSAL was built with this harness and the file exists.
bool LocalioFsalBuilt();
// Debian's Plugins_Dir, which holds libfsalvfs.so.
std::string SystemPluginsDir();
// The stock server binary (/usr/bin/ganesha.nfsd).
std::string GaneshaBinary();

}  // namespace localio::harness
