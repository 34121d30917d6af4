/* dlc_jwt: sign/verify round trip and every rejection path (the keyring's
 * own tests: test_keyring.c). */
/* cmocka needs these first. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "jwt_fixtures.h"

#include <jwt.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* printf into a malloc'd string (asprintf needs _GNU_SOURCE). */
static char *fmt(const char *f, ...)
{
    va_list ap;
    va_start(ap, f);
    int n = vsnprintf(NULL, 0, f, ap);
    va_end(ap);
    assert_true(n >= 0);
    char *s = malloc((size_t)n + 1);
    assert_non_null(s);
    va_start(ap, f);
    vsnprintf(s, (size_t)n + 1, f, ap);
    va_end(ap);
    return s;
}

/* Claims JSON valid at NOW for OPTS, with the times and aud given. */
static char *claims_json(int64_t iat, int64_t nbf, int64_t exp, const char *aud_json)
{
    return fmt("{\"sub\":\"42\",\"username\":\"alice\",\"is_admin\":false,"
               "\"iss\":\"dlc-test\",\"aud\":%s,\"iat\":%lld,\"nbf\":%lld,"
               "\"exp\":%lld,\"jti\":\"abc\"}",
               aud_json, (long long)iat, (long long)nbf, (long long)exp);
}

static char *default_claims(void)
{
    return claims_json(NOW_S, NOW_S, NOW_S + 3600, "\"dlc-api\"");
}

/* A token signed by libjwt directly: any alg, any key, optional kid. */
static char *libjwt_token(jwt_alg_t alg, const dlc_keyring_key *key, const char *kid, char *claims)
{
    jwt_t *jwt = NULL;
    assert_int_equal(jwt_new(&jwt), 0);
    assert_int_equal(jwt_set_alg(jwt, alg, key->secret, (int)key->secret_len), 0);
    if (kid)
        assert_int_equal(jwt_add_header(jwt, "kid", kid), 0);
    assert_int_equal(jwt_add_grants_json(jwt, claims), 0);
    char *token = jwt_encode_str(jwt);
    assert_non_null(token);
    jwt_free(jwt);
    free(claims);
    return token;
}

static char *b64url(const char *s)
{
    size_t cap = sodium_base64_ENCODED_LEN(strlen(s), sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    char *out = malloc(cap);
    assert_non_null(out);
    sodium_bin2base64(out, cap, (const unsigned char *)s, strlen(s),
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    return out;
}

/* header.payload.sig from raw JSON texts. */
static char *craft(const char *header_json, const char *sig)
{
    char *claims = default_claims();
    char *h = b64url(header_json), *p = b64url(claims);
    char *token = fmt("%s.%s.%s", h, p, sig);
    free(h);
    free(p);
    free(claims);
    return token;
}

/* Flips one base64url character in the middle of part (0, 1 or 2). */
static void flip_in_part(char *token, int part)
{
    char *start = token;
    for (int i = 0; i < part; i++)
        start = strchr(start, '.') + 1;
    char *end = strchr(start, '.');
    size_t len = end ? (size_t)(end - start) : strlen(start);
    char *c = start + len / 2;
    *c = *c == 'A' ? 'B' : 'A';
}

/* ---- round trip ------------------------------------------------------- */

static void test_round_trip(void **state)
{
    dlc_claims in = {.sub = "admin", .username = "root", .is_admin = true, .gen = 7}, issued, out;
    char *token = NULL;
    assert_int_equal(dlc_jwt_sign(*state, &OPTS, &in, NOW + 999, &token, &issued), DLC_JWT_OK);
    assert_int_equal(issued.iat, NOW_S);
    assert_int_equal(issued.nbf, NOW_S);
    assert_int_equal(issued.exp, NOW_S + 3600);
    assert_int_equal(strlen(issued.jti), 32);

    assert_int_equal(dlc_jwt_verify(*state, &OPTS, token, NOW + 1000, &out), DLC_JWT_OK);
    assert_string_equal(out.sub, "admin");
    assert_string_equal(out.username, "root");
    assert_true(out.is_admin);
    assert_int_equal(out.gen, 7);
    assert_int_equal(out.iat, issued.iat);
    assert_int_equal(out.nbf, issued.nbf);
    assert_int_equal(out.exp, issued.exp);
    assert_string_equal(out.jti, issued.jti);

    dlc_keyring_key k1 = make_key("k1", 0x11, 32, true);
    char *kid = header_kid(token, &k1);
    assert_string_equal(kid, "k1");
    free(kid);
    free(token);
}

static void test_jti_unique(void **state)
{
    dlc_claims a, b;
    char *t1 = NULL, *t2 = NULL;
    assert_int_equal(dlc_jwt_sign(*state, &OPTS, &USER, NOW, &t1, &a), DLC_JWT_OK);
    assert_int_equal(dlc_jwt_sign(*state, &OPTS, &USER, NOW, &t2, &b), DLC_JWT_OK);
    assert_string_not_equal(a.jti, b.jti);
    free(t1);
    free(t2);
}

static void test_audience_array(void **state)
{
    dlc_keyring_key k1 = make_key("k1", 0x11, 32, true);
    char *claims = claims_json(NOW_S, NOW_S, NOW_S + 60, "[\"other\",\"dlc-api\"]");
    char *token = libjwt_token(JWT_ALG_HS256, &k1, "k1", claims);
    assert_int_equal(verify_free(*state, token, NOW), DLC_JWT_OK);

    claims = claims_json(NOW_S, NOW_S, NOW_S + 60, "[\"other\"]");
    token = libjwt_token(JWT_ALG_HS256, &k1, "k1", claims);
    assert_int_equal(verify_free(*state, token, NOW), DLC_JWT_BAD_AUDIENCE);
}

/* ---- algorithm and key selection -------------------------------------- */

static void test_alg_none(void **state)
{
    char *token = craft("{\"alg\":\"none\",\"kid\":\"k1\"}", "");
    assert_non_null(strstr(token, "eyJhbGciOiJub25lIiwia2lkIjoiazEifQ."));
    assert_int_equal(verify_free(*state, token, NOW), DLC_JWT_BAD_ALG);
}

static void test_alg_hs512_same_key(void **state)
{
    dlc_keyring_key k1 = make_key("k1", 0x11, 32, true);
    char *token = libjwt_token(JWT_ALG_HS512, &k1, "k1", default_claims());
    assert_int_equal(verify_free(*state, token, NOW), DLC_JWT_BAD_ALG);
}

static void test_alg_rs256(void **state)
{
    char *token = craft("{\"alg\":\"RS256\",\"typ\":\"JWT\",\"kid\":\"k1\"}", "c2ln");
    assert_int_equal(verify_free(*state, token, NOW), DLC_JWT_BAD_ALG);
}

static void test_alg_duplicate_header_key(void **state)
{
    char *token = craft("{\"alg\":\"HS256\",\"alg\":\"none\",\"kid\":\"k1\"}", "");
    assert_int_equal(verify_free(*state, token, NOW), DLC_JWT_MALFORMED);
}

static void test_unknown_kid(void **state)
{
    dlc_keyring_key k1 = make_key("k1", 0x11, 32, true);
    char *token = libjwt_token(JWT_ALG_HS256, &k1, "k9", default_claims());
    assert_int_equal(verify_free(*state, token, NOW), DLC_JWT_UNKNOWN_KID);
}

static void test_missing_kid(void **state)
{
    dlc_keyring_key k1 = make_key("k1", 0x11, 32, true);
    char *token = libjwt_token(JWT_ALG_HS256, &k1, NULL, default_claims());
    assert_int_equal(verify_free(*state, token, NOW), DLC_JWT_UNKNOWN_KID);
}

static void test_expired_key(void **state)
{
    (void)state;
    dlc_keyring_key keys[] = {make_key("old", 0x22, 32, false), make_key("k1", 0x11, 32, true)};
    keys[0].expires_at_ms = NOW - 1;
    dlc_keyring *k = ring_of(keys, 2);
    char *token = libjwt_token(JWT_ALG_HS256, &keys[0], "old", default_claims());
    assert_int_equal(verify_free(k, token, NOW), DLC_JWT_UNKNOWN_KID);

    /* A primary that expires after signing: its tokens die with it. */
    keys[0].expires_at_ms = 0;
    keys[1].expires_at_ms = NOW + 1000;
    assert_int_equal(dlc_keyring_set(k, keys, 2), 0);
    token = sign_at(k, NOW);
    assert_int_equal(verify_at(k, token, NOW + 999), DLC_JWT_OK);
    assert_int_equal(verify_free(k, token, NOW + 1000), DLC_JWT_UNKNOWN_KID);
    char *none = NULL;
    assert_int_equal(dlc_jwt_sign(k, &OPTS, &USER, NOW + 1000, &none, NULL), DLC_JWT_NO_KEY);
    assert_null(none);
    dlc_keyring_free(k);
}

static void test_other_secret_same_kid(void **state)
{
    dlc_keyring_key forged = make_key("k1", 0x99, 32, true);
    char *token = libjwt_token(JWT_ALG_HS256, &forged, "k1", default_claims());
    assert_int_equal(verify_free(*state, token, NOW), DLC_JWT_BAD_SIGNATURE);
}

/* ---- time claims ------------------------------------------------------ */

static void test_expired(void **state)
{
    char *token = sign_at(*state, NOW);
    int64_t exp_ms = NOW + TTL_MS;
    assert_int_equal(verify_at(*state, token, exp_ms + LEEWAY_MS - 1), DLC_JWT_OK);
    assert_int_equal(verify_at(*state, token, exp_ms + LEEWAY_MS), DLC_JWT_EXPIRED);
    free(token);
}

static void test_not_yet_valid(void **state)
{
    char *token = sign_at(*state, NOW);
    assert_int_equal(verify_at(*state, token, NOW - LEEWAY_MS), DLC_JWT_OK);
    assert_int_equal(verify_at(*state, token, NOW - LEEWAY_MS - 1), DLC_JWT_NOT_YET_VALID);
    free(token);
}

static void test_iat_in_future(void **state)
{
    dlc_keyring_key k1 = make_key("k1", 0x11, 32, true);
    char *claims = claims_json(NOW_S + 60, NOW_S - 60, NOW_S + 3600, "\"dlc-api\"");
    char *token = libjwt_token(JWT_ALG_HS256, &k1, "k1", claims);
    assert_int_equal(verify_free(*state, token, NOW), DLC_JWT_NOT_YET_VALID);
}

static void test_missing_exp(void **state)
{
    dlc_keyring_key k1 = make_key("k1", 0x11, 32, true);
    char *claims = strdup("{\"sub\":\"42\",\"username\":\"a\",\"is_admin\":false,"
                          "\"iss\":\"dlc-test\",\"aud\":\"dlc-api\",\"iat\":1,\"nbf\":1,"
                          "\"jti\":\"x\"}");
    char *token = libjwt_token(JWT_ALG_HS256, &k1, "k1", claims);
    assert_int_equal(verify_free(*state, token, NOW), DLC_JWT_EXPIRED);
}

/* "gen": absent is generation 0 (tokens from before revocation); present,
 * it must be a non-negative integer. */
static dlc_jwt_rc verify_with_gen(dlc_keyring *k, const char *gen_json, int64_t *gen)
{
    dlc_keyring_key k1 = make_key("k1", 0x11, 32, true);
    char *claims = default_claims();
    char *with = gen_json ? fmt("{\"gen\":%s,%s", gen_json, claims + 1) : strdup(claims);
    free(claims);
    char *token = libjwt_token(JWT_ALG_HS256, &k1, "k1", with);
    dlc_claims out = {.gen = -1};
    dlc_jwt_rc rc = dlc_jwt_verify(k, &OPTS, token, NOW, &out);
    *gen = out.gen;
    free(token);
    return rc;
}

static void test_generation_claim(void **state)
{
    int64_t gen;
    assert_int_equal(verify_with_gen(*state, NULL, &gen), DLC_JWT_OK);
    assert_int_equal(gen, 0);
    assert_int_equal(verify_with_gen(*state, "12", &gen), DLC_JWT_OK);
    assert_int_equal(gen, 12);
    assert_int_equal(verify_with_gen(*state, "-1", &gen), DLC_JWT_MALFORMED);
    assert_int_equal(verify_with_gen(*state, "\"3\"", &gen), DLC_JWT_MALFORMED);
    assert_int_equal(verify_with_gen(*state, "1.5", &gen), DLC_JWT_MALFORMED);
}

/* ---- iss / aud / sub -------------------------------------------------- */

static void test_wrong_issuer(void **state)
{
    dlc_jwt_opts o = OPTS;
    o.issuer = "someone-else";
    char *token = sign_at(*state, NOW);
    dlc_claims out;
    assert_int_equal(dlc_jwt_verify(*state, &o, token, NOW, &out), DLC_JWT_BAD_ISSUER);
    free(token);
}

static void test_wrong_audience(void **state)
{
    dlc_jwt_opts o = OPTS;
    o.audience = "dlc-api-x";
    char *token = sign_at(*state, NOW);
    dlc_claims out;
    assert_int_equal(dlc_jwt_verify(*state, &o, token, NOW, &out), DLC_JWT_BAD_AUDIENCE);
    free(token);
}

static void test_empty_sub(void **state)
{
    dlc_keyring_key k1 = make_key("k1", 0x11, 32, true);
    char *claims = strdup("{\"sub\":\"\",\"username\":\"a\",\"is_admin\":false,"
                          "\"iss\":\"dlc-test\",\"aud\":\"dlc-api\",\"iat\":1,\"nbf\":1,"
                          "\"exp\":99999999999,\"jti\":\"x\"}");
    char *token = libjwt_token(JWT_ALG_HS256, &k1, "k1", claims);
    assert_int_equal(verify_free(*state, token, NOW), DLC_JWT_MALFORMED);

    dlc_claims in = {.sub = "", .username = "a"};
    char *none = NULL;
    assert_int_equal(dlc_jwt_sign(*state, &OPTS, &in, NOW, &none, NULL), DLC_JWT_MALFORMED);
    assert_null(none);
}

/* ---- damaged tokens --------------------------------------------------- */

static void test_tampered_payload(void **state)
{
    char *token = sign_at(*state, NOW);
    flip_in_part(token, 1);
    assert_int_equal(verify_free(*state, token, NOW), DLC_JWT_BAD_SIGNATURE);
}

static void test_tampered_signature(void **state)
{
    char *token = sign_at(*state, NOW);
    flip_in_part(token, 2);
    assert_int_equal(verify_free(*state, token, NOW), DLC_JWT_BAD_SIGNATURE);
}

/* The same 32 bytes spelt with non-zero unused bits in the last character:
 * a lenient decoder accepts it, we hold signatures to one spelling. */
static void test_noncanonical_signature(void **state)
{
    char *token = sign_at(*state, NOW);
    char *last = token + strlen(token) - 1;
    static const char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    int v = (int)(strchr(alphabet, *last) - alphabet);
    assert_int_equal(v & 3, 0);
    *last = alphabet[v | 1];
    assert_int_equal(verify_free(*state, token, NOW), DLC_JWT_BAD_SIGNATURE);
}

/* The header and the payload are held to one spelling as well: a header
 * whose last character has unused bits set does not decode. */
static void test_noncanonical_header(void **state)
{
    char *token = craft("{\"alg\":\"HS256\",\"kid\":\"k1\"}", "c2ln");
    char *last = strchr(token, '.') - 1;
    static const char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    int v = (int)(strchr(alphabet, *last) - alphabet);
    assert_int_equal(v & 3, 0);
    *last = alphabet[v | 1];
    assert_int_equal(verify_free(*state, token, NOW), DLC_JWT_MALFORMED);
}

/* Keys longer than SHA-256's block are hashed first (RFC 2104): what
 * libjwt signs with a 100-byte secret, our check accepts. */
static void test_long_secret(void **state)
{
    (void)state;
    dlc_keyring_key big = make_key("big", 0x5a, 100, true);
    dlc_keyring *k = ring_of(&big, 1);
    char *token = sign_at(k, NOW);
    assert_int_equal(verify_at(k, token, NOW), DLC_JWT_OK);
    flip_in_part(token, 2);
    assert_int_equal(verify_free(k, token, NOW), DLC_JWT_BAD_SIGNATURE);
    dlc_keyring_free(k);
}

static void test_truncated(void **state)
{
    char *token = sign_at(*state, NOW);
    token[strlen(token) - 4] = '\0';
    assert_int_equal(verify_at(*state, token, NOW), DLC_JWT_BAD_SIGNATURE);
    *strrchr(token, '.') = '\0';
    assert_int_equal(verify_free(*state, token, NOW), DLC_JWT_MALFORMED);
}

static void test_empty_and_null(void **state)
{
    assert_int_equal(verify_at(*state, "", NOW), DLC_JWT_MALFORMED);
    assert_int_equal(verify_at(*state, NULL, NOW), DLC_JWT_MALFORMED);
    assert_int_equal(verify_at(*state, "..", NOW), DLC_JWT_MALFORMED);
}

static void test_four_parts(void **state)
{
    char *token = sign_at(*state, NOW);
    char *longer = fmt("%s.abcd", token);
    assert_int_equal(verify_free(*state, longer, NOW), DLC_JWT_MALFORMED);
    free(token);
}

static void test_garbage(void **state)
{
    assert_int_equal(verify_at(*state, "!!!!.@@@@.####", NOW), DLC_JWT_MALFORMED);
    assert_int_equal(verify_at(*state, "abcd.abcd.abcd", NOW), DLC_JWT_MALFORMED);
    assert_int_equal(verify_at(*state, "eyJhbGciOiJIUzI1NiJ9=.e30.c2ln", NOW), DLC_JWT_MALFORMED);
    char *token = sign_at(*state, NOW);
    token[strlen(token) / 2] = '+';
    assert_int_equal(verify_free(*state, token, NOW), DLC_JWT_MALFORMED);
}

static void test_too_long(void **state)
{
    char *token = sign_at(*state, NOW);
    size_t len = 9000;
    char *big = malloc(len + 1);
    assert_non_null(big);
    memset(big, 'A', len);
    big[len] = '\0';
    memcpy(big, token, strlen(token));
    assert_int_equal(verify_free(*state, big, NOW), DLC_JWT_MALFORMED);
    free(token);
}

static void test_rc_names(void **state)
{
    (void)state;
    assert_string_equal(dlc_jwt_rc_name(DLC_JWT_OK), "ok");
    assert_string_equal(dlc_jwt_rc_name(DLC_JWT_EXPIRED), "expired");
    assert_string_equal(dlc_jwt_rc_name(DLC_JWT_BAD_SIGNATURE), "bad_signature");
    assert_string_equal(dlc_jwt_rc_name(DLC_JWT_NOT_YET_VALID), "not_yet_valid");
    assert_string_equal(dlc_jwt_rc_name(DLC_JWT_ERROR), "error");
    assert_string_equal(dlc_jwt_rc_name((dlc_jwt_rc)99), "unknown");
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_round_trip),
        T(test_jti_unique),
        T(test_audience_array),
        T(test_alg_none),
        T(test_alg_hs512_same_key),
        T(test_alg_rs256),
        T(test_alg_duplicate_header_key),
        T(test_unknown_kid),
        T(test_missing_kid),
        T(test_expired_key),
        T(test_other_secret_same_kid),
        T(test_expired),
        T(test_not_yet_valid),
        T(test_iat_in_future),
        T(test_missing_exp),
        T(test_generation_claim),
        T(test_wrong_issuer),
        T(test_wrong_audience),
        T(test_empty_sub),
        T(test_tampered_payload),
        T(test_tampered_signature),
        T(test_truncated),
        T(test_noncanonical_signature),
        T(test_noncanonical_header),
        T(test_long_secret),
        T(test_empty_and_null),
        T(test_four_parts),
        T(test_garbage),
        T(test_too_long),
        T(test_rc_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
