# SPDX-License-Identifier: LGPL-3.0-or-later
# Build environment for an out-of-tree FSAL that loads into Debian's stock
# ganesha.nfsd. Debian ships no nfs-ganesha-dev: the headers come from
# Debian's source package of the installed version (ci/setup.sh fetches them
# into .deps/nfs-ganesha-<version>); config.h is ours
# (cmake/ganesha_config/config.h.in) and matches Debian's build.
#
# The version is the installed nfs-ganesha package's; GANESHA_VERSION
# overrides it. Each supported version is one Debian release's:
#   4.3  Debian 12 (bookworm), FSAL API 11.0
#   6.5  Debian 13 (trixie),   FSAL API 13.0
#   9.14 Debian 14 (forky),    FSAL API 14.0
# What differs between them lives in fsal_localio/ganesha_compat.h and
# fsal_localio/ops_ganesha<major>.c (docs/DESIGN.md, "The Ganesha seam").

include(GaneshaVersion)
if(LOCALIO_GANESHA_VERSION STREQUAL "")
  message(FATAL_ERROR
    "nfs-ganesha is not installed, so there is no server to build the FSAL for.\n"
    "Run ci/setup.sh as root (it installs Debian's nfs-ganesha and fetches its headers),\n"
    "or configure with -DGANESHA_VERSION=<4.3|6.5|9.14>, or with -DLOCALIO_BUILD_FSAL=OFF.")
endif()
if(NOT LOCALIO_GANESHA_VERSION IN_LIST LOCALIO_GANESHA_SUPPORTED)
  string(REPLACE ";" ", " supported "${LOCALIO_GANESHA_SUPPORTED}")
  message(FATAL_ERROR
    "nfs-ganesha ${LOCALIO_GANESHA_VERSION} is not supported: the FSAL builds for ${supported} "
    "(Debian 12, 13 and 14). An FSAL built on another version's headers would make the "
    "server crash, so there is no fallback. Configure with -DLOCALIO_BUILD_FSAL=OFF "
    "to build only the client side.")
endif()
set(ganesha_version "${LOCALIO_GANESHA_VERSION}")
message(STATUS "FSAL_LOCALIO: building for nfs-ganesha ${LOCALIO_GANESHA_VERSION}")

set(GANESHA_SOURCE_DIR "${CMAKE_SOURCE_DIR}/.deps/nfs-ganesha-${ganesha_version}" CACHE PATH
    "Unpacked nfs-ganesha source tree of GANESHA_VERSION (for its headers)")
set(GANESHA_LIBRARY "/usr/lib/ganesha/libganesha_nfsd.so.${ganesha_version}" CACHE FILEPATH
    "Debian's libganesha_nfsd of GANESHA_VERSION (the tests and the link check use it)")
set(GANESHA_PLUGIN_DIR "/usr/lib/x86_64-linux-gnu/ganesha" CACHE PATH
    "Ganesha's Plugins_Dir, where 'cmake --install' puts libfsallocalio.so")

if(NOT EXISTS "${GANESHA_SOURCE_DIR}/src/include/fsal_api.h")
  message(FATAL_ERROR
    "Ganesha ${ganesha_version} headers not found in GANESHA_SOURCE_DIR=${GANESHA_SOURCE_DIR}.\n"
    "Run ci/setup.sh as root (it fetches them from Debian's source package), or\n"
    "  apt-get source --download-only --tar-only nfs-ganesha=<installed version>\n"
    "and unpack nfs-ganesha_${ganesha_version}.orig.tar.gz there, or configure with\n"
    "-DLOCALIO_BUILD_FSAL=OFF to build without the FSAL.")
endif()
if(NOT EXISTS "${GANESHA_LIBRARY}")
  message(FATAL_ERROR "libganesha_nfsd not found at GANESHA_LIBRARY=${GANESHA_LIBRARY}: "
    "install Debian's nfs-ganesha package (ci/setup.sh does).")
endif()
# libntirpc: the headers and library of the very version this server links
# (its package's Depends name it, e.g. libntirpc7.2): Ganesha's headers
# include ntirpc's, whose structures differ between versions. ci/setup.sh
# installs the matching libntirpc-dev, or unpacks it into
# .deps/libntirpc-dev_<version> where apt offers another (forky).
execute_process(COMMAND dpkg-query -W -f=\${Depends} nfs-ganesha
                OUTPUT_VARIABLE ganesha_depends ERROR_QUIET)
string(REGEX MATCH "libntirpc([0-9]+[.0-9]*)" ntirpc_runtime "${ganesha_depends}")
set(ntirpc_soversion "${CMAKE_MATCH_1}")
if(ntirpc_runtime STREQUAL "")
  message(FATAL_ERROR "cannot tell which libntirpc nfs-ganesha links (dpkg-query -W nfs-ganesha: no libntirpc in its Depends)")
endif()
execute_process(COMMAND dpkg-query -W -f=\${Version} ${ntirpc_runtime}
                OUTPUT_VARIABLE ntirpc_version ERROR_QUIET)
execute_process(COMMAND dpkg-query -W -f=\${Version} libntirpc-dev
                OUTPUT_VARIABLE ntirpc_dev_version ERROR_QUIET)
set(ntirpc_unpacked "${CMAKE_SOURCE_DIR}/.deps/libntirpc-dev_${ntirpc_version}/usr/include/ntirpc")
if(EXISTS "${ntirpc_unpacked}/rpc/xdr.h")
  set(ntirpc_include "${ntirpc_unpacked}")
elseif(ntirpc_dev_version STREQUAL ntirpc_version)
  set(ntirpc_include /usr/include/ntirpc)
else()
  message(FATAL_ERROR
    "nfs-ganesha links ${ntirpc_runtime} ${ntirpc_version}, but libntirpc-dev is "
    "'${ntirpc_dev_version}' and ${ntirpc_unpacked} is missing: run ci/setup.sh as root "
    "(it fetches the libntirpc-dev of the server's version).")
endif()
set(NTIRPC_INCLUDE_DIR "${ntirpc_include}" CACHE PATH "libntirpc headers of the server's libntirpc" FORCE)
find_library(NTIRPC_LIBRARY NAMES libntirpc.so.${ntirpc_soversion} NO_CACHE)
if(NOT NTIRPC_LIBRARY)
  message(FATAL_ERROR "libntirpc.so.${ntirpc_soversion} not found: install ${ntirpc_runtime} (nfs-ganesha depends on it).")
endif()
message(STATUS "libntirpc ${ntirpc_version}: ${NTIRPC_INCLUDE_DIR}, ${NTIRPC_LIBRARY}")
find_path(URCU_INCLUDE_DIR urcu-bp.h)
if(NOT URCU_INCLUDE_DIR)
  message(FATAL_ERROR "liburcu headers missing: install liburcu-dev (ci/setup.sh does).")
endif()

configure_file("${CMAKE_SOURCE_DIR}/cmake/ganesha_config/config.h.in"
               "${CMAKE_BINARY_DIR}/ganesha_config/config.h" @ONLY)

# Ganesha's headers, config and flags, without its library: the FSAL module
# takes Ganesha's symbols from the server that loads it (fsal_localio/).
add_library(ganesha_fsal_headers INTERFACE)
target_include_directories(ganesha_fsal_headers SYSTEM INTERFACE
  "${CMAKE_BINARY_DIR}/ganesha_config"
  "${GANESHA_SOURCE_DIR}/src/include"
  "${GANESHA_SOURCE_DIR}/src/include/os/linux"
  "${NTIRPC_INCLUDE_DIR}")
target_compile_definitions(ganesha_fsal_headers INTERFACE
  HAS_DOFF _GNU_SOURCE=1 __USE_GNU _LARGEFILE64_SOURCE _FILE_OFFSET_BITS=64)
target_compile_options(ganesha_fsal_headers INTERFACE -fno-strict-aliasing)

# The same with Ganesha's library, for programs (the CMocka tests).
add_library(ganesha_fsal_api INTERFACE)
target_link_libraries(ganesha_fsal_api INTERFACE ganesha_fsal_headers
  "${GANESHA_LIBRARY}" "${NTIRPC_LIBRARY}")
