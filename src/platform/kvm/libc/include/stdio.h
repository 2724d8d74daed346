/* The kvm libc subset: stdio.h, formatting only (see ../printf.c); output goes through
 * plat_console_write. */
#ifndef KVM_LIBC_STDIO_H
#define KVM_LIBC_STDIO_H

#include <stdarg.h>
#include <stddef.h>

int snprintf(char *restrict buf, size_t size, const char *restrict fmt, ...)
    __attribute__((format(printf, 3, 4)));
int vsnprintf(char *restrict buf, size_t size, const char *restrict fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));

#endif
