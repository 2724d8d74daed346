# Install rules and the CMake package. The hosted and the kvm build install into the same prefix
# side by side; the consumer picks one with -DUNIC_PLATFORM=hosted|kvm (unicConfig.cmake):
#   include/unic.h, include/unic/...         the public headers (the same for both)
#   include/unic/kvm-libc/...                kvm: the freestanding libc subset's headers
#   lib/unic/<platform>/libunic_*.a          the layers and the platform library
#   lib/cmake/unic/                          unicConfig.cmake, unic-<platform>-targets.cmake,
#                                            unic_add_service()
#   lib/pkgconfig/unic.pc                    hosted: pkg-config --cflags --libs unic
#   share/unic/kvm/kernel.ld                 kvm: the linker script of an image
#   share/unic/scripts/{qemu-run,netns}      boot an image / make a throwaway namespace
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(UNIC_INSTALL_LIBDIR ${CMAKE_INSTALL_LIBDIR}/unic/${UNIC_PLATFORM})
set(UNIC_INSTALL_CMAKEDIR ${CMAKE_INSTALL_LIBDIR}/cmake/unic)

set(UNIC_INSTALL_TARGETS unic_wire unic_core unic_net unic_os unic_platform_${UNIC_PLATFORM}
    unic_platform_flags unic_service)
if(UNIC_PLATFORM STREQUAL "kvm")
    list(APPEND UNIC_INSTALL_TARGETS unic_kvm_image)
endif()
install(TARGETS ${UNIC_INSTALL_TARGETS} EXPORT unic-${UNIC_PLATFORM}-targets
        ARCHIVE DESTINATION ${UNIC_INSTALL_LIBDIR})
install(EXPORT unic-${UNIC_PLATFORM}-targets NAMESPACE unic:: DESTINATION ${UNIC_INSTALL_CMAKEDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/ DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})

configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/unicConfig.cmake.in
    ${PROJECT_BINARY_DIR}/unicConfig.cmake INSTALL_DESTINATION ${UNIC_INSTALL_CMAKEDIR})
write_basic_package_version_file(${PROJECT_BINARY_DIR}/unicConfigVersion.cmake
    COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/unicConfig.cmake ${PROJECT_BINARY_DIR}/unicConfigVersion.cmake
        ${PROJECT_SOURCE_DIR}/cmake/unic-service.cmake
        ${PROJECT_SOURCE_DIR}/cmake/unic-hosted-deps.cmake
        DESTINATION ${UNIC_INSTALL_CMAKEDIR})
install(PROGRAMS ${PROJECT_SOURCE_DIR}/scripts/qemu-run ${PROJECT_SOURCE_DIR}/scripts/netns
        DESTINATION ${CMAKE_INSTALL_DATADIR}/unic/scripts)

if(UNIC_PLATFORM STREQUAL "kvm")
    install(DIRECTORY ${UNIC_KVM_DIR}/libc/include/
            DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/unic/kvm-libc)
    install(FILES ${UNIC_KVM_DIR}/kernel.ld DESTINATION ${CMAKE_INSTALL_DATADIR}/unic/kvm)
else()
    configure_file(${PROJECT_SOURCE_DIR}/cmake/unic.pc.in ${PROJECT_BINARY_DIR}/unic.pc @ONLY)
    install(FILES ${PROJECT_BINARY_DIR}/unic.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
endif()
