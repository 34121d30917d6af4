/* dlc_principals: hits and misses, invalidation and flush, the begin/put
 * race (an invalidation between them refuses the put, per shard), trust,
 * the entry bound with CLOCK eviction, NOTIFY payload parsing, stats, and
 * readers racing an invalidating writer (no timing is asserted). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
/* cmocka.h needs the four above first. */
#include <cmocka.h>

#include "rpc/core/auth/principals.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>

static const dlc_principal_info ADMIN = {.is_admin = true};
static const dlc_principal_info MEMBER = {.is_admin = false};

/* A trusted cache (the state a connected listener keeps it in). */
static dlc_principals *new_trusted(size_t max_entries)
{
    dlc_principals *p = dlc_principals_new(max_entries);
    assert_non_null(p);
    dlc_principals_set_trusted(p, true);
    return p;
}

/* Stores info for id with a token taken just before, as a reader would. */
static bool put_now(dlc_principals *p, int64_t id, const dlc_principal_info *info)
{
    return dlc_principals_put(p, id, dlc_principals_begin(p, id), info);
}

static void expect_hit(dlc_principals *p, int64_t id, bool is_admin)
{
    dlc_principal_info out = {.is_admin = !is_admin};
    assert_true(dlc_principals_get(p, id, &out));
    assert_int_equal(out.is_admin, is_admin);
}

static void expect_miss(dlc_principals *p, int64_t id)
{
    dlc_principal_info out;
    assert_false(dlc_principals_get(p, id, &out));
}

static dlc_principals_stats stats(dlc_principals *p)
{
    dlc_principals_stats s;
    dlc_principals_stats_get(p, &s);
    return s;
}

/* The first id after from whose shard is (same) or is not (!same) id's.
 * Tokens are unique per shard, so on a cache nothing invalidated yet equal
 * tokens mean one shard. */
static int64_t id_near(dlc_principals *p, int64_t id, bool same, int64_t from)
{
    uint64_t token = dlc_principals_begin(p, id);
    int64_t other = from;
    while (other == id || (dlc_principals_begin(p, other) == token) != same)
        other++;
    return other;
}

static void null_and_zero_are_safe(void **state)
{
    (void)state;
    assert_null(dlc_principals_new(0));
    dlc_principals_free(NULL);
    dlc_principal_info out;
    assert_int_equal(dlc_principals_begin(NULL, 1), 0);
    assert_false(dlc_principals_get(NULL, 1, &out));
    assert_false(dlc_principals_put(NULL, 1, 1, &ADMIN));
    dlc_principals_invalidate(NULL, 1);
    dlc_principals_invalidate_text(NULL, "1");
    dlc_principals_flush(NULL);
    dlc_principals_set_trusted(NULL, true);
    assert_int_equal(dlc_principals_count(NULL), 0);
    assert_int_equal(stats(NULL).hits, 0);

    dlc_principals *p = new_trusted(1);
    assert_false(dlc_principals_get(p, 1, NULL));
    assert_false(dlc_principals_put(p, 1, dlc_principals_begin(p, 1), NULL));
    assert_false(dlc_principals_put(p, 1, 0, &ADMIN)); /* 0 is never a token */
    assert_int_equal(dlc_principals_count(p), 0);
    dlc_principals_free(p);
}

static void miss_put_hit_replace(void **state)
{
    (void)state;
    dlc_principals *p = new_trusted(64);
    expect_miss(p, 7);
    assert_true(put_now(p, 7, &ADMIN));
    expect_hit(p, 7, true);
    expect_miss(p, 8);
    assert_true(put_now(p, 7, &MEMBER));
    expect_hit(p, 7, false);
    assert_int_equal(dlc_principals_count(p), 1);
    dlc_principals_stats s = stats(p);
    assert_int_equal(s.hits, 2);
    assert_int_equal(s.misses, 2);
    assert_int_equal(s.evictions, 0);
    assert_int_equal(s.stale_puts, 0);
    dlc_principals_free(p);
}

static void untrusted_always_misses(void **state)
{
    (void)state;
    dlc_principals *p = dlc_principals_new(64);
    assert_non_null(p);
    /* New caches are untrusted: nothing listens yet. */
    assert_true(put_now(p, 1, &ADMIN));
    expect_miss(p, 1);
    /* Trusting flushes what was stored while untrusted. */
    dlc_principals_set_trusted(p, true);
    expect_miss(p, 1);
    assert_int_equal(dlc_principals_count(p), 0);
    assert_true(put_now(p, 1, &ADMIN));
    expect_hit(p, 1, true);
    dlc_principals_set_trusted(p, false);
    expect_miss(p, 1);
    assert_int_equal(stats(p).misses, 3);
    dlc_principals_free(p);
}

static void invalidate_drops_one_user(void **state)
{
    (void)state;
    dlc_principals *p = new_trusted(64);
    assert_true(put_now(p, 1, &ADMIN));
    assert_true(put_now(p, 2, &MEMBER));
    dlc_principals_invalidate(p, 1);
    expect_miss(p, 1);
    expect_hit(p, 2, false);
    dlc_principals_invalidate(p, 99); /* absent: harmless */
    expect_hit(p, 2, false);
    assert_int_equal(dlc_principals_count(p), 1);
    dlc_principals_free(p);
}

static void flush_drops_all_and_refuses_begun_puts(void **state)
{
    (void)state;
    dlc_principals *p = new_trusted(256);
    for (int64_t id = 1; id <= 50; id++)
        assert_true(put_now(p, id, &MEMBER));
    uint64_t token = dlc_principals_begin(p, 51);
    dlc_principals_flush(p);
    assert_int_equal(dlc_principals_count(p), 0);
    for (int64_t id = 1; id <= 50; id++)
        expect_miss(p, id);
    assert_false(dlc_principals_put(p, 51, token, &ADMIN));
    assert_true(put_now(p, 51, &ADMIN));
    expect_hit(p, 51, true);
    dlc_principals_free(p);
}

/* The race the token closes: a reader fetched a row, a NOTIFY invalidated
 * the user, then the reader stores what it fetched. */
static void invalidation_between_begin_and_put_refuses_it(void **state)
{
    (void)state;
    dlc_principals *p = new_trusted(1024); /* 16 shards */
    uint64_t token = dlc_principals_begin(p, 5);
    dlc_principals_invalidate(p, 5);
    assert_false(dlc_principals_put(p, 5, token, &ADMIN));
    expect_miss(p, 5);
    assert_int_equal(stats(p).stale_puts, 1);
    assert_true(put_now(p, 5, &ADMIN)); /* a reader that began afterwards */
    expect_hit(p, 5, true);
    dlc_principals_free(p);
}

static void tokens_are_per_shard(void **state)
{
    (void)state;
    dlc_principals *p = new_trusted(1024);
    int64_t elsewhere = id_near(p, 5, false, 1000);
    int64_t neighbour = id_near(p, 5, true, 1000);

    uint64_t token = dlc_principals_begin(p, 5);
    dlc_principals_invalidate(p, elsewhere);
    assert_true(dlc_principals_put(p, 5, token, &ADMIN));

    token = dlc_principals_begin(p, 5);
    dlc_principals_invalidate(p, neighbour);
    assert_false(dlc_principals_put(p, 5, token, &MEMBER));
    expect_hit(p, 5, true);

    /* Another shard's token is never good here. */
    assert_false(dlc_principals_put(p, 5, dlc_principals_begin(p, elsewhere), &MEMBER));
    expect_hit(p, 5, true);
    dlc_principals_free(p);
}

static void payload_text(void **state)
{
    (void)state;
    dlc_principals *p = new_trusted(64);
    assert_true(put_now(p, 42, &ADMIN));
    assert_true(put_now(p, 43, &ADMIN));
    dlc_principals_invalidate_text(p, "42");
    expect_miss(p, 42);
    expect_hit(p, 43, true);

    /* Anything but a positive decimal id flushes. */
    static const char *const odd[] = {
        "", "abc", "-1", "0", "43x", " 43", "+43", "99999999999999999999", NULL};
    for (size_t i = 0; i < sizeof odd / sizeof odd[0]; i++) {
        assert_true(put_now(p, 43, &ADMIN));
        dlc_principals_invalidate_text(p, odd[i]);
        expect_miss(p, 43);
    }
    dlc_principals_free(p);
}

static void bounded_with_evictions_counted(void **state)
{
    (void)state;
    enum { MAX = 100, PUTS = 1000 };
    dlc_principals *p = new_trusted(MAX);
    for (int64_t id = 1; id <= PUTS; id++) {
        assert_true(put_now(p, id, &MEMBER));
        assert_true(dlc_principals_count(p) <= MAX);
    }
    size_t held = dlc_principals_count(p);
    assert_int_equal(held, MAX); /* the ids fill every shard */
    assert_int_equal(stats(p).evictions, PUTS - held);
    dlc_principals_free(p);

    p = new_trusted(1);
    assert_true(put_now(p, 1, &ADMIN));
    assert_true(put_now(p, 2, &MEMBER));
    expect_miss(p, 1);
    expect_hit(p, 2, false);
    assert_int_equal(dlc_principals_count(p), 1);
    dlc_principals_free(p);
}

static void eviction_spares_recently_read(void **state)
{
    (void)state;
    dlc_principals *p = new_trusted(8); /* one shard of 8 */
    for (int64_t id = 1; id <= 8; id++)
        assert_true(put_now(p, id, &MEMBER));
    expect_hit(p, 1, false);
    assert_true(put_now(p, 9, &ADMIN));
    expect_hit(p, 1, false);
    expect_miss(p, 2); /* the oldest not read since */
    expect_hit(p, 9, true);
    assert_int_equal(stats(p).evictions, 1);
    dlc_principals_free(p);
}

/* ---- readers against an invalidating writer ----------------------------- */

enum { MT_MAX = 32, MT_IDS = 64, MT_READERS = 3, MT_READS = 20000 };

/* The "database": a version per user, whose parity is is_admin. settled is
 * the latest version whose invalidation has returned. */
typedef struct {
    dlc_principals *p;
    atomic_uint version[MT_IDS];
    atomic_uint settled[MT_IDS];
    atomic_int readers_left;
} world;

typedef struct {
    world *w;
    uint32_t seed;
    int errors;
} worker;

static uint32_t next_rand(uint32_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 17;
    *s ^= *s << 5;
    return *s;
}

/* A hit while no write was pending on the row (settled before the get is
 * the version after it) must show that version: an older one means a put
 * outlived the invalidation that followed its read. */
static bool hit_is_current(world *w, int64_t id)
{
    unsigned before = atomic_load(&w->settled[id]);
    dlc_principal_info info;
    bool hit = dlc_principals_get(w->p, id, &info);
    unsigned now = atomic_load(&w->version[id]);
    return !hit || before != now || info.is_admin == (now & 1);
}

/* A reader: a miss reads the "row" after begin, as the real one must, and
 * stores it. */
static void *read_loop(void *arg)
{
    worker *k = arg;
    world *w = k->w;
    for (int i = 0; i < MT_READS; i++) {
        int64_t id = next_rand(&k->seed) % MT_IDS;
        k->errors += !hit_is_current(w, id);
        uint64_t token = dlc_principals_begin(w->p, id);
        dlc_principal_info info = {.is_admin = atomic_load(&w->version[id]) & 1};
        sched_yield(); /* the query's round trip: the writer's window */
        dlc_principals_put(w->p, id, token, &info);
        k->errors += dlc_principals_count(w->p) > MT_MAX;
    }
    atomic_fetch_sub(&w->readers_left, 1);
    return NULL;
}

/* The writer, while readers run: changes a row, then invalidates it
 * (commit, then NOTIFY); now and then flushes, or loses and regains trust. */
static void *write_loop(void *arg)
{
    worker *k = arg;
    world *w = k->w;
    while (atomic_load(&w->readers_left) > 0) {
        uint32_t r = next_rand(&k->seed);
        int64_t id = r % MT_IDS;
        unsigned v = atomic_fetch_add(&w->version[id], 1) + 1;
        dlc_principals_invalidate(w->p, id);
        atomic_store(&w->settled[id], v);
        if ((r >> 16) % 500 == 0)
            dlc_principals_flush(w->p);
        if ((r >> 16) % 700 == 1) {
            dlc_principals_set_trusted(w->p, false);
            dlc_principals_set_trusted(w->p, true);
        }
        sched_yield();
    }
    return NULL;
}

static void readers_race_an_invalidating_writer(void **state)
{
    (void)state;
    world *w = calloc(1, sizeof *w);
    assert_non_null(w);
    w->p = new_trusted(MT_MAX);
    atomic_init(&w->readers_left, MT_READERS);
    pthread_t t[MT_READERS + 1];
    worker k[MT_READERS + 1];
    for (int i = 0; i <= MT_READERS; i++) {
        k[i] = (worker){.w = w, .seed = 2463534242u + (uint32_t)i * 7919u};
        assert_int_equal(pthread_create(&t[i], NULL, i ? read_loop : write_loop, &k[i]), 0);
    }
    for (int i = 0; i <= MT_READERS; i++) {
        assert_int_equal(pthread_join(t[i], NULL), 0);
        assert_int_equal(k[i].errors, 0);
    }
    for (int64_t id = 0; id < MT_IDS; id++)
        assert_true(hit_is_current(w, id));
    assert_true(dlc_principals_count(w->p) <= MT_MAX);
    dlc_principals_free(w->p);
    free(w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(null_and_zero_are_safe),
        cmocka_unit_test(miss_put_hit_replace),
        cmocka_unit_test(untrusted_always_misses),
        cmocka_unit_test(invalidate_drops_one_user),
        cmocka_unit_test(flush_drops_all_and_refuses_begun_puts),
        cmocka_unit_test(invalidation_between_begin_and_put_refuses_it),
        cmocka_unit_test(tokens_are_per_shard),
        cmocka_unit_test(payload_text),
        cmocka_unit_test(bounded_with_evictions_counted),
        cmocka_unit_test(eviction_spares_recently_read),
        cmocka_unit_test(readers_race_an_invalidating_writer),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
