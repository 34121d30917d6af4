/*
 * The shared rate-limit store on a real PostgreSQL: the SQL takes the same
 * decisions as the C step (dlc_limit_step), stays exact when many
 * connections race on one key, and its sweep drops only full buckets.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
/* cmocka.h needs the four above first. */
#include <cmocka.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>

#include "common/clock.h"
#include "rpc/core/limit/limiter.h"
#include "storage/ratelimit.h"
#include <stdio.h>
#include <string.h>
#include "support/testdb.h"

typedef dlc_testdb_fixture fixture;

static int setup(void **state)
{
    return dlc_testdb_fixture_setup(state, dlc_ratelimit_db_statements,
                                    dlc_ratelimit_db_statement_count);
}

static dlc_ratelimit_db_result take_or_overflow(dlc_db *db, const char *key, const char *overflow,
                                                const dlc_limit_rule *rule)
{
    int64_t t, tau;
    dlc_limit_params(rule, &t, &tau);
    dlc_ratelimit_db_result r;
    assert_int_equal(
        dlc_ratelimit_db_take(db, key, overflow, t, tau, dlc_clock_mono_ms() + 5000, &r),
        DLC_DB_OK);
    return r;
}

static dlc_ratelimit_db_result take(dlc_db *db, const char *key, const dlc_limit_rule *rule)
{
    return take_or_overflow(db, key, NULL, rule);
}

/* A burst of 3 at 1 per minute: three in, then out; each decision and the
 * state it leaves are what the C step computes from the same inputs. */
static void follows_the_step(void **state)
{
    fixture *f = *state;
    const dlc_limit_rule rule = {1, 60000, 3};
    int64_t model = 0;
    for (int i = 0; i < 5; i++) {
        dlc_ratelimit_db_result r = take(f->db, "greet|a", &rule);
        dlc_limit_decision d = dlc_limit_step(&model, &rule, r.now_ms);
        assert_int_equal(r.allowed, i < 3);
        assert_int_equal(r.allowed, d.allowed);
        assert_int_equal(r.tat_ms, model); /* the same state, on the database's clock */
    }
    assert_true(take(f->db, "greet|b", &rule).allowed); /* keys are independent */
}

typedef struct {
    const char *name;
    atomic_int allowed;
} race;

static void *racer(void *arg)
{
    race *x = arg;
    dlc_db *db =
        dlc_testdb_open(x->name, dlc_ratelimit_db_statements, dlc_ratelimit_db_statement_count);
    const dlc_limit_rule rule = {1, 3600000, 40};
    int64_t t, tau;
    dlc_limit_params(&rule, &t, &tau);
    for (int i = 0; db && i < 25; i++) {
        dlc_ratelimit_db_result r;
        if (dlc_ratelimit_db_take(db, "greet|shared", NULL, t, tau, dlc_clock_mono_ms() + 5000, &r) ==
                DLC_DB_OK &&
            r.allowed)
            atomic_fetch_add(&x->allowed, 1);
    }
    dlc_db_close(db);
    return NULL;
}

/* 4 connections × 25 requests against a burst of 40: exactly 40 admitted. */
static void exact_under_concurrency(void **state)
{
    fixture *f = *state;
    race x = {.name = f->name};
    atomic_init(&x.allowed, 0);
    pthread_t t[4];
    for (int i = 0; i < 4; i++)
        assert_int_equal(pthread_create(&t[i], NULL, racer, &x), 0);
    for (int i = 0; i < 4; i++)
        pthread_join(t[i], NULL);
    assert_int_equal(atomic_load(&x.allowed), 40);
}

static void sweep_drops_only_full_buckets(void **state)
{
    fixture *f = *state;
    const dlc_limit_rule slow = {1, 3600000, 2}, fast = {1000, 1000, 1};
    take(f->db, "greet|slow", &slow);
    take(f->db, "greet|fast", &fast); /* full again 1 ms later */
    nanosleep(&(struct timespec){0, 20 * 1000000L}, NULL);
    assert_int_equal(dlc_ratelimit_db_sweep(f->conn), 1);
    assert_int_equal(dlc_ratelimit_db_sweep(f->conn), 0);
}

static void count_policy(const char *policy, long n, void *arg)
{
    if (strcmp(policy, "greet") == 0)
        *(long *)arg = n;
}

/* A full table (the core's count says so) sends keys that hold no bucket
 * to the overflow bucket: coarser, never open; a key that holds one keeps
 * it; a refund goes where the charge went. */
static void a_full_table_overflows_into_one_bucket(void **state)
{
    fixture *f = *state;
    const dlc_limit_rule rule = {1, 60000, 2};
    const char *over = "greet|*";
    assert_true(take(f->db, "greet|old", &rule).allowed);
    dlc_ratelimit_db_result r = take_or_overflow(f->db, "greet|old", over, &rule);
    assert_true(r.allowed);
    assert_false(r.overflow);
    for (int i = 0; i < 2; i++) {
        char key[32];
        snprintf(key, sizeof key, "greet|new%d", i);
        r = take_or_overflow(f->db, key, over, &rule);
        assert_true(r.overflow);
        assert_true(r.allowed);
    }
    r = take_or_overflow(f->db, "greet|new9", over, &rule);
    assert_true(r.overflow);
    assert_false(r.allowed); /* the overflow's burst is spent: denied, not opened */
    int64_t t, tau;
    dlc_limit_params(&rule, &t, &tau);
    assert_int_equal(
        dlc_ratelimit_db_refund(f->db, "greet|new9", over, t, dlc_clock_mono_ms() + 5000),
        DLC_DB_OK);
    assert_true(take_or_overflow(f->db, "greet|new9", over, &rule).allowed);
    long n = 0;
    assert_int_equal(dlc_ratelimit_db_count(f->conn, count_policy, &n), 2);
    assert_int_equal(n, 2); /* greet|old and greet|* */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        DLC_TESTDB_TEST(follows_the_step, setup),
        DLC_TESTDB_TEST(exact_under_concurrency, setup),
        DLC_TESTDB_TEST(sweep_drops_only_full_buckets, setup),
        DLC_TESTDB_TEST(a_full_table_overflows_into_one_bucket, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
