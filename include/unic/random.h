/*
 * Random numbers for the OS: a ChaCha20-based generator keyed from plat_random() at start and
 * rekeyed periodically, so that ISNs, ephemeral ports, IP IDs and DNS IDs are unpredictable
 * without a system call per number.
 */
#ifndef UNIC_RANDOM_H
#define UNIC_RANDOM_H

#include <stddef.h>
#include <stdint.h>

void random_bytes(void *buf, size_t n);
uint32_t random_u32(void);
uint64_t random_u64(void);
/* Uniform in [0, bound) without modulo bias; bound > 0. */
uint32_t random_uniform(uint32_t bound);

/* SipHash-2-4 of (len) bytes at (data) under a 16-byte (key): for RFC 6528 ISNs, SYN cookies
 * and hash tables keyed against flooding. */
uint64_t siphash24(const uint8_t key[16], const void *data, size_t len);

#endif
