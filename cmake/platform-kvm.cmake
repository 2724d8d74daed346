# The kvm platform: every unic library and service compiles freestanding (no host libc, no
# host headers) and links into a static, identity-mapped x86-64 ELF booted by QEMU's -kernel
# through the PVH note (see src/platform/kvm/boot.S and kernel.ld). The flags are usage
# requirements of two targets, so a parent project or an installed package gets them too:
#   unic_platform_flags  compile: freestanding, the libc subset's headers (every layer links it)
#   unic_kvm_image       link: no host libc, the linker script (the platform library links it)
include(CheckCCompilerFlag)

# -O2 rather than Release's -O3: a smaller image, and the same optimiser (and warnings) as the
# hosted build, so code that builds there builds here.
set(CMAKE_C_FLAGS_RELEASE "-O2 -DNDEBUG")

set(UNIC_KVM_DIR ${PROJECT_SOURCE_DIR}/src/platform/kvm)

# The compiler's own freestanding headers (stdint.h, stddef.h, stdarg.h, stdbool.h, ...).
execute_process(COMMAND ${CMAKE_C_COMPILER} -print-file-name=include
                OUTPUT_VARIABLE UNIC_KVM_CC_INCLUDE OUTPUT_STRIP_TRAILING_WHITESPACE)
if(NOT IS_DIRECTORY "${UNIC_KVM_CC_INCLUDE}")
    message(FATAL_ERROR "kvm: cannot find the compiler's include directory")
endif()
check_c_compiler_flag(-fno-tree-loop-distribute-patterns UNIC_KVM_HAVE_NO_LDIST)

# -mgeneral-regs-only: no SSE/x87 in the image (tests/integration/kvm_no_sse.sh checks), as in
# other kernels: no FPU state to save around interrupts, and hypervisors that emulate guest
# instructions (PVM) need not know SSE. Fault probabilities are fixed-point, and the kvm printf
# has no %f. No red zone: interrupts
# arrive on the same stack. The canary is a global (__stack_chk_guard), not %fs:0x28. Stores
# through NULL are kept (as in Linux): page 0 is unmapped and a NULL write must fault, not vanish.
# -g: the fault report's addr2line command then prints file:line; debug sections are not loaded.
add_library(unic_platform_flags INTERFACE)
add_library(unic::platform_flags ALIAS unic_platform_flags)
set_target_properties(unic_platform_flags PROPERTIES EXPORT_NAME platform_flags)
target_compile_definitions(unic_platform_flags INTERFACE UNIC_PLATFORM_kvm=1)
# The compiler's helpers (e.g. 128-bit division) that -nostdlib leaves out, after every layer.
target_link_libraries(unic_platform_flags INTERFACE gcc)
target_compile_options(unic_platform_flags INTERFACE
    "$<$<COMPILE_LANGUAGE:C,ASM>:-g;-ffreestanding;-fno-pie;-mno-red-zone;-mgeneral-regs-only;-fno-omit-frame-pointer>"
    "$<$<COMPILE_LANGUAGE:C,ASM>:-fstack-protector-strong;-mstack-protector-guard=global>"
    "$<$<COMPILE_LANGUAGE:C,ASM>:-fno-asynchronous-unwind-tables;-fno-common>"
    "$<$<COMPILE_LANGUAGE:C,ASM>:-fno-delete-null-pointer-checks;-nostdinc>"
    # The compiler's directory goes in as a plain option: CMake drops implicit include dirs.
    # An installed package adds the consumer's compiler's own (unicConfig.cmake).
    "$<BUILD_INTERFACE:$<$<COMPILE_LANGUAGE:C,ASM>:SHELL:-idirafter ${UNIC_KVM_CC_INCLUDE}>>")
# The libc subset first: its limits.h replaces the compiler's, which wants a host one.
target_include_directories(unic_platform_flags SYSTEM BEFORE INTERFACE
    $<BUILD_INTERFACE:${UNIC_KVM_DIR}/libc/include>
    $<INSTALL_INTERFACE:$<INSTALL_PREFIX>/include/unic/kvm-libc>)

add_library(unic_kvm_image INTERFACE)
add_library(unic::kvm_image ALIAS unic_kvm_image)
set_target_properties(unic_kvm_image PROPERTIES EXPORT_NAME kvm_image)
set(UNIC_KVM_LINKER_SCRIPT
    $<BUILD_INTERFACE:${UNIC_KVM_DIR}/kernel.ld>$<INSTALL_INTERFACE:$<INSTALL_PREFIX>/share/unic/kvm/kernel.ld>)
target_link_options(unic_kvm_image INTERFACE
    -nostdlib -static $<$<C_COMPILER_ID:GNU>:-no-pie> -Wl,-T,${UNIC_KVM_LINKER_SCRIPT}
    -Wl,-z,max-page-size=4096 -Wl,-z,noexecstack -Wl,--build-id=none)
set_property(TARGET unic_kvm_image PROPERTY INTERFACE_LINK_DEPENDS ${UNIC_KVM_LINKER_SCRIPT})
