# Hosted platform: core and net build against the system libc like any Linux code.
function(unic_platform_freestanding target)
endfunction()

# unic_add_service(NAME SOURCES...): a service linked with the OS as build/<preset>/bin/NAME.
function(unic_add_service name)
    add_executable(${name} ${ARGN})
    target_link_libraries(${name} PRIVATE
        "$<LINK_GROUP:RESCAN,unic_platform_hosted,unic_net,unic_core>")
    target_link_options(${name} PRIVATE -Wl,--gc-sections)
endfunction()
