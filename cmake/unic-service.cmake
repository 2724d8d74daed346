# unic_add_service(NAME SOURCES...): a service linked with the OS, as the executable NAME
# (hosted: a Linux process) or NAME.elf (kvm: a bootable image). The same function serves unic's
# own examples, a parent project that add_subdirectory()s unic, and find_package(unic).
function(unic_add_service name)
    add_executable(${name} ${ARGN})
    target_link_libraries(${name} PRIVATE unic::service)
    if(UNIC_PLATFORM STREQUAL "kvm")
        set_target_properties(${name} PROPERTIES SUFFIX ".elf")
    endif()
endfunction()
