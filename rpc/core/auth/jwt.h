/*
 * dlc_jwt: HS256 tokens with a `kid` header, signed with the primary key of
 * a keyring and verified with whichever unexpired key the kid names.
 *
 * Verification (libjwt 1.10.2 checks almost nothing itself: it accepts alg
 * none with a NULL key, any HMAC alg with the key, and no time claims): the
 * header is base64url-decoded first to read alg and kid; alg must be
 * exactly HS256; an unknown (or expired) kid is refused before any further
 * decoding; the signature is checked by libsodium (HMAC-SHA256, constant
 * time) before the claims are read; every part is decoded by libsodium,
 * canonical base64url only; exp and nbf are checked with the leeway, iat
 * must not be in the future beyond the leeway, iss and aud must match, sub
 * must be present. libjwt only signs.
 *
 * The keys are a dlc_keyring's (rpc/core/auth/keyring.h).
 */
#ifndef DLC_JWT_H
#define DLC_JWT_H

#include "rpc/core/auth/keyring.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

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

/* Signs claims->sub/username/is_admin/gen with the primary key; fills iat, nbf,
 * exp (now + ttl) and a random jti in *issued (may be NULL). *token is
 * malloc'd (caller free()s). */
dlc_jwt_rc dlc_jwt_sign(const dlc_keyring *k, const dlc_jwt_opts *o, const dlc_claims *claims,
                        int64_t now_ms, char **token, dlc_claims *issued);

/* Verifies token at now_ms; fills *out on DLC_JWT_OK. */
dlc_jwt_rc dlc_jwt_verify(const dlc_keyring *k, const dlc_jwt_opts *o, const char *token,
                          int64_t now_ms, dlc_claims *out);

#endif
