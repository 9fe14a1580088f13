# SPDX-License-Identifier: LGPL-3.0-or-later
# The nfs-ganesha this build is for: the installed Debian package's
# version, or GANESHA_VERSION when set. Sets
#   LOCALIO_GANESHA_VERSION        MAJOR.MINOR, "" when there is none
#   GANESHA_VERSION_MAJOR/_MINOR   its parts (0 when there is none)
#   LOCALIO_GANESHA_SUPPORTED      the versions the FSAL builds for
#   LOCALIO_GANESHA_OPS_VERSIONS   which ops_ganesha<N>.c files (FSAL and
#                                  tests) this version takes: 4.3's own ops;
#                                  6.5's, which 9.14 has too; 9.14's new ones
# The FSAL (cmake/Ganesha.cmake) and the test harness (which writes the
# server's config) both go by it.

set(LOCALIO_GANESHA_SUPPORTED 4.3 6.5 9.14)
string(REPLACE ";" " " LOCALIO_GANESHA_SUPPORTED_WORDS "${LOCALIO_GANESHA_SUPPORTED}")

set(GANESHA_VERSION "" CACHE STRING
    "nfs-ganesha version to build for (MAJOR.MINOR); empty = the installed package's")
set(LOCALIO_GANESHA_VERSION "${GANESHA_VERSION}")
if(LOCALIO_GANESHA_VERSION STREQUAL "")
  execute_process(COMMAND dpkg-query -W -f=\${Version} nfs-ganesha
                  OUTPUT_VARIABLE ganesha_deb_version ERROR_QUIET
                  RESULT_VARIABLE ganesha_dpkg_rc)
  if(ganesha_dpkg_rc EQUAL 0 AND NOT ganesha_deb_version STREQUAL "")
    # [epoch:]upstream-debian_revision -> MAJOR.MINOR
    string(REGEX REPLACE "^([0-9]+:)?([0-9]+[.][0-9]+).*$" "\\2"
           LOCALIO_GANESHA_VERSION "${ganesha_deb_version}")
  endif()
endif()
if(LOCALIO_GANESHA_VERSION MATCHES "^([0-9]+)[.]([0-9]+)$")
  set(GANESHA_VERSION_MAJOR "${CMAKE_MATCH_1}")
  set(GANESHA_VERSION_MINOR "${CMAKE_MATCH_2}")
elseif(NOT LOCALIO_GANESHA_VERSION STREQUAL "")
  message(FATAL_ERROR "GANESHA_VERSION \"${LOCALIO_GANESHA_VERSION}\" is not MAJOR.MINOR (e.g. 6.5)")
else()
  set(GANESHA_VERSION_MAJOR 0)
  set(GANESHA_VERSION_MINOR 0)
endif()
if(GANESHA_VERSION_MAJOR EQUAL 4)
  set(LOCALIO_GANESHA_OPS_VERSIONS 4)
elseif(GANESHA_VERSION_MAJOR EQUAL 6)
  set(LOCALIO_GANESHA_OPS_VERSIONS 6)
else()
  set(LOCALIO_GANESHA_OPS_VERSIONS 6 9)
endif()
