# The hosted platform: a unic service as a Linux process on a TAP device, waiting with libuv,
# capturing and replaying with libpcap (cmake/unic-hosted-deps.cmake finds them).
# unic_platform_flags: what every layer and service compiles with on this platform.
add_library(unic_platform_flags INTERFACE)
add_library(unic::platform_flags ALIAS unic_platform_flags)
set_target_properties(unic_platform_flags PROPERTIES EXPORT_NAME platform_flags)
target_compile_definitions(unic_platform_flags INTERFACE UNIC_PLATFORM_hosted=1)

include(unic-hosted-deps)
