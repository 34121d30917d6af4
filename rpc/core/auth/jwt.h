/*
 * dlc_jwt: HS256 tokens with a `kid` header, signed with the primary key of
 * a keyring and verified with whichever unexpired key the kid names.
 *
 * Verification (libjwt 1.10.2 checks almost nothing itself: it accepts alg
 * none with a NULL key, any HMAC alg with the key, and no time claims): the header is base64url-decoded first to read alg and kid;
 * alg must be exactly HS256; an unknown (or expired) kid is refused before
 * any decoding; the signature is checked by libsodium (HMAC-SHA256, constant
 * time, canonical encoding only) before the claims are read; exp and nbf are
 * checked with the leeway, iat must not be in the future beyond the leeway,
 * iss and aud must match, sub must be present. libjwt only signs.
 *
 * Keyring: read-mostly. Readers take the current immutable snapshot with one
 * atomic load (no lock); dlc_keyring_set publishes a new snapshot. Retired
 * snapshots are kept until dlc_keyring_free (replacements are rare: config
 * load and secret rotation), so a reader never sees freed memory.
 */
#ifndef DLC_JWT_H
#define DLC_JWT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DLC_JWT_MIN_SECRET 32
/* Live signing secrets a core loads at most; the store refuses more. */
#define DLC_JWT_KEYRING_MAX 16
#define DLC_JWT_MAX_SECRET 256

typedef struct {
    char kid[64];
    unsigned char secret[DLC_JWT_MAX_SECRET];
    size_t secret_len;
    int64_t created_at_ms;
    int64_t expires_at_ms; /* 0: never */
    bool primary;
} dlc_jwt_key;

/* Secret bytes generated when an admin or the first core gives none. */
#define DLC_JWT_GENERATED_SECRET 32

/* Fills each non-NULL argument: a new random key id ("k-" + 12 hex
 * characters), DLC_JWT_GENERATED_SECRET random secret bytes. */
void dlc_jwt_generate(char kid[64], unsigned char *secret);

typedef struct dlc_keyring dlc_keyring;

dlc_keyring *dlc_keyring_new(void);
void dlc_keyring_free(dlc_keyring *k);
/* Publishes a copy of keys (exactly one must be primary; secrets ≥ 32
 * bytes; kids unique and non-empty). 0, or -1 (nothing changes). */
int dlc_keyring_set(dlc_keyring *k, const dlc_jwt_key *keys, size_t n);
/* Copies the current keys into out (up to max); returns how many there are. */
size_t dlc_keyring_list(const dlc_keyring *k, dlc_jwt_key *out, size_t max);

typedef struct {
    char sub[64];      /* user id as decimal text, or "admin" */
    char username[64];
    bool is_admin;
    /* The token generation of its subject (claim "gen"; absent reads 0):
     * a token whose generation is not the subject's current one was
     * revoked (a password change or reset, an admin's revocation). */
    int64_t gen;
    int64_t iat, nbf, exp; /* seconds since the epoch */
    char jti[40];
} dlc_claims;

typedef struct {
    const char *issuer;
    const char *audience;
    int64_t ttl_ms;
    int64_t leeway_ms;
} dlc_jwt_opts;

typedef enum {
    DLC_JWT_OK = 0,
    DLC_JWT_MALFORMED,     /* not three base64url parts, bad JSON, missing claims */
    DLC_JWT_BAD_ALG,       /* anything but HS256 (none, HS512, RS256, …) */
    DLC_JWT_UNKNOWN_KID,   /* no kid, or no unexpired key with that kid */
    DLC_JWT_BAD_SIGNATURE,
    DLC_JWT_EXPIRED,
    DLC_JWT_NOT_YET_VALID, /* nbf (or iat) in the future beyond the leeway */
    DLC_JWT_BAD_ISSUER,
    DLC_JWT_BAD_AUDIENCE,
    DLC_JWT_NO_KEY,        /* signing: the keyring has no primary key */
    DLC_JWT_ERROR,         /* out of memory */
} dlc_jwt_rc;

const char *dlc_jwt_rc_name(dlc_jwt_rc rc);

/* How long a demoted primary stays valid: min(ttl × factor, max). Tokens it
 * signed live at most ttl, so factor ≥ 1 keeps every one of them valid. */
int64_t dlc_jwt_retention_ms(int64_t ttl_ms, double factor, int64_t max_ms);

/* Signs claims->sub/username/is_admin/gen with the primary key; fills iat, nbf,
 * exp (now + ttl) and a random jti in *issued (may be NULL). *token is
 * malloc'd (caller free()s). */
dlc_jwt_rc dlc_jwt_sign(const dlc_keyring *k, const dlc_jwt_opts *o, const dlc_claims *claims,
                        int64_t now_ms, char **token, dlc_claims *issued);

/* Verifies token at now_ms; fills *out on DLC_JWT_OK. */
dlc_jwt_rc dlc_jwt_verify(const dlc_keyring *k, const dlc_jwt_opts *o, const char *token,
                          int64_t now_ms, dlc_claims *out);

#endif
