/*
 * The key-value store of examples/kv, apart from any network: a bounded table of byte-string
 * keys and values (any bytes but CR and LF; the protocol splits on spaces).
 *
 * Bounds: at most max_keys entries (set on a new key fails with -ENOSPC beyond), keys of at
 * most KV_MAX_KEY bytes, values of at most KV_MAX_VALUE bytes; each entry is one allocation of
 * its exact size, owned by the store and freed on delete, replace and kv_store_fini(). The
 * table is open addressing with linear probing (SipHash with a random key, so a client cannot
 * aim its keys at one slot) and backward-shift deletion: no tombstones, no rehashing.
 */
#ifndef KV_STORE_H
#define KV_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define KV_MAX_KEY 64
#define KV_MAX_VALUE 440 /* "SET " + key + " " + value fits a 512-byte line */
#define KV_MAX_KEYS_LIMIT 1000000u

struct kv_entry;

struct kv_store {
    struct kv_entry **slots; /* 2 * max_keys rounded up to a power of two */
    uint32_t mask, count, max_keys;
    uint8_t hash_key[16];
};

/* 0, -EINVAL (max_keys 0 or over KV_MAX_KEYS_LIMIT), -ENOMEM. */
int kv_store_init(struct kv_store *s, uint32_t max_keys);
void kv_store_fini(struct kv_store *s);

/* Insert or replace. 0, -EINVAL (empty or too long key or value), -ENOSPC (full: a new key
 * when max_keys are held), -ENOMEM. */
int kv_store_set(struct kv_store *s, const uint8_t *key, size_t klen, const uint8_t *val,
                 size_t vlen);
/* The value of (key) (valid until the next set or delete), or false. */
bool kv_store_get(const struct kv_store *s, const uint8_t *key, size_t klen, const uint8_t **val,
                  size_t *vlen);
/* true if (key) was there. */
bool kv_store_del(struct kv_store *s, const uint8_t *key, size_t klen);

#endif
