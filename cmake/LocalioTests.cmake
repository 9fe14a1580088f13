# SPDX-License-Identifier: LGPL-3.0-or-later
# localio_test(<target> SOURCES <file>... [LIBS <lib>...] [INCLUDES <dir>...]
#              [DEFINES <def>...] [DEPENDS <target>...] LABEL <label>
#              [NAME <ctest name> [TIMEOUT <s>] [SERIAL] [PRIVATE_NET] [SKIP_RC <rc>]]
#              [LOCK <resource>])
# One test program, built with the project's warnings and registered:
#  - without NAME, one ctest entry per GoogleTest case (gtest_discover_tests);
#  - with NAME, one ctest entry for the whole program (its tests share the
#    servers it starts; CMocka programs; programs that must run alone:
#    SERIAL is RUN_SERIAL; PRIVATE_NET runs it in network, mount and pid
#    namespaces of its own with its own rpcbind: tests/harness/private_net.sh).
# LOCK names a RESOURCE_LOCK (ganesha_rpcbind: see tests/harness).
function(localio_test target)
  cmake_parse_arguments(PARSE_ARGV 1 t "SERIAL;PRIVATE_NET" "LABEL;NAME;TIMEOUT;LOCK;SKIP_RC"
    "SOURCES;LIBS;INCLUDES;DEFINES;DEPENDS")
  if(NOT t_SOURCES OR NOT t_LABEL OR t_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "localio_test(${target}): needs SOURCES and LABEL"
      " (unknown: ${t_UNPARSED_ARGUMENTS})")
  endif()
  add_executable(${target} ${t_SOURCES})
  target_link_libraries(${target} PRIVATE ${t_LIBS})
  target_include_directories(${target} PRIVATE ${t_INCLUDES})
  target_compile_definitions(${target} PRIVATE ${t_DEFINES})
  if(t_DEPENDS)
    add_dependencies(${target} ${t_DEPENDS})
  endif()
  localio_warnings(${target})

  set(props LABELS ${t_LABEL})
  if(t_LOCK)
    list(APPEND props RESOURCE_LOCK ${t_LOCK})
  endif()
  if(NOT t_NAME)
    gtest_discover_tests(${target} PROPERTIES ${props} DISCOVERY_TIMEOUT 60)
    return()
  endif()
  if(t_TIMEOUT)
    list(APPEND props TIMEOUT ${t_TIMEOUT})
  endif()
  if(t_SERIAL)
    list(APPEND props RUN_SERIAL TRUE)
  endif()
  if(t_SKIP_RC)
    list(APPEND props SKIP_RETURN_CODE ${t_SKIP_RC})
  endif()
  if(t_PRIVATE_NET)
    add_test(NAME ${t_NAME}
      COMMAND ${PROJECT_SOURCE_DIR}/tests/harness/private_net.sh $<TARGET_FILE:${target}>)
  else()
    add_test(NAME ${t_NAME} COMMAND ${target})
  endif()
  set_tests_properties(${t_NAME} PROPERTIES ${props})
endfunction()
