# Ganesha 4.3 build environment for an out-of-tree FSAL that loads into
# Debian's stock ganesha.nfsd. Debian ships no nfs-ganesha-dev: the headers
# come from Debian's source package (ci/setup.sh fetches them into .deps/);
# config.h is ours (cmake/ganesha_config/config.h) and matches Debian's build.

set(GANESHA_SOURCE_DIR "${CMAKE_SOURCE_DIR}/.deps/nfs-ganesha-4.3" CACHE PATH
    "Unpacked nfs-ganesha 4.3 source tree (for its headers)")
set(GANESHA_LIBRARY "/usr/lib/ganesha/libganesha_nfsd.so.4.3" CACHE FILEPATH
    "Debian's libganesha_nfsd")
set(GANESHA_PLUGIN_DIR "/usr/lib/x86_64-linux-gnu/ganesha" CACHE PATH
    "Ganesha's Plugins_Dir, where 'cmake --install' puts libfsallocalio.so")

if(NOT EXISTS "${GANESHA_SOURCE_DIR}/src/include/fsal_api.h")
  message(FATAL_ERROR
    "Ganesha 4.3 headers not found in GANESHA_SOURCE_DIR=${GANESHA_SOURCE_DIR}.\n"
    "Run ci/setup.sh as root (it fetches them from Debian's source package), or\n"
    "  apt-get source --download-only --tar-only nfs-ganesha=4.3-2\n"
    "and unpack nfs-ganesha_4.3.orig.tar.gz there, or configure with\n"
    "-DLOCALIO_BUILD_FSAL=OFF to build without the FSAL.")
endif()
if(NOT EXISTS "${GANESHA_LIBRARY}")
  message(FATAL_ERROR "libganesha_nfsd not found at GANESHA_LIBRARY=${GANESHA_LIBRARY}: "
    "install Debian's nfs-ganesha package (ci/setup.sh does).")
endif()
find_path(NTIRPC_INCLUDE_DIR rpc/xdr.h PATHS /usr/include/ntirpc NO_DEFAULT_PATH)
find_library(NTIRPC_LIBRARY NAMES ntirpc)
if(NOT NTIRPC_INCLUDE_DIR OR NOT NTIRPC_LIBRARY)
  message(FATAL_ERROR "libntirpc headers or library missing: install libntirpc-dev (ci/setup.sh does).")
endif()
find_path(URCU_INCLUDE_DIR urcu-bp.h)
if(NOT URCU_INCLUDE_DIR)
  message(FATAL_ERROR "liburcu headers missing: install liburcu-dev (ci/setup.sh does).")
endif()

add_library(ganesha_fsal_api INTERFACE)
target_include_directories(ganesha_fsal_api SYSTEM INTERFACE
  "${CMAKE_SOURCE_DIR}/cmake/ganesha_config"
  "${GANESHA_SOURCE_DIR}/src/include"
  "${GANESHA_SOURCE_DIR}/src/include/os/linux"
  "${NTIRPC_INCLUDE_DIR}")
target_compile_definitions(ganesha_fsal_api INTERFACE
  HAS_DOFF _GNU_SOURCE=1 __USE_GNU _LARGEFILE64_SOURCE _FILE_OFFSET_BITS=64)
target_compile_options(ganesha_fsal_api INTERFACE -fno-strict-aliasing)
target_link_libraries(ganesha_fsal_api INTERFACE "${GANESHA_LIBRARY}" "${NTIRPC_LIBRARY}")
