/*
 * Shared by the token tests (test_jwt.c, test_keyring.c): a fixed clock and
 * token settings, keys and keyrings, signing and verifying at a given time,
 * and the kid a token names.
 */
#ifndef DLC_TESTS_JWT_FIXTURES_H
#define DLC_TESTS_JWT_FIXTURES_H

/* cmocka.h needs these first */
/* clang-format off */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
/* clang-format on */

#include "rpc/core/auth/jwt.h"

#include <jwt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NOW INT64_C(1700000000000)
#define TTL_MS INT64_C(3600000)
#define LEEWAY_MS INT64_C(30000)
#define NOW_S (NOW / 1000)

static const dlc_jwt_opts OPTS = {
    .issuer = "dlc-test", .audience = "dlc-api", .ttl_ms = TTL_MS, .leeway_ms = LEEWAY_MS};

static inline dlc_keyring_key make_key(const char *kid, unsigned char fill, size_t len, bool primary)
{
    dlc_keyring_key k = {.secret_len = len, .primary = primary, .created_at_ms = NOW};
    snprintf(k.kid, sizeof k.kid, "%s", kid);
    memset(k.secret, fill, len);
    return k;
}

static inline dlc_keyring *ring_of(const dlc_keyring_key *keys, size_t n)
{
    dlc_keyring *k = dlc_keyring_new();
    assert_non_null(k);
    assert_int_equal(dlc_keyring_set(k, keys, n), 0);
    return k;
}

/* Default state: a keyring whose only key is k1 (primary, secret 0x11 * 32). */
static inline int setup(void **state)
{
    dlc_keyring_key k1 = make_key("k1", 0x11, 32, true);
    *state = ring_of(&k1, 1);
    return 0;
}

static inline int teardown(void **state)
{
    dlc_keyring_free(*state);
    return 0;
}

static const dlc_claims USER = {.sub = "42", .username = "alice", .is_admin = false};

/* Not inlined: inlined at -O3, gcc 12 takes the token for a pointer to
 * this frame's local (a -Wdangling-pointer false positive). */
__attribute__((noinline, unused)) static char *sign_at(const dlc_keyring *k, int64_t now_ms)
{
    char *token = NULL;
    assert_int_equal(dlc_jwt_sign(k, &OPTS, &USER, now_ms, &token, NULL), DLC_JWT_OK);
    assert_non_null(token);
    return token;
}

static inline dlc_jwt_rc verify_at(const dlc_keyring *k, const char *token, int64_t now_ms)
{
    dlc_claims out;
    return dlc_jwt_verify(k, &OPTS, token, now_ms, &out);
}

/* Verifies and frees token; returns the rc. */
static inline dlc_jwt_rc verify_free(const dlc_keyring *k, char *token, int64_t now_ms)
{
    dlc_jwt_rc rc = verify_at(k, token, now_ms);
    free(token);
    return rc;
}

/* The kid in token's header (malloc'd), read by libjwt with key. */
static inline char *header_kid(const char *token, const dlc_keyring_key *key)
{
    jwt_t *jwt = NULL;
    assert_int_equal(jwt_decode(&jwt, token, key->secret, (int)key->secret_len), 0);
    char *kid = strdup(jwt_get_header(jwt, "kid"));
    jwt_free(jwt);
    return kid;
}

#endif
