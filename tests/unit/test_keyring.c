/* dlc_keyring: an empty ring signs nothing, rotation keeps old tokens
 * valid, invalid sets are refused whole, readers never see a torn ring while
 * it is republished, and the retention arithmetic. */
#include "jwt_fixtures.h"

#include <pthread.h>
#include <stdatomic.h>

static void test_empty_ring(void **state)
{
    (void)state;
    dlc_keyring *k = dlc_keyring_new();
    assert_non_null(k);
    char *token = NULL;
    assert_int_equal(dlc_jwt_sign(k, &OPTS, &USER, NOW, &token, NULL), DLC_JWT_NO_KEY);
    assert_int_equal(dlc_keyring_list(k, NULL, 0), 0);
    dlc_keyring_free(k);
}

static void test_rotation(void **state)
{
    dlc_keyring *k = *state;
    char *old = sign_at(k, NOW);
    dlc_keyring_key keys[] = {make_key("k1", 0x11, 32, false), make_key("k2", 0x22, 64, true)};
    assert_int_equal(dlc_keyring_set(k, keys, 2), 0);

    assert_int_equal(verify_free(k, old, NOW), DLC_JWT_OK);
    char *fresh = sign_at(k, NOW);
    char *kid = header_kid(fresh, &keys[1]);
    assert_string_equal(kid, "k2");
    free(kid);
    assert_int_equal(verify_free(k, fresh, NOW), DLC_JWT_OK);

    dlc_keyring_key listed[4];
    assert_int_equal(dlc_keyring_list(k, listed, 4), 2);
    assert_string_equal(listed[1].kid, "k2");
    assert_true(listed[1].primary);
    assert_int_equal(dlc_keyring_list(k, listed, 1), 2);
}

static void expect_refused(dlc_keyring *k, const dlc_keyring_key *keys, size_t n)
{
    assert_int_equal(dlc_keyring_set(k, keys, n), -1);
    dlc_keyring_key listed[2];
    assert_int_equal(dlc_keyring_list(k, listed, 2), 1);
    assert_string_equal(listed[0].kid, "k1");
    assert_int_equal(verify_free(k, sign_at(k, NOW), NOW), DLC_JWT_OK);
}

static void test_set_refuses(void **state)
{
    dlc_keyring *k = *state;
    dlc_keyring_key none[] = {make_key("a", 1, 32, false), make_key("b", 2, 32, false)};
    dlc_keyring_key two[] = {make_key("a", 1, 32, true), make_key("b", 2, 32, true)};
    dlc_keyring_key shortkey[] = {make_key("a", 1, DLC_KEYRING_MIN_SECRET - 1, true)};
    dlc_keyring_key longkey[] = {make_key("a", 1, 32, true)};
    longkey[0].secret_len = DLC_KEYRING_MAX_SECRET + 1;
    dlc_keyring_key dup[] = {make_key("a", 1, 32, true), make_key("a", 2, 32, false)};
    dlc_keyring_key empty_kid[] = {make_key("", 1, 32, true)};
    dlc_keyring_key long_kid[] = {make_key("a", 1, 32, true)};
    memset(long_kid[0].kid, 'x', sizeof long_kid[0].kid);

    expect_refused(k, none, 2);
    expect_refused(k, two, 2);
    expect_refused(k, shortkey, 1);
    expect_refused(k, longkey, 1);
    expect_refused(k, dup, 2);
    expect_refused(k, empty_kid, 1);
    expect_refused(k, long_kid, 1);
    expect_refused(k, none, 0);
    expect_refused(k, NULL, 1);
}

/* ---- concurrency ------------------------------------------------------ */

struct race {
    dlc_keyring *k;
    const char *token;
    atomic_bool done;
    atomic_int failures;
    atomic_long rounds;
};

static void *reader(void *arg)
{
    struct race *r = arg;
    do {
        char *own = NULL;
        dlc_claims out;
        if (dlc_jwt_verify(r->k, &OPTS, r->token, NOW, &out) != DLC_JWT_OK ||
            dlc_jwt_sign(r->k, &OPTS, &USER, NOW, &own, NULL) != DLC_JWT_OK ||
            dlc_jwt_verify(r->k, &OPTS, own, NOW, &out) != DLC_JWT_OK)
            atomic_fetch_add(&r->failures, 1);
        free(own);
        atomic_fetch_add(&r->rounds, 1);
    } while (!atomic_load(&r->done));
    return NULL;
}

static void test_concurrent_republish(void **state)
{
    struct race r = {.k = *state};
    char *token = sign_at(r.k, NOW);
    r.token = token;
    atomic_init(&r.done, false);
    atomic_init(&r.failures, 0);
    atomic_init(&r.rounds, 0);
    pthread_t threads[4];
    for (int i = 0; i < 4; i++)
        assert_int_equal(pthread_create(&threads[i], NULL, reader, &r), 0);

    for (int i = 0; i < 200; i++) {
        /* k1 and k2 stay (readers' tokens must keep verifying) and swap the
         * primary role; a third key changes kid every round. */
        dlc_keyring_key keys[3] = {make_key("k1", 0x11, 32, i % 2 == 0),
                               make_key("k2", 0x22, 48, i % 2 != 0), make_key("", 3, 64, false)};
        snprintf(keys[2].kid, sizeof keys[2].kid, "gen-%d", i);
        assert_int_equal(dlc_keyring_set(r.k, keys, 3), 0);
    }
    atomic_store(&r.done, true);
    for (int i = 0; i < 4; i++)
        pthread_join(threads[i], NULL);
    assert_int_equal(atomic_load(&r.failures), 0);
    assert_true(atomic_load(&r.rounds) >= 4);
    free(token);
}

/* min(ttl × factor, max): the figures of the original service's ADR. */
static void retention_arithmetic(void **state)
{
    (void)state;
    const int64_t h = 3600 * 1000;
    assert_int_equal(dlc_keyring_retention_ms(24 * h, 2.0, 72 * h), 48 * h);
    assert_int_equal(dlc_keyring_retention_ms(2 * h, 3.0, 72 * h), 6 * h);
    assert_int_equal(dlc_keyring_retention_ms(72 * h, 3.0, 72 * h), 72 * h); /* capped */
    assert_int_equal(dlc_keyring_retention_ms(1 * h, 1.0, 72 * h), 1 * h);
    assert_int_equal(dlc_keyring_retention_ms(1 * h, 2.5, 72 * h), 2 * h + h / 2);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(retention_arithmetic),
        cmocka_unit_test(test_empty_ring),
        T(test_rotation),
        T(test_set_refuses),
        T(test_concurrent_republish),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
