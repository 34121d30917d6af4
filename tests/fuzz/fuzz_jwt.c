/*
 * Fuzz target: JWT verification (rpc/core/auth/jwt.c dlc_jwt_verify) with a
 * fixed keyring (k1 primary, k2 secondary, k0 expired) at a fixed time. The
 * first byte picks the shape of the rest:
 *  - even: a token as received in "Authorization: Bearer …" (shape,
 *    base64url, header and kid; the signature stops almost everything else);
 *  - odd: "HEADER-JSON\nCLAIMS-JSON", which the harness encodes and signs
 *    with k1's secret, so that the claims parser is reached whatever the kid.
 */
#include "fuzz_util.h"

#include "rpc/core/auth/jwt.h"

#include <sodium.h>
#include <stdio.h>

#define NOW_MS INT64_C(1700000000000)

static const dlc_jwt_opts opts = {
    .issuer = "dlc", .audience = "dlc-api", .ttl_ms = 3600000, .leeway_ms = 30000};
static dlc_keyring *ring; /* read-only once set: no state between runs */

static dlc_keyring_key key(const char *kid, unsigned char fill, bool primary, int64_t expires_at_ms)
{
    dlc_keyring_key k = {.secret_len = 32, .primary = primary, .expires_at_ms = expires_at_ms};
    snprintf(k.kid, sizeof k.kid, "%s", kid);
    memset(k.secret, fill, k.secret_len);
    return k;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fuzz_quiet();
    const dlc_keyring_key keys[] = {
        key("k1", 0x11, true, 0),
        key("k2", 0x22, false, NOW_MS + 1000),
        key("k0", 0x33, false, NOW_MS - 1000),
    };
    ring = sodium_init() < 0 ? NULL : dlc_keyring_new();
    if (!ring || dlc_keyring_set(ring, keys, sizeof keys / sizeof keys[0]) != 0)
        abort();
    return 0;
}

/* Appends the unpadded base64url of bin to out (at *at, advanced). */
static void b64url_append(char *out, size_t *at, const uint8_t *bin, size_t len)
{
    const int variant = sodium_base64_VARIANT_URLSAFE_NO_PADDING;
    sodium_bin2base64(out + *at, sodium_base64_ENCODED_LEN(len, variant), bin, len, variant);
    *at += strlen(out + *at);
}

/* "b64(header).b64(claims).b64(HMAC-SHA256 with k1)", malloc'd. */
static char *signed_token(const uint8_t *data, size_t size)
{
    size_t cut = fuzz_find(data, size, '\n');
    size_t rest = cut < size ? cut + 1 : size;
    char *token = malloc(2 * size + 3 * 4 + 64);
    if (!token)
        abort();
    size_t at = 0;
    b64url_append(token, &at, data, cut);
    token[at++] = '.';
    b64url_append(token, &at, data + rest, size - rest);
    dlc_keyring_key k1 = key("k1", 0x11, true, 0);
    unsigned char mac[crypto_auth_hmacsha256_BYTES];
    crypto_auth_hmacsha256_state st;
    crypto_auth_hmacsha256_init(&st, k1.secret, k1.secret_len);
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)token, at);
    crypto_auth_hmacsha256_final(&st, mac);
    token[at++] = '.';
    b64url_append(token, &at, mac, sizeof mac);
    return token;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    char *token = data[0] & 1 ? signed_token(data + 1, size - 1)
                              : fuzz_strndup(data + 1, size - 1);
    dlc_claims claims;
    dlc_jwt_rc rc = dlc_jwt_verify(ring, &opts, token, NOW_MS, &claims);
    if (rc == DLC_JWT_OK && (!claims.sub[0] || !memchr(claims.username, '\0', sizeof claims.username)))
        abort(); /* accepted claims are always complete and terminated */
    free(token);
    return 0;
}
