# The shared map (server writer, client reader) and the hello area.
target_sources(localio_common PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/map_file.cc
  ${CMAKE_CURRENT_LIST_DIR}/mapping_guard.cc
  ${CMAKE_CURRENT_LIST_DIR}/map_path.cc
  ${CMAKE_CURRENT_LIST_DIR}/map_writer.cc
  ${CMAKE_CURRENT_LIST_DIR}/map_reader.cc
  ${CMAKE_CURRENT_LIST_DIR}/hello_area.cc)
# The map is shared memory seen through both word-sized atomics and typed
# structs; like Ganesha, do not let type-based alias analysis reorder them.
set_source_files_properties(
  ${CMAKE_CURRENT_LIST_DIR}/map_writer.cc
  ${CMAKE_CURRENT_LIST_DIR}/map_reader.cc
  ${CMAKE_CURRENT_LIST_DIR}/hello_area.cc
  PROPERTIES COMPILE_OPTIONS -fno-strict-aliasing)
