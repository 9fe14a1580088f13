// Opening the local file a map entry names, safely: relative to the
// export's root directory, never leaving it and never following a symlink
// (the map is input from another process and names can change under us),
// then proving by inode and device that it is the object the handle names.
#ifndef LOCALIO_CLIENT_LOCAL_FILE_H
#define LOCALIO_CLIENT_LOCAL_FILE_H

#include <sys/stat.h>

#include <string>

#include "localio/map_types.h"

namespace localio::client {

// Opens the directory `path` (O_PATH | O_DIRECTORY | O_CLOEXEC) for use as
// a root. fd, or -errno.
int OpenExportRoot(const std::string& path);

// openat2(root_fd, relpath, flags | O_CLOEXEC | O_NOCTTY,
// RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS). fd, or -errno (-ENOSYS on a
// kernel before 5.6).
int OpenBeneath(int root_fd, const std::string& relpath, int flags);

// True when `st` is the regular file `entry` describes (inode, device).
bool IsSameObject(const MapEntry& entry, const struct stat& st);

}  // namespace localio::client

#endif  // LOCALIO_CLIENT_LOCAL_FILE_H
