# SPDX-License-Identifier: LGPL-3.0-or-later
# Unmodified programs that speak NFS through libnfs, for tests that drive
# them on nfs:// URLs. Each is a full path, or "" when this machine has none
# that can (a test then has nothing to run):
#   LOCALIO_FIO       fio with its libnfs ("nfs") I/O engine. Debian 12's fio
#                     package has no such engine: ci/setup.sh builds one into
#                     .deps/fio-<version>-nfs/bin/fio, looked at first; then
#                     fio on PATH (Debian 13's package has the engine).
#   LOCALIO_QEMU_IMG  qemu-img and qemu-io with qemu's nfs block driver
#   LOCALIO_QEMU_IO   (qemu-utils; the driver is qemu-block-extra's
#                     block-nfs.so, a module loaded on first use).
# A program counts only when it shows it has NFS, not merely when it exists:
# the .deps build is Debian 12's (libnfs.so.13) and does not run in the
# Debian 13 root, which shares the tree. Found again at every configure (no
# cache), so running ci/setup.sh after a first configure is enough.
# -DLOCALIO_FIO=<path> (or _QEMU_IMG, _QEMU_IO) names the program instead
# (one without NFS is then an error); -DLOCALIO_FIO= with nothing uses none.

# fio --enghelp lists the engines built in, one a line after a tab.
function(localio_fio_has_nfs fio out)
  execute_process(COMMAND "${fio}" --enghelp OUTPUT_VARIABLE engines
                  RESULT_VARIABLE rc ERROR_QUIET)
  if(rc EQUAL 0 AND engines MATCHES "(^|\n)[ \t]*nfs\n")
    set(${out} TRUE PARENT_SCOPE)
  else()
    set(${out} FALSE PARENT_SCOPE)
  endif()
endfunction()

# Opening driver=nfs without its options loads the driver, which then asks
# for its server; without the driver qemu knows no "nfs" and says so. No
# network is touched.
function(localio_qemu_has_nfs qemu out)
  get_filename_component(name "${qemu}" NAME)
  if(name MATCHES "qemu-io")
    set(args -c quit)
  else()
    set(args info)
  endif()
  execute_process(COMMAND "${qemu}" ${args} --image-opts driver=nfs
                  OUTPUT_VARIABLE said ERROR_VARIABLE said)
  if(said MATCHES "'server'")
    set(${out} TRUE PARENT_SCOPE)
  else()
    set(${out} FALSE PARENT_SCOPE)
  endif()
endfunction()

# localio_nfs_tool(<var> <check function> <candidate>...): <var> is the first
# candidate the check accepts, or $CACHE{<var>} when set (which it must
# accept unless empty).
function(localio_nfs_tool var check)
  if(DEFINED CACHE{${var}})
    set(chosen "$CACHE{${var}}")
    if(chosen STREQUAL "")
      set(${var} "" PARENT_SCOPE)
      return()
    endif()
    cmake_language(CALL ${check} "${chosen}" ok)
    if(NOT ok)
      message(FATAL_ERROR "${var}=${chosen} cannot speak NFS (checked with ${check})")
    endif()
    set(${var} "${chosen}" PARENT_SCOPE)
    return()
  endif()
  foreach(candidate IN LISTS ARGN)
    cmake_language(CALL ${check} "${candidate}" ok)
    if(ok)
      set(${var} "${candidate}" PARENT_SCOPE)
      return()
    endif()
  endforeach()
  set(${var} "" PARENT_SCOPE)
endfunction()

file(GLOB fio_candidates "${CMAKE_SOURCE_DIR}/.deps/fio-*-nfs/bin/fio")
find_program(fio_on_path fio NO_CACHE)
if(fio_on_path)
  list(APPEND fio_candidates "${fio_on_path}")
endif()
localio_nfs_tool(LOCALIO_FIO localio_fio_has_nfs ${fio_candidates})

foreach(tool qemu-img qemu-io)
  string(TOUPPER "${tool}" var)
  string(REPLACE "-" "_" var "LOCALIO_${var}")
  find_program(tool_on_path ${tool} NO_CACHE)
  if(tool_on_path)
    localio_nfs_tool(${var} localio_qemu_has_nfs "${tool_on_path}")
  else()
    localio_nfs_tool(${var} localio_qemu_has_nfs)
  endif()
  unset(tool_on_path)
endforeach()

message(STATUS "NFS clients: LOCALIO_FIO=\"${LOCALIO_FIO}\" "
  "LOCALIO_QEMU_IMG=\"${LOCALIO_QEMU_IMG}\" LOCALIO_QEMU_IO=\"${LOCALIO_QEMU_IO}\""
  " (empty: none with NFS; ci/setup.sh installs them)")
