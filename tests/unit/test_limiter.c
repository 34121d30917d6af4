/* GCRA step arithmetic and the sharded in-memory limiter, with an injected clock. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "rpc/core/limit/limiter.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

/* A base time far from 0 so that "tat 0 = new bucket" is exercised honestly. */
#define T0 INT64_C(1700000000000)

static const dlc_limit_rule per_minute_10 = {.limit = 60, .window_ms = 60000, .burst = 10};

static int setup(void **state)
{
    *state = dlc_limiter_new(1000);
    return *state == NULL ? -1 : 0;
}

static int teardown(void **state)
{
    dlc_limiter_free(*state);
    return 0;
}

static void expect_allowed(dlc_limit_decision d, int64_t remaining, int64_t reset_ms)
{
    assert_true(d.allowed);
    assert_int_equal(d.remaining, remaining);
    assert_int_equal(d.reset_ms, reset_ms);
    assert_int_equal(d.retry_after_ms, 0);
}

static void expect_denied(dlc_limit_decision d, int64_t retry_after_ms, int64_t reset_ms)
{
    assert_false(d.allowed);
    assert_int_equal(d.remaining, 0);
    assert_int_equal(d.retry_after_ms, retry_after_ms);
    assert_int_equal(d.reset_ms, reset_ms);
}

static void expect_same(dlc_limit_decision got, dlc_limit_decision want)
{
    assert_int_equal(got.allowed, want.allowed);
    assert_int_equal(got.remaining, want.remaining);
    assert_int_equal(got.reset_ms, want.reset_ms);
    assert_int_equal(got.retry_after_ms, want.retry_after_ms);
}

/* Takes n requests for key at now; returns how many were allowed. */
static int take_n(dlc_limiter *l, const char *key, const dlc_limit_rule *r, int64_t now, int n)
{
    int allowed = 0;
    for (int i = 0; i < n; i++)
        allowed += dlc_limiter_take(l, key, r, now).allowed;
    return allowed;
}

/* ---- dlc_limit_step ------------------------------------------------------ */

static void step_fresh_burst(void **state)
{
    (void)state;
    int64_t tat = 0;
    for (int64_t i = 0; i < 10; i++)
        expect_allowed(dlc_limit_step(&tat, &per_minute_10, T0), 9 - i, 1000 * (i + 1));
    assert_int_equal(tat, T0 + 10000);
    expect_denied(dlc_limit_step(&tat, &per_minute_10, T0), 1000, 10000);
    assert_int_equal(tat, T0 + 10000); /* denied: unchanged */
}

static void step_refill(void **state)
{
    (void)state;
    int64_t tat = 0;
    for (int i = 0; i < 10; i++)
        dlc_limit_step(&tat, &per_minute_10, T0);
    expect_denied(dlc_limit_step(&tat, &per_minute_10, T0 + 999), 1, 9001);
    expect_allowed(dlc_limit_step(&tat, &per_minute_10, T0 + 1000), 0, 10000);
    expect_denied(dlc_limit_step(&tat, &per_minute_10, T0 + 1000), 1000, 10000);
    /* Full 10 s after the last admission: a whole burst again. */
    int64_t full = T0 + 11000;
    for (int64_t i = 0; i < 10; i++)
        expect_allowed(dlc_limit_step(&tat, &per_minute_10, full), 9 - i, 1000 * (i + 1));
    assert_false(dlc_limit_step(&tat, &per_minute_10, full).allowed);
}

static void step_burst_one(void **state)
{
    (void)state;
    const dlc_limit_rule r = {.limit = 2, .window_ms = 1000, .burst = 1};
    int64_t tat = 0;
    expect_allowed(dlc_limit_step(&tat, &r, T0), 0, 500);
    expect_denied(dlc_limit_step(&tat, &r, T0), 500, 500);
    expect_denied(dlc_limit_step(&tat, &r, T0 + 499), 1, 1);
    expect_allowed(dlc_limit_step(&tat, &r, T0 + 500), 0, 500);
}

/* T is rounded up: 7 per 1000 ms admits 7 per 1001 ms, never more than the rule. */
static void step_rounds_against_the_client(void **state)
{
    (void)state;
    const dlc_limit_rule r = {.limit = 7, .window_ms = 1000, .burst = 1};
    const int64_t span = 1001000;
    int64_t tat = 0;
    int64_t allowed = 0;
    for (int64_t ms = 0; ms < span; ms++)
        allowed += dlc_limit_step(&tat, &r, T0 + ms).allowed;
    /* Admitted at 0, 143, 286, ...: 7000 (the exact rate would admit 7007). */
    assert_int_equal(allowed, (span + 142) / 143);
    assert_true(allowed <= 7 * span / 1000);

    const dlc_limit_rule exact = {.limit = 60, .window_ms = 60000, .burst = 1};
    tat = 0;
    expect_allowed(dlc_limit_step(&tat, &exact, T0), 0, 1000);
}

static void step_bad_rule_fields_count_as_one(void **state)
{
    (void)state;
    const dlc_limit_rule zero = {0, 0, 0};
    const dlc_limit_rule negative = {-5, -1, INT64_MIN};
    const dlc_limit_rule *rules[] = {&zero, &negative, NULL};
    for (size_t i = 0; i < sizeof rules / sizeof rules[0]; i++) {
        int64_t tat = 0;
        expect_allowed(dlc_limit_step(&tat, rules[i], T0), 0, 1);
        expect_denied(dlc_limit_step(&tat, rules[i], T0), 1, 1);
        expect_allowed(dlc_limit_step(&tat, rules[i], T0 + 1), 0, 1);
    }
}

/* The state is time: consumed time stays consumed whatever the new rule. */
static void step_rule_change(void **state)
{
    (void)state;
    int64_t tat = 0;
    for (int i = 0; i < 10; i++)
        dlc_limit_step(&tat, &per_minute_10, T0);
    assert_false(dlc_limit_step(&tat, &per_minute_10, T0).allowed);

    const dlc_limit_rule bigger = {.limit = 120, .window_ms = 60000, .burst = 30};
    int64_t big = tat;
    expect_allowed(dlc_limit_step(&big, &bigger, T0), 9, 10500); /* 10 s owed of 15 s */

    const dlc_limit_rule smaller = {.limit = 60, .window_ms = 60000, .burst = 5};
    int64_t small = tat;
    expect_denied(dlc_limit_step(&small, &smaller, T0), 6000, 10000);
}

static void step_overflow_guards(void **state)
{
    (void)state;
    const dlc_limit_rule hourly = {.limit = 1, .window_ms = 3600000, .burst = 1};
    const int64_t far = INT64_MAX / 4;
    int64_t tat = 0;
    expect_allowed(dlc_limit_step(&tat, &hourly, far), 0, 3600000);
    expect_denied(dlc_limit_step(&tat, &hourly, far + 1), 3599999, 3599999);
    expect_allowed(dlc_limit_step(&tat, &hourly, far + 3600000), 0, 3600000);

    /* Huge rule fields and times: clamped, never overflowing (UBSan checks). */
    const dlc_limit_rule huge = {.limit = 1, .window_ms = INT64_MAX, .burst = INT64_MAX};
    const int64_t nows[] = {INT64_MIN, -1, 0, far, INT64_MAX / 2, INT64_MAX};
    for (size_t i = 0; i < sizeof nows / sizeof nows[0]; i++) {
        int64_t t = INT64_MAX; /* garbage state from a store */
        dlc_limit_decision d = dlc_limit_step(&t, &huge, nows[i]);
        assert_true(d.remaining >= 0 && d.reset_ms >= 0 && d.retry_after_ms >= 0);
        /* T and tau both saturate at one span: two at once, then a span's wait. */
        t = 0;
        expect_allowed(dlc_limit_step(&t, &huge, nows[i]), 1, DLC_LIMIT_SPAN_MAX);
        expect_allowed(dlc_limit_step(&t, &huge, nows[i]), 0, 2 * DLC_LIMIT_SPAN_MAX);
        expect_denied(dlc_limit_step(&t, &huge, nows[i]), DLC_LIMIT_SPAN_MAX,
                      2 * DLC_LIMIT_SPAN_MAX);
    }
    /* Above one per ms: T = 1 ms; the burst saturates at one span. */
    const dlc_limit_rule fast = {.limit = INT64_MAX, .window_ms = 1, .burst = INT64_MAX};
    tat = 0;
    expect_allowed(dlc_limit_step(&tat, &fast, INT64_MAX), DLC_LIMIT_SPAN_MAX, 1);
}

/* ---- dlc_limiter ---------------------------------------------------------- */

static void new_rejects_zero(void **state)
{
    (void)state;
    assert_null(dlc_limiter_new(0));
    dlc_limiter_free(NULL);
}

static void take_burst_then_deny(void **state)
{
    dlc_limiter *l = *state;
    for (int64_t i = 0; i < 10; i++)
        expect_allowed(dlc_limiter_take(l, "greet|203.0.113.7", &per_minute_10, T0), 9 - i,
                       1000 * (i + 1));
    expect_denied(dlc_limiter_take(l, "greet|203.0.113.7", &per_minute_10, T0), 1000, 10000);
    assert_int_equal(dlc_limiter_size(l), 1);
    expect_allowed(dlc_limiter_take(l, "greet|203.0.113.7", &per_minute_10, T0 + 1000), 0, 10000);
    assert_int_equal(take_n(l, "greet|203.0.113.7", &per_minute_10, T0 + 11000, 11), 10);
}

static void take_rule_change_takes_effect(void **state)
{
    dlc_limiter *l = *state;
    assert_int_equal(take_n(l, "k", &per_minute_10, T0, 11), 10);
    const dlc_limit_rule bigger = {.limit = 120, .window_ms = 60000, .burst = 30};
    assert_int_equal(take_n(l, "k", &bigger, T0, 30), 10);
    /* A bigger limit and burst admit at once what the old rule denied. */
    const dlc_limit_rule tiny = {.limit = 1, .window_ms = 60000, .burst = 1};
    const dlc_limit_rule roomy = {.limit = 60, .window_ms = 60000, .burst = 100};
    expect_allowed(dlc_limiter_take(l, "k2", &tiny, T0), 0, 60000);
    assert_false(dlc_limiter_take(l, "k2", &tiny, T0 + 1000).allowed);
    expect_allowed(dlc_limiter_take(l, "k2", &roomy, T0 + 1000), 40, 60000);
}

static void independent_keys(void **state)
{
    dlc_limiter *l = *state;
    assert_int_equal(take_n(l, "greet|198.51.100.1", &per_minute_10, T0, 12), 10);
    assert_int_equal(take_n(l, "greet|198.51.100.2", &per_minute_10, T0, 12), 10);
    assert_int_equal(take_n(l, "login|198.51.100.1", &per_minute_10, T0, 12), 10);
    assert_int_equal(take_n(l, "", &per_minute_10, T0, 12), 10);
    assert_int_equal(dlc_limiter_size(l), 4);
}

/* 300-byte keys differing only in their last byte, and a prefix of one. */
static void long_keys_distinct(void **state)
{
    dlc_limiter *l = *state;
    char a[301], b[301], prefix[128];
    memset(a, 'x', 300);
    a[300] = '\0';
    memcpy(b, a, sizeof b);
    b[299] = 'y';
    memcpy(prefix, a, sizeof prefix - 1);
    prefix[sizeof prefix - 1] = '\0';

    assert_int_equal(take_n(l, a, &per_minute_10, T0, 11), 10);
    assert_int_equal(take_n(l, b, &per_minute_10, T0, 11), 10);
    assert_int_equal(take_n(l, prefix, &per_minute_10, T0, 11), 10);
    assert_int_equal(dlc_limiter_size(l), 3);
    /* The same long key again is the same bucket. */
    char a2[301];
    memcpy(a2, a, sizeof a2);
    assert_false(dlc_limiter_take(l, a2, &per_minute_10, T0).allowed);
    assert_int_equal(dlc_limiter_size(l), 3);
}

static void sweep_drops_only_full(void **state)
{
    dlc_limiter *l = *state;
    const dlc_limit_rule second = {.limit = 1, .window_ms = 1000, .burst = 1};
    for (int i = 0; i < 20; i++) {
        char key[32];
        snprintf(key, sizeof key, "short|%d", i);
        dlc_limiter_take(l, key, &second, T0); /* full at T0 + 1000 */
        snprintf(key, sizeof key, "long|%d", i);
        dlc_limiter_take(l, key, &per_minute_10, T0);
        dlc_limiter_take(l, key, &per_minute_10, T0); /* full at T0 + 2000 */
    }
    assert_int_equal(dlc_limiter_size(l), 40);
    assert_int_equal(dlc_limiter_sweep(l, T0 + 999), 0);
    assert_int_equal(dlc_limiter_sweep(l, T0 + 1000), 20);
    assert_int_equal(dlc_limiter_size(l), 20);
    /* The survivors kept their state. */
    expect_allowed(dlc_limiter_take(l, "long|7", &per_minute_10, T0 + 1000), 8, 2000);
    assert_int_equal(dlc_limiter_sweep(l, T0 + 3000), 20);
    assert_int_equal(dlc_limiter_size(l), 0);
    assert_int_equal(dlc_limiter_sweep(NULL, T0), 0);
}

/* max_keys 64 = 1 bucket per shard. The bound is DLC_LIMIT_SHARDS *
 * ceil(cap / DLC_LIMIT_SHARDS) (here exactly 64): each shard rounds up. A
 * flood of new keys never evicts a bucket that holds state, and once the
 * table is full the newcomers share the overflow bucket: its burst, then
 * its rate, for all of them together. */
static void full_table_gets_coarser_never_open(void **state)
{
    (void)state;
    const size_t cap = 64;
    const size_t bound = DLC_LIMIT_SHARDS * ((cap + DLC_LIMIT_SHARDS - 1) / DLC_LIMIT_SHARDS);
    dlc_limiter *l = dlc_limiter_new(cap);
    assert_non_null(l);
    assert_int_equal(take_n(l, "heavy", &per_minute_10, T0, 10), 10);
    int allowed = 0, overflowed = 0;
    for (int i = 0; i < 10000; i++) {
        char key[32];
        snprintf(key, sizeof key, "flood|%d", i);
        dlc_limit_decision d = dlc_limiter_take(l, key, &per_minute_10, T0 + i / 100);
        allowed += d.allowed;
        overflowed += d.overflow;
        assert_true(dlc_limiter_size(l) <= bound);
        if (i % 500 == 0)
            assert_false(dlc_limiter_take(l, "heavy", &per_minute_10, T0 + i / 100).allowed);
    }
    /* At most one per stored bucket, plus the overflow's burst and the
     * one a second it refills over the 100 s the flood took. */
    assert_true(overflowed >= 10000 - (int)bound);
    assert_true(allowed <= (int)bound + 10 + 100 + 1);
    expect_denied(dlc_limiter_take(l, "heavy", &per_minute_10, T0 + 999), 1, 9001);
    dlc_limiter_free(l);
}

/* Buckets that refilled hold nothing: a full table takes newcomers again
 * once they have, without a sweep. */
static void full_buckets_make_room(void **state)
{
    (void)state;
    dlc_limiter *l = dlc_limiter_new(64);
    assert_non_null(l);
    for (int i = 0; i < 5000; i++) {
        char key[32];
        snprintf(key, sizeof key, "k|%d", i);
        dlc_limiter_take(l, key, &per_minute_10, T0); /* full at T0 + 1 s */
    }
    assert_true(dlc_limiter_take(l, "late", &per_minute_10, T0).overflow);
    dlc_limit_decision d = dlc_limiter_take(l, "later", &per_minute_10, T0 + 1000);
    assert_false(d.overflow);
    assert_true(d.allowed);
    dlc_limiter_free(l);
}

/* A refund gives one request back (a login that succeeded); never more
 * than a full bucket; a key charged to the overflow refunds the overflow. */
static void refund_gives_one_back(void **state)
{
    dlc_limiter *l = *state;
    assert_int_equal(take_n(l, "ann", &per_minute_10, T0, 12), 10);
    dlc_limiter_refund(l, "ann", &per_minute_10, T0);
    assert_true(dlc_limiter_take(l, "ann", &per_minute_10, T0).allowed);
    assert_false(dlc_limiter_take(l, "ann", &per_minute_10, T0).allowed);
    for (int i = 0; i < 20; i++)
        dlc_limiter_refund(l, "ann", &per_minute_10, T0);
    assert_int_equal(dlc_limiter_size(l), 0); /* full again: dropped */
    assert_int_equal(take_n(l, "ann", &per_minute_10, T0, 12), 10);

    dlc_limiter *small = dlc_limiter_new(64);
    assert_non_null(small);
    for (int i = 0; i < 5000; i++) {
        char key[32];
        snprintf(key, sizeof key, "k|%d", i);
        dlc_limiter_take(small, key, &per_minute_10, T0);
    }
    assert_false(dlc_limiter_take(small, "bob", &per_minute_10, T0).allowed); /* overflow spent */
    dlc_limiter_refund(small, "bob", &per_minute_10, T0);
    dlc_limit_decision d = dlc_limiter_take(small, "bob", &per_minute_10, T0);
    assert_true(d.overflow);
    assert_true(d.allowed);
    dlc_limiter_free(small);
}

/* Random takes and sweeps over 2000 keys (no cap pressure) decide exactly as
 * dlc_limit_step on one tat per key: exercises growth, probing and removal. */
static void matches_reference_model(void **state)
{
    (void)state;
    enum { KEYS = 2000, STEPS = 200000 };
    static int64_t model[KEYS];
    memset(model, 0, sizeof model);
    dlc_limiter *l = dlc_limiter_new((size_t)KEYS * DLC_LIMIT_SHARDS);
    assert_non_null(l);
    const dlc_limit_rule r = {.limit = 3, .window_ms = 1000, .burst = 4};
    uint64_t rnd = 88172645463325252u;
    int64_t now = T0;
    for (int i = 0; i < STEPS; i++) {
        rnd ^= rnd << 13, rnd ^= rnd >> 7, rnd ^= rnd << 17; /* xorshift64 */
        size_t k = (size_t)(rnd % KEYS);
        now += (int64_t)(rnd >> 60); /* 0..15 ms */
        if (rnd % 1000 == 0) {
            size_t full = 0;
            for (size_t j = 0; j < KEYS; j++)
                full += model[j] != 0 && model[j] <= now;
            for (size_t j = 0; j < KEYS; j++)
                model[j] = model[j] <= now ? 0 : model[j];
            assert_int_equal(dlc_limiter_sweep(l, now), full);
        }
        char key[32];
        snprintf(key, sizeof key, "model|%zu", k);
        dlc_limit_decision got = dlc_limiter_take(l, key, &r, now);
        dlc_limit_decision want = dlc_limit_step(&model[k], &r, now);
        expect_same(got, want);
    }
    dlc_limiter_free(l);
}

#define N_THREADS 4
#define TAKES_PER_THREAD 10000

struct taker {
    dlc_limiter *l;
    int allowed;
};

static void *take_loop(void *arg)
{
    struct taker *t = arg;
    const dlc_limit_rule r = {.limit = 1000, .window_ms = 1000000, .burst = 1000};
    t->allowed = take_n(t->l, "shared", &r, T0, TAKES_PER_THREAD);
    return NULL;
}

static void concurrent_same_key(void **state)
{
    dlc_limiter *l = *state;
    pthread_t th[N_THREADS];
    struct taker t[N_THREADS];
    for (int i = 0; i < N_THREADS; i++) {
        t[i] = (struct taker){.l = l};
        assert_int_equal(pthread_create(&th[i], NULL, take_loop, &t[i]), 0);
    }
    int total = 0;
    for (int i = 0; i < N_THREADS; i++) {
        assert_int_equal(pthread_join(th[i], NULL), 0);
        total += t[i].allowed;
    }
    assert_int_equal(total, 1000);
    assert_int_equal(dlc_limiter_size(l), 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(step_fresh_burst),
        cmocka_unit_test(step_refill),
        cmocka_unit_test(step_burst_one),
        cmocka_unit_test(step_rounds_against_the_client),
        cmocka_unit_test(step_bad_rule_fields_count_as_one),
        cmocka_unit_test(step_rule_change),
        cmocka_unit_test(step_overflow_guards),
        cmocka_unit_test(new_rejects_zero),
        cmocka_unit_test_setup_teardown(take_burst_then_deny, setup, teardown),
        cmocka_unit_test_setup_teardown(take_rule_change_takes_effect, setup, teardown),
        cmocka_unit_test_setup_teardown(independent_keys, setup, teardown),
        cmocka_unit_test_setup_teardown(long_keys_distinct, setup, teardown),
        cmocka_unit_test_setup_teardown(sweep_drops_only_full, setup, teardown),
        cmocka_unit_test(full_table_gets_coarser_never_open),
        cmocka_unit_test(full_buckets_make_room),
        cmocka_unit_test_setup_teardown(refund_gives_one_back, setup, teardown),
        cmocka_unit_test(matches_reference_model),
        cmocka_unit_test_setup_teardown(concurrent_same_key, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
