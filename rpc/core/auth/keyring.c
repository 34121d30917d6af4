/*
 * dlc_keyring: the signing keys, published as immutable snapshots (see
 * keyring.h), their validation, generation and retention.
 */
#include "rpc/core/auth/keyring.h"

#include "common/snapshot.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

/* One published set of keys; replaced whole, never changed in place. */
typedef struct {
    size_t n;
    dlc_keyring_key keys[];
} snapshot;

struct dlc_keyring {
    dlc_snapshot keys; /* of snapshot */
};

void dlc_keyring_generate(char kid[64], unsigned char *secret)
{
    unsigned char raw[6];
    randombytes_buf(raw, sizeof raw);
    if (kid) {
        memcpy(kid, "k-", 3);
        sodium_bin2hex(kid + 2, 64 - 2, raw, sizeof raw);
    }
    if (secret)
        randombytes_buf(secret, DLC_KEYRING_GENERATED_SECRET);
}

static void snapshot_free(void *obj)
{
    snapshot *s = obj;
    if (!s)
        return;
    sodium_memzero(s->keys, s->n * sizeof s->keys[0]);
    free(s);
}

static const snapshot *current_snapshot(const dlc_keyring *k)
{
    return dlc_snapshot_get(&k->keys, NULL);
}

dlc_keyring *dlc_keyring_new(void)
{
    /* jti generation needs libsodium; doing it here keeps sign lock-free. */
    if (sodium_init() < 0)
        return NULL;
    dlc_keyring *k = calloc(1, sizeof *k);
    if (k && dlc_snapshot_init(&k->keys, snapshot_free) != 0) {
        free(k);
        return NULL;
    }
    return k;
}

void dlc_keyring_free(dlc_keyring *k)
{
    if (!k)
        return;
    dlc_snapshot_destroy(&k->keys);
    free(k);
}

static bool key_valid(const dlc_keyring_key *key)
{
    size_t kid_len = strnlen(key->kid, sizeof key->kid);
    return kid_len > 0 && kid_len < sizeof key->kid && key->secret_len >= DLC_KEYRING_MIN_SECRET &&
           key->secret_len <= DLC_KEYRING_MAX_SECRET;
}

static bool keys_valid(const dlc_keyring_key *keys, size_t n)
{
    size_t primaries = 0;
    if (!keys)
        return false;
    for (size_t i = 0; i < n; i++) {
        if (!key_valid(&keys[i]))
            return false;
        for (size_t j = 0; j < i; j++)
            if (strcmp(keys[i].kid, keys[j].kid) == 0)
                return false;
        primaries += keys[i].primary;
    }
    return primaries == 1;
}

int dlc_keyring_set(dlc_keyring *k, const dlc_keyring_key *keys, size_t n)
{
    if (!k || !keys_valid(keys, n))
        return -1;
    snapshot *s = malloc(sizeof *s + n * sizeof s->keys[0]);
    if (!s)
        return -1;
    s->n = n;
    memcpy(s->keys, keys, n * sizeof keys[0]);
    return dlc_snapshot_publish(&k->keys, s) ? 0 : -1;
}

size_t dlc_keyring_list(const dlc_keyring *k, dlc_keyring_key *out, size_t max)
{
    const snapshot *s = k ? current_snapshot(k) : NULL;
    if (!s)
        return 0;
    size_t n = s->n < max ? s->n : max;
    if (n > 0)
        memcpy(out, s->keys, n * sizeof *out);
    return s->n;
}

static bool key_live(const dlc_keyring_key *key, int64_t now_ms)
{
    return key->expires_at_ms == 0 || key->expires_at_ms > now_ms;
}

/* Expired keys are never used. */
const dlc_keyring_key *dlc_keyring_find(const dlc_keyring *k, const char *kid, int64_t now_ms)
{
    const snapshot *s = current_snapshot(k);
    for (size_t i = 0; s && i < s->n; i++) {
        const dlc_keyring_key *key = &s->keys[i];
        bool match = kid ? strcmp(key->kid, kid) == 0 : key->primary;
        if (match && key_live(key, now_ms))
            return key;
    }
    return NULL;
}

int64_t dlc_keyring_retention_ms(int64_t ttl_ms, double factor, int64_t max_ms)
{
    double scaled = (double)ttl_ms * factor;
    return scaled >= (double)max_ms ? max_ms : (int64_t)scaled;
}
