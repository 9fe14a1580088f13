/* SPDX-License-Identifier: LGPL-3.0-or-later */
// Where the FSAL libraries and the server binary are, as CMake found them.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace localio::harness {

// Path of the built libfsallocalio.so, "" if this build has no FSAL target.
std::string LocalioFsalLibrary();
// True when the LOCALIO FSAL was built with this harness and the file exists.
bool LocalioFsalBuilt();
// Debian's Plugins_Dir, which holds libfsalvfs.so.
std::string SystemPluginsDir();
// The stock server binary (/usr/bin/ganesha.nfsd).
std::string GaneshaBinary();
// The installed nfs-ganesha's major version (4, 6), 0 if CMake found none.
int GaneshaMajorVersion();
// NFS_CORE_PARAM settings a test server needs on this host, beyond the
// test's own: Ganesha >= 6.5 exits ("Failed to PR_SET_IO_FLUSHER") without
// CAP_SYS_RESOURCE, which test namespaces and containers lack, unless
// Allow_Set_Io_Flusher_Fail is set; 4.3 has no such parameter.
std::vector<std::pair<std::string, std::string>> HostCoreParams();

}  // namespace localio::harness
