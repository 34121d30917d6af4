# What `cmake --install` puts where (GNUInstallDirs): the daemons and
# dlcctl, libdlc-client with its headers, pkg-config file and CMake package,
# the documentation and example configuration, the systemd units and the
# man pages. The units name /usr/local/bin, the default prefix's bindir.
include(GNUInstallDirs)

install(TARGETS dlc-rpcd dlc-gateway dlcctl RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(TARGETS dlc-client LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR})

install(FILES include/dlc/client.h include/dlc/status.h
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/dlc)
install(FILES ${DLC_PROTO_OUT}/dlc/rpc/v1/envelope.pb-c.h
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/dlc/rpc/v1)
foreach(p ${DLC_PROTO_FILES})
  if(p MATCHES "^dlc/v1/")
    string(REGEX REPLACE "\\.proto$" ".pb-c.h" h ${p})
    install(FILES ${DLC_PROTO_OUT}/${h} DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/dlc/v1)
  endif()
endforeach()

# pkg-config and CMake package files find the prefix relative to
# themselves, so an installed tree can be moved (cmake --install --prefix).
file(RELATIVE_PATH DLC_PC_TO_PREFIX "/p/${CMAKE_INSTALL_LIBDIR}/pkgconfig" "/p")
file(RELATIVE_PATH DLC_CMAKE_TO_PREFIX "/p/${CMAKE_INSTALL_LIBDIR}/cmake/dlc-client" "/p")
configure_file(cmake/dlc-client.pc.in ${CMAKE_BINARY_DIR}/dlc-client.pc @ONLY)
configure_file(cmake/dlc-clientConfig.cmake.in ${CMAKE_BINARY_DIR}/dlc-clientConfig.cmake @ONLY)
include(CMakePackageConfigHelpers)
write_basic_package_version_file(${CMAKE_BINARY_DIR}/dlc-clientConfigVersion.cmake
  COMPATIBILITY SameMajorVersion)
install(FILES ${CMAKE_BINARY_DIR}/dlc-client.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
install(FILES ${CMAKE_BINARY_DIR}/dlc-clientConfig.cmake
              ${CMAKE_BINARY_DIR}/dlc-clientConfigVersion.cmake
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/dlc-client)

install(FILES README.md CHANGELOG.md LICENSE dlc.yaml.example DESTINATION ${CMAKE_INSTALL_DOCDIR}
        OPTIONAL)
install(DIRECTORY docs/ DESTINATION ${CMAKE_INSTALL_DOCDIR} FILES_MATCHING PATTERN "*.md")
install(FILES examples/greet.c DESTINATION ${CMAKE_INSTALL_DOCDIR}/examples)
install(FILES compose/systemd/dlc-rpcd.service compose/systemd/dlc-gateway.service
        DESTINATION lib/systemd/system)
install(FILES docs/man/dlc-rpcd.8 docs/man/dlc-gateway.8 DESTINATION ${CMAKE_INSTALL_MANDIR}/man8)
install(FILES docs/man/dlcctl.1 DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
