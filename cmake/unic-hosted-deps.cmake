# The hosted platform's system libraries as the targets unic::libuv, unic::libpcap,
# unic::liburing (batched sends) and unic::libseccomp (the sandbox, docs/sandbox.md): found with
# pkg-config, or without it (or its .pc files) by a plain library search. Included by the build
# and by the installed package (unicConfig.cmake), so both link the same way; the kvm platform
# never includes it.
if(NOT TARGET PkgConfig::UNIC_LIBUV)
    find_package(PkgConfig QUIET)
    if(PkgConfig_FOUND)
        pkg_check_modules(UNIC_LIBUV QUIET IMPORTED_TARGET GLOBAL libuv)
        pkg_check_modules(UNIC_LIBPCAP QUIET IMPORTED_TARGET GLOBAL libpcap)
        pkg_check_modules(UNIC_LIBURING QUIET IMPORTED_TARGET GLOBAL liburing)
        pkg_check_modules(UNIC_LIBSECCOMP QUIET IMPORTED_TARGET GLOBAL libseccomp)
    endif()
endif()

function(unic_hosted_dependency name header lib pkgtarget)
    if(TARGET unic::${name})
        return()
    endif()
    add_library(unic::${name} INTERFACE IMPORTED GLOBAL)
    if(TARGET ${pkgtarget})
        target_link_libraries(unic::${name} INTERFACE ${pkgtarget})
        return()
    endif()
    find_path(UNIC_${lib}_INCLUDE ${header})
    find_library(UNIC_${lib}_LIBRARY ${lib})
    if(NOT UNIC_${lib}_INCLUDE OR NOT UNIC_${lib}_LIBRARY)
        message(FATAL_ERROR "hosted platform needs lib${lib} (Debian: apt-get install lib${lib}-dev)")
    endif()
    target_include_directories(unic::${name} INTERFACE ${UNIC_${lib}_INCLUDE})
    target_link_libraries(unic::${name} INTERFACE ${UNIC_${lib}_LIBRARY})
endfunction()

unic_hosted_dependency(libuv uv.h uv PkgConfig::UNIC_LIBUV)
unic_hosted_dependency(libpcap pcap/pcap.h pcap PkgConfig::UNIC_LIBPCAP)
unic_hosted_dependency(liburing liburing.h uring PkgConfig::UNIC_LIBURING)
unic_hosted_dependency(libseccomp seccomp.h seccomp PkgConfig::UNIC_LIBSECCOMP)
