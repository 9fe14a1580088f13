# The RPC codec, the LOCALIO program, the portmap client, the LOCALIO
# listener and its caller (see include/localio/rpc_codec.h).
target_sources(localio_common PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/xdr.cc
  ${CMAKE_CURRENT_LIST_DIR}/rpc_codec.cc
  ${CMAKE_CURRENT_LIST_DIR}/localio_proto.cc
  ${CMAKE_CURRENT_LIST_DIR}/localio_caller.cc
  ${CMAKE_CURRENT_LIST_DIR}/portmap_client.cc
  ${CMAKE_CURRENT_LIST_DIR}/localio_service.cc)
