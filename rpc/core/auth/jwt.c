/*
 * dlc_jwt: signing tokens with libjwt and verifying them ourselves (shape,
 * header, HMAC by libsodium, claims), as jwt.h describes.
 */
#include "rpc/core/auth/jwt.h"

#include <errno.h>
#include <jansson.h>
#include <jwt.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

/* libjwt takes and returns times as long. */
_Static_assert(sizeof(long) >= sizeof(int64_t), "libjwt grants must hold int64_t");

/* Far above any token we issue; bounds the work an attacker can make us do. */
#define MAX_TOKEN 8192
/* Our headers are ~50 bytes of JSON; anything much bigger is not ours. */
#define MAX_HEADER_JSON 1024
#define JTI_BYTES 16
/* Times beyond this (year ~318000) are refused so that seconds * 1000 plus
 * the leeway can never overflow int64_t. */
#define MAX_TIME_S INT64_C(10000000000000)
#define MAX_LEEWAY_MS INT64_C(86400000)

/* ---- small helpers ------------------------------------------------------ */

const char *dlc_jwt_rc_name(dlc_jwt_rc rc)
{
    static const char *const names[] = {
        [DLC_JWT_OK] = "ok",
        [DLC_JWT_MALFORMED] = "malformed",
        [DLC_JWT_BAD_ALG] = "bad_alg",
        [DLC_JWT_UNKNOWN_KID] = "unknown_kid",
        [DLC_JWT_BAD_SIGNATURE] = "bad_signature",
        [DLC_JWT_EXPIRED] = "expired",
        [DLC_JWT_NOT_YET_VALID] = "not_yet_valid",
        [DLC_JWT_BAD_ISSUER] = "bad_issuer",
        [DLC_JWT_BAD_AUDIENCE] = "bad_audience",
        [DLC_JWT_NO_KEY] = "no_key",
        [DLC_JWT_ERROR] = "error",
    };
    if ((unsigned)rc >= sizeof names / sizeof names[0])
        return "unknown";
    return names[rc];
}

static bool opts_valid(const dlc_jwt_opts *o)
{
    return o && o->issuer && o->audience && o->leeway_ms >= 0 && o->leeway_ms <= MAX_LEEWAY_MS;
}

static bool fits(const char *s, size_t cap)
{
    return strnlen(s, cap) < cap;
}

/* Exact comparison: a JSON string may hide a NUL that strcmp would stop at. */
static bool json_str_eq(const json_t *v, const char *s)
{
    size_t len = strlen(s);
    return json_is_string(v) && json_string_length(v) == len &&
           memcmp(json_string_value(v), s, len) == 0;
}

/* Copies a JSON string of 1..cap-1 bytes without embedded NULs. */
static bool json_str_copy(const json_t *v, char *dst, size_t cap, bool allow_empty)
{
    if (!json_is_string(v))
        return false;
    size_t len = json_string_length(v);
    const char *s = json_string_value(v);
    if (len >= cap || (len == 0 && !allow_empty) || strlen(s) != len)
        return false;
    memcpy(dst, s, len + 1);
    return true;
}

/* ---- signing ------------------------------------------------------------ */

static int add_claims(jwt_t *jwt, const dlc_keyring_key *key, const dlc_jwt_opts *o,
                      const dlc_claims *c)
{
    return jwt_set_alg(jwt, JWT_ALG_HS256, key->secret, (int)key->secret_len) ||
           jwt_add_header(jwt, "kid", key->kid) || jwt_add_grant(jwt, "sub", c->sub) ||
           jwt_add_grant(jwt, "username", c->username) ||
           jwt_add_grant_bool(jwt, "is_admin", c->is_admin) ||
           jwt_add_grant_int(jwt, "gen", (long)c->gen) ||
           jwt_add_grant(jwt, "iss", o->issuer) || jwt_add_grant(jwt, "aud", o->audience) ||
           jwt_add_grant_int(jwt, "iat", (long)c->iat) ||
           jwt_add_grant_int(jwt, "nbf", (long)c->nbf) ||
           jwt_add_grant_int(jwt, "exp", (long)c->exp) || jwt_add_grant(jwt, "jti", c->jti);
}

static char *encode(const dlc_keyring_key *key, const dlc_jwt_opts *o, const dlc_claims *c)
{
    jwt_t *jwt = NULL;
    if (jwt_new(&jwt) != 0)
        return NULL;
    char *token = add_claims(jwt, key, o, c) == 0 ? jwt_encode_str(jwt) : NULL;
    jwt_free(jwt);
    return token;
}

dlc_jwt_rc dlc_jwt_sign(const dlc_keyring *k, const dlc_jwt_opts *o, const dlc_claims *claims,
                        int64_t now_ms, char **token, dlc_claims *issued)
{
    if (!k || !opts_valid(o) || o->ttl_ms <= 0 || !claims || !token)
        return DLC_JWT_ERROR;
    *token = NULL;
    if (!claims->sub[0] || !fits(claims->sub, sizeof claims->sub) ||
        !fits(claims->username, sizeof claims->username))
        return DLC_JWT_MALFORMED;
    const dlc_keyring_key *key = dlc_keyring_find(k, NULL, now_ms);
    if (!key)
        return DLC_JWT_NO_KEY;

    dlc_claims c = {.is_admin = claims->is_admin, .gen = claims->gen};
    memcpy(c.sub, claims->sub, sizeof c.sub);
    memcpy(c.username, claims->username, sizeof c.username);
    c.iat = now_ms / 1000;
    c.nbf = c.iat;
    c.exp = c.iat + o->ttl_ms / 1000;
    unsigned char rnd[JTI_BYTES];
    randombytes_buf(rnd, sizeof rnd);
    sodium_bin2hex(c.jti, sizeof c.jti, rnd, sizeof rnd);

    *token = encode(key, o, &c);
    if (!*token)
        return DLC_JWT_ERROR;
    if (issued)
        *issued = c;
    return DLC_JWT_OK;
}

/* ---- verification: token shape and header -------------------------------- */

/* Unpadded base64url only: libjwt's own decoder skips junk characters, so
 * the whole token is held to the strict alphabet before it gets there.
 * s[len] is a '.' or the end, neither in the alphabet. */
static bool b64url_valid(const char *s, size_t len)
{
    static const char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    return strspn(s, alphabet) == len && len % 4 != 1;
}

/* Decodes unpadded base64url into out by libsodium, which refuses
 * non-canonical spellings (unused bits set); false also when the bytes do
 * not fit in cap. */
static bool b64url_decode(const char *s, size_t len, unsigned char *out, size_t cap,
                          size_t *out_len)
{
    return sodium_base642bin(out, cap, s, len, NULL, out_len, NULL,
                             sodium_base64_VARIANT_URLSAFE_NO_PADDING) == 0;
}

/* Size cap, exactly three base64url parts (header non-empty). head_len is
 * the header's length, signed_len that of "header.payload". */
static dlc_jwt_rc check_shape(const char *token, size_t *head_len, size_t *signed_len)
{
    size_t len = strnlen(token, MAX_TOKEN + 1);
    size_t start = 0, parts = 0;
    if (len > MAX_TOKEN)
        return DLC_JWT_MALFORMED;
    for (size_t i = 0; i <= len; i++) {
        if (i < len && token[i] != '.')
            continue;
        if (!b64url_valid(token + start, i - start))
            return DLC_JWT_MALFORMED;
        if (parts == 0)
            *head_len = i;
        else if (parts == 1)
            *signed_len = i;
        parts++;
        start = i + 1;
    }
    return parts == 3 && *head_len > 0 ? DLC_JWT_OK : DLC_JWT_MALFORMED;
}

static dlc_jwt_rc header_fields(const json_t *h, char *kid, size_t kid_cap)
{
    if (!json_str_eq(json_object_get(h, "alg"), "HS256"))
        return DLC_JWT_BAD_ALG;
    if (!json_str_copy(json_object_get(h, "kid"), kid, kid_cap, false))
        return DLC_JWT_UNKNOWN_KID;
    return DLC_JWT_OK;
}

/* Reads alg and kid ourselves: libjwt would pick the algorithm from the
 * token and we need the kid before we can hand it a key. */
static dlc_jwt_rc read_header(const char *b64, size_t len, char *kid, size_t kid_cap)
{
    unsigned char buf[MAX_HEADER_JSON];
    size_t n;
    if (!b64url_decode(b64, len, buf, sizeof buf, &n))
        return DLC_JWT_MALFORMED;
    /* Duplicates refused: libjwt keeps the last "alg", we must not see another. */
    json_t *h = json_loadb((const char *)buf, n, JSON_REJECT_DUPLICATES, NULL);
    dlc_jwt_rc rc = json_is_object(h) ? header_fields(h, kid, kid_cap) : DLC_JWT_MALFORMED;
    json_decref(h);
    return rc;
}

/* ---- verification: claims ------------------------------------------------ */

static bool json_time(const json_t *claims, const char *name, int64_t *out)
{
    const json_t *v = json_object_get(claims, name);
    if (!json_is_integer(v))
        return false;
    json_int_t t = json_integer_value(v);
    if (t < 0 || t > MAX_TIME_S)
        return false;
    *out = (int64_t)t;
    return true;
}

static dlc_jwt_rc check_times(const json_t *c, int64_t leeway_ms, int64_t now_ms, dlc_claims *out)
{
    if (!json_time(c, "exp", &out->exp) || now_ms >= out->exp * 1000 + leeway_ms)
        return DLC_JWT_EXPIRED;
    if (!json_time(c, "nbf", &out->nbf) || out->nbf * 1000 - leeway_ms > now_ms)
        return DLC_JWT_NOT_YET_VALID;
    if (!json_time(c, "iat", &out->iat) || out->iat * 1000 - leeway_ms > now_ms)
        return DLC_JWT_NOT_YET_VALID;
    return DLC_JWT_OK;
}

static bool audience_ok(const json_t *aud, const char *want)
{
    if (!json_is_array(aud))
        return json_str_eq(aud, want);
    for (size_t i = 0; i < json_array_size(aud); i++)
        if (json_str_eq(json_array_get(aud, i), want))
            return true;
    return false;
}

/* "gen": absent (tokens from before revocation existed) is generation 0;
 * present, a non-negative integer. */
static bool generation(const json_t *gen, int64_t *out)
{
    *out = json_is_integer(gen) ? (int64_t)json_integer_value(gen) : 0;
    return !gen || (json_is_integer(gen) && *out >= 0);
}

static dlc_jwt_rc check_identity(const json_t *c, const dlc_jwt_opts *o, dlc_claims *out)
{
    if (!json_str_eq(json_object_get(c, "iss"), o->issuer))
        return DLC_JWT_BAD_ISSUER;
    if (!audience_ok(json_object_get(c, "aud"), o->audience))
        return DLC_JWT_BAD_AUDIENCE;
    const json_t *admin = json_object_get(c, "is_admin");
    if (!json_str_copy(json_object_get(c, "sub"), out->sub, sizeof out->sub, false) ||
        !json_str_copy(json_object_get(c, "username"), out->username, sizeof out->username, true) ||
        !json_str_copy(json_object_get(c, "jti"), out->jti, sizeof out->jti, false) ||
        !json_is_boolean(admin) || !generation(json_object_get(c, "gen"), &out->gen))
        return DLC_JWT_MALFORMED;
    out->is_admin = json_is_true(admin);
    return DLC_JWT_OK;
}

/* Claims are read with jansson from the payload we decoded ourselves, to
 * insist on types (a string "exp" or a float is refused rather than read as
 * 0) and on unique names. */
static dlc_jwt_rc check_claims(const char *b64, size_t len, const dlc_jwt_opts *o, int64_t now_ms,
                               dlc_claims *out)
{
    unsigned char buf[MAX_TOKEN];
    size_t n;
    if (!b64url_decode(b64, len, buf, sizeof buf, &n))
        return DLC_JWT_MALFORMED;
    json_t *c = json_loadb((const char *)buf, n, JSON_REJECT_DUPLICATES, NULL);
    dlc_jwt_rc rc = DLC_JWT_MALFORMED;
    if (json_is_object(c)) {
        rc = check_times(c, o->leeway_ms, now_ms, out);
        if (rc == DLC_JWT_OK)
            rc = check_identity(c, o, out);
    }
    json_decref(c);
    return rc;
}

/* HS256 by libsodium: HMAC-SHA256 of "header.payload" with the key the kid
 * named, compared in constant time. libjwt 1.10's own check compares with
 * strcmp (timing leaks how much of a forged signature is right) and goes
 * through OpenSSL's slow per-call algorithm lookup. The signature must be
 * the canonical encoding of 32 bytes: 43 characters, unused bits zero
 * (b64url_decode refuses any other spelling). */
static dlc_jwt_rc check_signature(const char *token, size_t signed_len, const dlc_keyring_key *key)
{
    const char *sig = token + signed_len + 1;
    size_t sig_len = strlen(sig);
    unsigned char got[crypto_auth_hmacsha256_BYTES], want[crypto_auth_hmacsha256_BYTES];
    size_t n = 0;
    if (!b64url_decode(sig, sig_len, got, sizeof got, &n) || n != sizeof want)
        return DLC_JWT_BAD_SIGNATURE;
    crypto_auth_hmacsha256_state st;
    crypto_auth_hmacsha256_init(&st, key->secret, key->secret_len);
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)token, signed_len);
    crypto_auth_hmacsha256_final(&st, want);
    sodium_memzero(&st, sizeof st);
    return sodium_memcmp(got, want, sizeof want) == 0 ? DLC_JWT_OK : DLC_JWT_BAD_SIGNATURE;
}

dlc_jwt_rc dlc_jwt_verify(const dlc_keyring *k, const dlc_jwt_opts *o, const char *token,
                          int64_t now_ms, dlc_claims *out)
{
    if (!k || !opts_valid(o) || !out)
        return DLC_JWT_ERROR;
    if (!token)
        return DLC_JWT_MALFORMED;
    size_t head_len = 0, signed_len = 0;
    dlc_jwt_rc rc = check_shape(token, &head_len, &signed_len);
    char kid[sizeof((dlc_keyring_key *)0)->kid];
    if (rc == DLC_JWT_OK)
        rc = read_header(token, head_len, kid, sizeof kid);
    if (rc != DLC_JWT_OK)
        return rc;
    const dlc_keyring_key *key = dlc_keyring_find(k, kid, now_ms);
    if (!key)
        return DLC_JWT_UNKNOWN_KID;
    rc = check_signature(token, signed_len, key);
    dlc_claims c = {0};
    if (rc == DLC_JWT_OK)
        rc = check_claims(token + head_len + 1, signed_len - head_len - 1, o, now_ms, &c);
    if (rc == DLC_JWT_OK)
        *out = c;
    return rc;
}
