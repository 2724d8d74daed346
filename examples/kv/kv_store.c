/* The bounded key-value table (see kv_store.h). */
#include "kv_store.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "unic/random.h"

struct kv_entry {
    uint8_t klen;
    uint16_t vlen;
    uint8_t data[]; /* key, then value */
};

int kv_store_init(struct kv_store *s, uint32_t max_keys)
{
    memset(s, 0, sizeof(*s));
    if (max_keys == 0 || max_keys > KV_MAX_KEYS_LIMIT)
        return -EINVAL;
    uint32_t n = 8;
    while (n < 2 * max_keys) /* max_keys <= 1e6: no overflow */
        n *= 2;
    s->slots = calloc(n, sizeof(*s->slots));
    if (!s->slots)
        return -ENOMEM;
    s->mask = n - 1;
    s->max_keys = max_keys;
    random_bytes(s->hash_key, sizeof(s->hash_key));
    return 0;
}

void kv_store_fini(struct kv_store *s)
{
    for (uint32_t i = 0; s->slots && i <= s->mask; i++)
        free(s->slots[i]);
    free(s->slots);
    s->slots = NULL;
    s->count = 0;
}

static uint32_t home(const struct kv_store *s, const uint8_t *key, size_t klen)
{
    return (uint32_t)siphash24(s->hash_key, key, klen) & s->mask;
}

/* The slot holding (key), or the empty slot where it would go. */
static uint32_t find(const struct kv_store *s, const uint8_t *key, size_t klen)
{
    uint32_t i = home(s, key, klen);
    for (;;) {
        const struct kv_entry *e = s->slots[i];
        if (!e || (e->klen == klen && memcmp(e->data, key, klen) == 0))
            return i;
        i = (i + 1) & s->mask; /* the table is never full: count <= max_keys < size / 2 + 1 */
    }
}

int kv_store_set(struct kv_store *s, const uint8_t *key, size_t klen, const uint8_t *val,
                 size_t vlen)
{
    if (klen == 0 || klen > KV_MAX_KEY || vlen == 0 || vlen > KV_MAX_VALUE)
        return -EINVAL;
    uint32_t i = find(s, key, klen);
    if (!s->slots[i] && s->count >= s->max_keys)
        return -ENOSPC;
    struct kv_entry *e = malloc(sizeof(*e) + klen + vlen);
    if (!e)
        return -ENOMEM;
    e->klen = (uint8_t)klen;
    e->vlen = (uint16_t)vlen;
    memcpy(e->data, key, klen);
    memcpy(e->data + klen, val, vlen);
    if (s->slots[i])
        free(s->slots[i]);
    else
        s->count++;
    s->slots[i] = e;
    return 0;
}

bool kv_store_get(const struct kv_store *s, const uint8_t *key, size_t klen, const uint8_t **val,
                  size_t *vlen)
{
    const struct kv_entry *e = s->slots[find(s, key, klen)];
    if (!e)
        return false;
    *val = e->data + e->klen;
    *vlen = e->vlen;
    return true;
}

/* Is (h), an entry's home slot, cyclically in (hole, at]? Then it must stay past the hole. */
static bool home_between(uint32_t hole, uint32_t at, uint32_t h)
{
    return hole <= at ? (hole < h && h <= at) : (hole < h || h <= at);
}

bool kv_store_del(struct kv_store *s, const uint8_t *key, size_t klen)
{
    uint32_t hole = find(s, key, klen);
    if (!s->slots[hole])
        return false;
    free(s->slots[hole]);
    s->slots[hole] = NULL;
    s->count--;
    /* Backward shift: move later entries of the run into the hole when their home allows. */
    for (uint32_t at = (hole + 1) & s->mask; s->slots[at]; at = (at + 1) & s->mask) {
        const struct kv_entry *e = s->slots[at];
        if (home_between(hole, at, home(s, e->data, e->klen)))
            continue;
        s->slots[hole] = s->slots[at];
        s->slots[at] = NULL;
        hole = at;
    }
    return true;
}
