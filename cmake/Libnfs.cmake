# SPDX-License-Identifier: LGPL-3.0-or-later
# The installed libnfs the client side builds against (pkg-config), as one
# GLOBAL imported target, localio::libnfs, and what the shim must know of it:
#   LOCALIO_LIBNFS_VERSION        e.g. 4.0.0 (Debian 12), 5.0.2 (Debian 13)
#   LOCALIO_LIBNFS_VERSION_MAJOR  4, 5
#   LOCALIO_LIBNFS_SONAME         libnfs.so.13, libnfs.so.14: the library a
#                                 program must have loaded for the shim to act
# libnfs 4.x and 5.x share every prototype the client calls or wraps;
# libnfs >= 6 is API v2 (LIBNFS_API_V2: pread/pwrite take (buf, count,
# offset), reads into caller buffers) and is refused here.
find_package(PkgConfig REQUIRED)
pkg_check_modules(LIBNFS REQUIRED IMPORTED_TARGET GLOBAL libnfs)
set(LOCALIO_LIBNFS_VERSION "${LIBNFS_VERSION}")
string(REGEX MATCH "^[0-9]+" LOCALIO_LIBNFS_VERSION_MAJOR "${LIBNFS_VERSION}")
if(LOCALIO_LIBNFS_VERSION_MAJOR LESS 4 OR LOCALIO_LIBNFS_VERSION_MAJOR GREATER 5)
  message(FATAL_ERROR
    "libnfs ${LIBNFS_VERSION} is not supported: the client builds against libnfs 4.x "
    "(Debian 12) and 5.x (Debian 13). libnfs 6 and later are another API "
    "(LIBNFS_API_V2: nfs_pread/nfs_pwrite take (buf, count, offset)), which the "
    "client does not speak yet.")
endif()
add_library(localio::libnfs ALIAS PkgConfig::LIBNFS)

# The soname, from the file the development symlink names (libnfs.so ->
# libnfs.so.14.0.0): what the dynamic linker loads for a program built
# against this libnfs.
find_library(LOCALIO_LIBNFS_FILE NAMES nfs HINTS ${LIBNFS_LIBRARY_DIRS} NO_CACHE)
get_filename_component(libnfs_real "${LOCALIO_LIBNFS_FILE}" REALPATH)
get_filename_component(libnfs_name "${libnfs_real}" NAME)
string(REGEX MATCH "^libnfs[.]so[.][0-9]+" LOCALIO_LIBNFS_SONAME "${libnfs_name}")
if(LOCALIO_LIBNFS_SONAME STREQUAL "")
  message(FATAL_ERROR "cannot tell libnfs's soname from ${libnfs_real} (found for ${LOCALIO_LIBNFS_FILE})")
endif()
message(STATUS "libnfs ${LOCALIO_LIBNFS_VERSION} (${LOCALIO_LIBNFS_SONAME})")
# For another release's tests of this build's shim (cross.version): the
# soname a program must have loaded for it to act.
file(WRITE "${PROJECT_BINARY_DIR}/libnfs-soname.txt" "${LOCALIO_LIBNFS_SONAME}\n")
# For the code that works around one version's limits (tests/harness:
# libnfs_limits.h).
add_compile_definitions(LOCALIO_LIBNFS_VERSION_MAJOR=${LOCALIO_LIBNFS_VERSION_MAJOR})
