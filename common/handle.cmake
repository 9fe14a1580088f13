target_sources(localio_common PRIVATE ${CMAKE_CURRENT_LIST_DIR}/wire_handle.cc
  ${CMAKE_CURRENT_LIST_DIR}/vfs_opaque.cc)
