# The kvm platform: every unic library and service compiles freestanding (no host libc, no
# host headers) and links into a static, identity-mapped x86-64 ELF booted by QEMU's -kernel
# through the PVH note (see src/platform/kvm/boot.S and kernel.ld).
include(CheckCCompilerFlag)

# -O2 rather than Release's -O3: a smaller image, and the same optimiser (and warnings) as the
# hosted build, so code that builds there builds here.
set(CMAKE_C_FLAGS_RELEASE "-O2 -DNDEBUG")

set(UNIC_KVM_DIR ${CMAKE_SOURCE_DIR}/src/platform/kvm)
set(UNIC_KVM_LIBC_INCLUDE ${UNIC_KVM_DIR}/libc/include)
set(UNIC_KVM_LINKER_SCRIPT ${UNIC_KVM_DIR}/kernel.ld)

# The compiler's own freestanding headers (stdint.h, stddef.h, stdarg.h, stdbool.h, ...).
execute_process(COMMAND ${CMAKE_C_COMPILER} -print-file-name=include
                OUTPUT_VARIABLE UNIC_KVM_CC_INCLUDE OUTPUT_STRIP_TRAILING_WHITESPACE)
if(NOT IS_DIRECTORY "${UNIC_KVM_CC_INCLUDE}")
    message(FATAL_ERROR "kvm: cannot find the compiler's include directory")
endif()

# Compiled C may use SSE (boot.S enables it), so no -mgeneral-regs-only. No red zone: interrupts
# arrive on the same stack. The canary is a global (__stack_chk_guard), not %fs:0x28. Stores
# through NULL are kept (as in Linux): page 0 is unmapped and a NULL write must fault, not vanish.
# -g: the fault report's addr2line command then prints file:line; debug sections are not loaded.
set(UNIC_KVM_C_FLAGS
    -g -ffreestanding -fno-pie -mno-red-zone -fno-omit-frame-pointer
    -fstack-protector-strong -mstack-protector-guard=global
    -fno-asynchronous-unwind-tables -fno-common -fno-delete-null-pointer-checks -nostdinc)
check_c_compiler_flag(-fno-tree-loop-distribute-patterns UNIC_KVM_HAVE_NO_LDIST)

function(unic_platform_freestanding target)
    target_compile_options(${target} PRIVATE
        "$<$<COMPILE_LANGUAGE:C,ASM>:${UNIC_KVM_C_FLAGS}>")
    # The libc subset first: its limits.h replaces the compiler's, which wants a host one.
    # The compiler's directory goes in as a plain option: CMake drops implicit include dirs.
    target_include_directories(${target} SYSTEM BEFORE PRIVATE ${UNIC_KVM_LIBC_INCLUDE})
    target_compile_options(${target} PRIVATE
        "$<$<COMPILE_LANGUAGE:C,ASM>:SHELL:-idirafter ${UNIC_KVM_CC_INCLUDE}>")
endfunction()

# unic_add_service(NAME SOURCES...): build/kvm/bin/NAME.elf, a bootable image.
function(unic_add_service name)
    add_executable(${name} ${ARGN})
    unic_platform_freestanding(${name})
    set_target_properties(${name} PROPERTIES SUFFIX ".elf" LINK_DEPENDS ${UNIC_KVM_LINKER_SCRIPT})
    target_link_libraries(${name} PRIVATE
        "$<LINK_GROUP:RESCAN,unic_platform_kvm,unic_net,unic_core>" gcc)
    target_link_options(${name} PRIVATE
        -nostdlib -static $<$<C_COMPILER_ID:GNU>:-no-pie> -Wl,--gc-sections -Wl,-T,${UNIC_KVM_LINKER_SCRIPT}
        -Wl,-z,max-page-size=4096 -Wl,-z,noexecstack -Wl,--build-id=none)
endfunction()
