/* The kvm libc subset: stdlib.h (see ../malloc.c and ../strtol.c). */
#ifndef KVM_LIBC_STDLIB_H
#define KVM_LIBC_STDLIB_H

#include <stddef.h>

#define EXIT_SUCCESS 0
#define EXIT_FAILURE 1

void *malloc(size_t size);
void *calloc(size_t count, size_t size);
void *realloc(void *ptr, size_t size);
void free(void *ptr);

unsigned long strtoul(const char *s, char **end, int base);
long strtol(const char *s, char **end, int base);
unsigned long long strtoull(const char *s, char **end, int base);
long long strtoll(const char *s, char **end, int base);
int atoi(const char *s);
int abs(int v);
long labs(long v);
_Noreturn void abort(void);
_Noreturn void exit(int status);

#endif
