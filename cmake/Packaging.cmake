# SPDX-License-Identifier: LGPL-3.0-or-later
# .deb packages of this tree for the Debian release it is built on
# (ci/package.sh configures with -DCMAKE_INSTALL_PREFIX=/usr and runs cpack):
#   localio-fsal       libfsallocalio.so in Ganesha's plugin directory, and
#                      localio-stat; depends on this release's nfs-ganesha and
#                      nfs-ganesha-vfs at the MAJOR.MINOR the FSAL is built for
#   liblocalio-client  the C API library, its header and pkg-config file
#   localio-preload    the LD_PRELOAD shim
# The release goes into the version (0.1.0-1~deb12): a package of one release
# is another package than the other release's.
include(GNUInstallDirs)

# ci/debian-release.sh owns the release numbers (a testing release's
# os-release has no VERSION_ID).
execute_process(COMMAND sh "${PROJECT_SOURCE_DIR}/ci/debian-release.sh"
                OUTPUT_VARIABLE debian_release OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
if(NOT debian_release MATCHES "^[0-9]+$")
  set(debian_release 0)
endif()

set(CPACK_GENERATOR DEB)
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_PACKAGE_NAME localio)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "localio-nfs developers <localio-nfs@localhost>")
set(CPACK_PACKAGE_VENDOR "localio-nfs")
set(CPACK_DEBIAN_PACKAGE_RELEASE "1~deb${debian_release}")
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)  # adds libc6, libnfsNN, libstdc++6 as needed
set(CPACK_PACKAGING_INSTALL_PREFIX ${CMAKE_INSTALL_PREFIX})

set(CPACK_COMPONENTS_ALL client)
set(CPACK_DEBIAN_CLIENT_PACKAGE_NAME liblocalio-client)
set(CPACK_COMPONENT_CLIENT_DESCRIPTION
  "LOCALIO for libnfs: the client library\n The C API (localio/localio_client.h, pkg-config localio-client) that serves\n READ, WRITE and COMMIT of a libnfs context from the local file when the\n NFS-Ganesha server shares the host and proves it with the LOCALIO handshake.")

if(TARGET localio_preload)
  list(APPEND CPACK_COMPONENTS_ALL preload)
  set(CPACK_DEBIAN_PRELOAD_PACKAGE_NAME localio-preload)
  set(CPACK_COMPONENT_PRELOAD_DESCRIPTION
    "LOCALIO for libnfs: LD_PRELOAD shim for unmodified programs\n liblocalio_preload.so gives an unmodified libnfs program the LOCALIO bypass.\n On another libnfs it stays out of the way.")
endif()

if(TARGET fsallocalio)
  list(APPEND CPACK_COMPONENTS_ALL fsal)
  math(EXPR ganesha_next_minor "${GANESHA_VERSION_MINOR} + 1")
  set(ganesha_range
    "(>= ${LOCALIO_GANESHA_VERSION}), %s (<< ${GANESHA_VERSION_MAJOR}.${ganesha_next_minor}~)")
  string(REPLACE "%s" "nfs-ganesha" ganesha_dep "nfs-ganesha ${ganesha_range}")
  string(REPLACE "%s" "nfs-ganesha-vfs" vfs_dep "nfs-ganesha-vfs ${ganesha_range}")
  set(CPACK_DEBIAN_FSAL_PACKAGE_NAME localio-fsal)
  # netbase: rpcbind has no TCP transport without /etc/services, and
  # Debian's rpcbind does not pull it in; the LOCALIO program registers there.
  set(CPACK_DEBIAN_FSAL_PACKAGE_DEPENDS "${ganesha_dep}, ${vfs_dep}, rpcbind, netbase")
  set(CPACK_COMPONENT_FSAL_DESCRIPTION
    "LOCALIO for NFS-Ganesha: the stackable FSAL and localio-stat\n FSAL_LOCALIO (EXPORT { FSAL { Name = LOCALIO; FSAL { Name = VFS; } } })\n passes every operation to the FSAL below it, serves the LOCALIO program\n (400122) and publishes handle-to-path mappings for co-located clients.\n Built for nfs-ganesha ${LOCALIO_GANESHA_VERSION}.")
endif()

include(CPack)
