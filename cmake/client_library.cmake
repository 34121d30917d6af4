# libdlc-client: the C client of the dlc RPC core, as a shared library for
# other programs (include/dlc/client.h, the generated message headers,
# pkg-config dlc-client, CMake find_package(dlc-client)). Built from the
# same sources as the client the gateway uses; only the public API and the
# contract's generated symbols are exported (cmake/dlc-client.map).
set(DLC_CLIENT_SOVERSION 0)
add_library(dlc-client SHARED rpc/runtime/client.c rpc/runtime/envelope.c rpc/runtime/status.c
            rpc/runtime/arena.c common/clock.c common/text.c ${DLC_PROTO_SRCS})
set_target_properties(dlc-client PROPERTIES
  VERSION ${PROJECT_VERSION} SOVERSION ${DLC_CLIENT_SOVERSION}
  LINK_DEPENDS ${CMAKE_SOURCE_DIR}/cmake/dlc-client.map)
target_include_directories(dlc-client
  PUBLIC $<BUILD_INTERFACE:${CMAKE_SOURCE_DIR}/include> $<BUILD_INTERFACE:${DLC_PROTO_OUT}>
  PRIVATE ${CMAKE_SOURCE_DIR} ${CMAKE_BINARY_DIR}/generated)
target_link_libraries(dlc-client PUBLIC PkgConfig::PROTOBUFC PRIVATE nng::nng Threads::Threads)
target_link_options(dlc-client PRIVATE
  -Wl,--version-script=${CMAKE_SOURCE_DIR}/cmake/dlc-client.map -Wl,--no-undefined)
target_compile_options(dlc-client PRIVATE ${DLC_WARNINGS})
add_dependencies(dlc-client dlc_proto)
