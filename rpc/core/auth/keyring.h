/*
 * dlc_keyring: the HS256 signing keys a core holds — one primary that
 * signs, others that still verify until they expire — and the rules for
 * making and retiring keys (rpc/core/auth/jwt.h signs and verifies with
 * them).
 *
 * Read-mostly. Readers take the current immutable snapshot with one atomic
 * load (no lock); dlc_keyring_set publishes a new snapshot. Retired
 * snapshots are kept until dlc_keyring_free (replacements are rare: config
 * load and secret rotation), so a reader never sees freed memory: a key
 * dlc_keyring_find returns stays valid until dlc_keyring_free.
 */
#ifndef DLC_KEYRING_H
#define DLC_KEYRING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DLC_KEYRING_MIN_SECRET 32
#define DLC_KEYRING_MAX_SECRET 256
/* Live signing secrets a core loads at most; the store refuses more. */
#define DLC_KEYRING_MAX_KEYS 16
/* Secret bytes generated when an admin or the first core gives none. */
#define DLC_KEYRING_GENERATED_SECRET 32

typedef struct {
    char kid[64];
    unsigned char secret[DLC_KEYRING_MAX_SECRET];
    size_t secret_len;
    int64_t created_at_ms;
    int64_t expires_at_ms; /* 0: never */
    bool primary;
} dlc_keyring_key;

typedef struct dlc_keyring dlc_keyring;

/* Fills each non-NULL argument: a new random key id ("k-" + 12 hex
 * characters), DLC_KEYRING_GENERATED_SECRET random secret bytes. */
void dlc_keyring_generate(char kid[64], unsigned char *secret);

/* How long a demoted primary stays valid: min(ttl × factor, max). Tokens it
 * signed live at most ttl, so factor ≥ 1 keeps every one of them valid. */
int64_t dlc_keyring_retention_ms(int64_t ttl_ms, double factor, int64_t max_ms);

/* An empty keyring (NULL when out of memory or libsodium fails to start);
 * the caller frees it with dlc_keyring_free. */
dlc_keyring *dlc_keyring_new(void);
void dlc_keyring_free(dlc_keyring *k);
/* Publishes a copy of keys (exactly one must be primary; secrets ≥ 32
 * bytes; kids unique and non-empty). 0, or -1 (nothing changes). */
int dlc_keyring_set(dlc_keyring *k, const dlc_keyring_key *keys, size_t n);
/* Copies the current keys into out (up to max); returns how many there are. */
size_t dlc_keyring_list(const dlc_keyring *k, dlc_keyring_key *out, size_t max);
/* The unexpired key named kid at now_ms (kid NULL: the primary), or NULL.
 * Owned by the keyring. */
const dlc_keyring_key *dlc_keyring_find(const dlc_keyring *k, const char *kid, int64_t now_ms);

#endif
