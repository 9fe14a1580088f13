target_sources(localio_common PRIVATE ${CMAKE_CURRENT_LIST_DIR}/wire_handle.cc)
