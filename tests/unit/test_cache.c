/* dlc_cache: hits and misses, TTL boundary, replacement, entry and byte
 * bounds, LRU and expired-first eviction, flush, purge, concurrency. The
 * clock is injected: every call is given its now_ms. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "rpc/core/cache/cache.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Any start: the cache only compares the times it is given. */
#define T0 INT64_C(1000000)
#define MIB ((size_t)1 << 20)

static dlc_cache *new_cache(size_t max_entries, size_t max_bytes)
{
    dlc_cache *c = dlc_cache_new(max_entries, max_bytes);
    assert_non_null(c);
    return c;
}

static int put_str(dlc_cache *c, const char *key, const char *val, int64_t ttl_ms, int64_t now)
{
    return dlc_cache_put(c, key, val, strlen(val), ttl_ms, now);
}

static void expect_hit_bytes(dlc_cache *c, const char *key, int64_t now, const void *val,
                             size_t len)
{
    void *out = NULL;
    size_t out_len = 0;
    assert_true(dlc_cache_get(c, key, now, &out, &out_len));
    assert_non_null(out);
    assert_int_equal(out_len, len);
    if (len > 0)
        assert_memory_equal(out, val, len);
    free(out);
}

static void expect_hit(dlc_cache *c, const char *key, int64_t now, const char *val)
{
    expect_hit_bytes(c, key, now, val, strlen(val));
}

static void expect_miss(dlc_cache *c, const char *key, int64_t now)
{
    void *out = (void *)&out;
    size_t len = 42;
    assert_false(dlc_cache_get(c, key, now, &out, &len));
    assert_null(out);
    assert_int_equal(len, 0);
}

static void new_rejects_bad_arguments(void **state)
{
    (void)state;
    assert_null(dlc_cache_new(0, 1));
    assert_null(dlc_cache_new(1, 0));
    dlc_cache_free(NULL);
    assert_int_equal(dlc_cache_count(NULL), 0);
    assert_int_equal(dlc_cache_flush(NULL, T0), 0);
    assert_int_equal(dlc_cache_purge_expired(NULL, T0), 0);

    dlc_cache *c = new_cache(1, 1);
    assert_int_equal(dlc_cache_put(NULL, "k", "v", 1, 10, T0), -1);
    assert_int_equal(dlc_cache_put(c, NULL, "v", 1, 10, T0), -1);
    assert_int_equal(dlc_cache_put(c, "k", NULL, 1, 10, T0), -1);
    assert_int_equal(dlc_cache_put(c, "", "", 0, 0, T0), -1);
    assert_int_equal(dlc_cache_put(c, "", "", 0, -5, T0), -1);
    void *out = NULL;
    size_t len = 0;
    assert_false(dlc_cache_get(c, NULL, T0, &out, &len));
    assert_false(dlc_cache_get(NULL, "k", T0, &out, &len));
    assert_int_equal(dlc_cache_count(c), 0);
    dlc_cache_free(c);
}

static void miss_put_hit(void **state)
{
    (void)state;
    dlc_cache *c = new_cache(64, MIB);
    unsigned char val[] = {'a', 0, 'b', 0xff};
    expect_miss(c, "greet:ann", T0);
    assert_int_equal(dlc_cache_put(c, "greet:ann", val, sizeof val, 100, T0), 0);
    unsigned char sent[sizeof val];
    memcpy(sent, val, sizeof val);
    val[0] = 'z'; /* the cache holds its own copy */
    expect_hit_bytes(c, "greet:ann", T0 + 1, sent, sizeof sent);
    expect_miss(c, "greet:an", T0 + 1);
    expect_miss(c, "greet:ann ", T0 + 1);
    assert_int_equal(dlc_cache_count(c), 1);
    dlc_cache_free(c);
}

/* Live while now < put time + ttl. */
static void ttl_boundary(void **state)
{
    (void)state;
    dlc_cache *c = new_cache(64, MIB);
    assert_int_equal(put_str(c, "version", "1.2.3", 100, T0), 0);
    expect_hit(c, "version", T0 + 99, "1.2.3");
    expect_miss(c, "version", T0 + 100);
    assert_int_equal(dlc_cache_count(c), 0); /* the expired entry was dropped */

    /* A TTL reaching past INT64_MAX saturates instead of wrapping. */
    assert_int_equal(put_str(c, "forever", "x", INT64_MAX, T0), 0);
    expect_hit(c, "forever", INT64_MAX - 1, "x");
    assert_int_equal(put_str(c, "negative now", "y", 5, -T0), 0);
    expect_hit(c, "negative now", -T0 + 4, "y");
    expect_miss(c, "negative now", -T0 + 5);
    dlc_cache_free(c);
}

static void replace_existing(void **state)
{
    (void)state;
    dlc_cache *c = new_cache(64, MIB);
    assert_int_equal(put_str(c, "info", "old", 10, T0), 0);
    assert_int_equal(put_str(c, "other", "o", 10000, T0), 0);
    assert_int_equal(put_str(c, "info", "newer value", 1000, T0 + 5), 0);
    assert_int_equal(dlc_cache_count(c), 2);
    expect_hit(c, "info", T0 + 500, "newer value"); /* past the old TTL */
    expect_hit(c, "info", T0 + 1004, "newer value");
    expect_miss(c, "info", T0 + 1005);
    assert_int_equal(dlc_cache_count(c), 1);
    dlc_cache_free(c);
}

static void key_name(char *buf, size_t cap, const char *prefix, int i)
{
    int n = snprintf(buf, cap, "%s%05d", prefix, i);
    assert_true(n > 0 && (size_t)n < cap);
}

/* 64 entries over a power-of-two shard count (<= 16) divide evenly: never
 * more than 64 held. Each shard holds >= 8, so the last 8 keys put remain. */
static void entry_bound(void **state)
{
    (void)state;
    dlc_cache *c = new_cache(64, MIB);
    char key[32];
    for (int i = 0; i < 10000; i++) {
        key_name(key, sizeof key, "key-", i);
        assert_int_equal(put_str(c, key, key, 60000, T0), 0);
        assert_true(dlc_cache_count(c) <= 64);
    }
    for (int i = 10000 - 8; i < 10000; i++) {
        key_name(key, sizeof key, "key-", i);
        expect_hit(c, key, T0 + 1, key);
    }
    assert_true(dlc_cache_count(c) >= 8);
    expect_miss(c, "key-00000", T0 + 1);
    dlc_cache_free(c);
}

/* 16 KiB over a power-of-two shard count divides evenly, so at most 16 KiB
 * of keys + values are held: count * (1 KiB + key) <= 16 KiB. */
static void byte_bound(void **state)
{
    (void)state;
    dlc_cache *c = new_cache(1000, 16 * 1024);
    char val[1024];
    char key[32];
    for (int i = 0; i < 1000; i++) {
        key_name(key, sizeof key, "k", i); /* 6 bytes */
        memset(val, 'a' + i % 26, sizeof val);
        assert_int_equal(dlc_cache_put(c, key, val, sizeof val, 60000, T0), 0);
        size_t n = dlc_cache_count(c);
        assert_true(n >= 1 && n * (sizeof val + strlen(key)) <= 16 * 1024);
    }
    expect_hit_bytes(c, key, T0 + 1, val, sizeof val);
    dlc_cache_free(c);
}

/* max_entries < 16: one shard, exact LRU. */
static void lru_evicts_cold_keys(void **state)
{
    (void)state;
    dlc_cache *c = new_cache(4, MIB);
    const char *keys[] = {"a", "b", "c", "d"};
    for (size_t i = 0; i < 4; i++)
        assert_int_equal(put_str(c, keys[i], keys[i], 60000, T0), 0);
    expect_hit(c, "a", T0 + 1, "a"); /* "b" is now the least recently used */
    assert_int_equal(put_str(c, "e", "e", 60000, T0 + 2), 0);
    expect_miss(c, "b", T0 + 3);
    assert_int_equal(dlc_cache_count(c), 4);

    /* A key read between every put outlives 100 cold keys. */
    char key[32];
    for (int i = 0; i < 100; i++) {
        expect_hit(c, "a", T0 + 10 + i, "a");
        key_name(key, sizeof key, "cold", i);
        assert_int_equal(put_str(c, key, key, 60000, T0 + 10 + i), 0);
    }
    expect_hit(c, "a", T0 + 200, "a");
    expect_miss(c, "c", T0 + 200);
    expect_miss(c, "cold00096", T0 + 200);
    for (int i = 97; i < 100; i++) {
        key_name(key, sizeof key, "cold", i);
        expect_hit(c, key, T0 + 200, key);
    }
    assert_int_equal(dlc_cache_count(c), 4);
    dlc_cache_free(c);
}

/* A full shard drops an expired entry before the least recently used one. */
static void expired_go_before_lru(void **state)
{
    (void)state;
    dlc_cache *c = new_cache(4, MIB);
    assert_int_equal(put_str(c, "short", "s", 10, T0), 0);
    assert_int_equal(put_str(c, "a", "a", 1000, T0), 0);
    assert_int_equal(put_str(c, "b", "b", 1000, T0), 0);
    assert_int_equal(put_str(c, "c", "c", 1000, T0), 0);
    expect_hit(c, "short", T0 + 5, "s"); /* most recent; "a" is the LRU */
    assert_int_equal(put_str(c, "d", "d", 1000, T0 + 10), 0);
    assert_int_equal(dlc_cache_count(c), 4);
    expect_hit(c, "a", T0 + 11, "a");
    expect_hit(c, "b", T0 + 11, "b");
    expect_hit(c, "c", T0 + 11, "c");
    expect_hit(c, "d", T0 + 11, "d");
    dlc_cache_free(c);
}

/* One shard (max_bytes < 8 KiB) with a 100-byte budget. */
static void too_big_not_stored(void **state)
{
    (void)state;
    dlc_cache *c = new_cache(4, 100);
    char val[100];
    memset(val, 'x', sizeof val);
    assert_int_equal(put_str(c, "o", "other", 60000, T0), 0);
    assert_int_equal(dlc_cache_put(c, "k", val, 100, 60000, T0), 1); /* 1 + 100 > 100 */
    expect_miss(c, "k", T0);
    expect_hit(c, "o", T0, "other");
    assert_int_equal(dlc_cache_put(c, "k", val, 93, 60000, T0), 0); /* 94 + 6 = 100 */
    expect_hit_bytes(c, "k", T0, val, 93);
    expect_hit(c, "o", T0, "other");
    assert_int_equal(dlc_cache_put(c, "k", val, 99, 60000, T0), 0); /* evicts "o" */
    expect_miss(c, "o", T0);
    /* A refused replacement drops the stale value. */
    assert_int_equal(dlc_cache_put(c, "k", val, 100, 60000, T0), 1);
    expect_miss(c, "k", T0);
    /* Sizes that would overflow are refused before anything is read. */
    assert_int_equal(dlc_cache_put(c, "k", val, SIZE_MAX, 60000, T0), 1);
    assert_int_equal(dlc_cache_count(c), 0);
    dlc_cache_free(c);
}

static void zero_length_value(void **state)
{
    (void)state;
    dlc_cache *c = new_cache(64, MIB);
    assert_int_equal(dlc_cache_put(c, "empty", NULL, 0, 100, T0), 0);
    assert_int_equal(dlc_cache_put(c, "", "ignored", 0, 100, T0), 0); /* empty key too */
    expect_hit_bytes(c, "empty", T0 + 1, NULL, 0);
    expect_hit_bytes(c, "", T0 + 1, NULL, 0);
    assert_int_equal(dlc_cache_count(c), 2);
    dlc_cache_free(c);
}

static void long_key(void **state)
{
    (void)state;
    dlc_cache *c = new_cache(64, MIB);
    char *key = malloc(3001);
    assert_non_null(key);
    memset(key, 'n', 3000);
    key[3000] = '\0';
    assert_int_equal(put_str(c, key, "long", 100, T0), 0);
    expect_hit(c, key, T0 + 1, "long");
    key[2999] = 'm';
    expect_miss(c, key, T0 + 1);
    free(key);
    dlc_cache_free(c);
}

/* 5 entries live until T0 + 100, 3 until T0 + 10. */
static void put_mixed(dlc_cache *c)
{
    char key[32];
    for (int i = 0; i < 8; i++) {
        key_name(key, sizeof key, i < 5 ? "live" : "short", i);
        assert_int_equal(put_str(c, key, key, i < 5 ? 100 : 10, T0), 0);
    }
    assert_int_equal(dlc_cache_count(c), 8);
}

static void expect_live_ones(dlc_cache *c, int64_t now, bool present)
{
    char key[32];
    for (int i = 0; i < 5; i++) {
        key_name(key, sizeof key, "live", i);
        if (present)
            expect_hit(c, key, now, key);
        else
            expect_miss(c, key, now);
    }
}

static void flush_counts_live(void **state)
{
    (void)state;
    dlc_cache *c = new_cache(64, MIB);
    put_mixed(c);
    assert_int_equal(dlc_cache_flush(c, T0 + 10), 5);
    assert_int_equal(dlc_cache_count(c), 0);
    expect_live_ones(c, T0 + 11, false);
    assert_int_equal(dlc_cache_flush(c, T0 + 11), 0);
    put_mixed(c); /* still usable */
    expect_live_ones(c, T0 + 11, true);
    dlc_cache_free(c); /* frees what is still held */
}

static void purge_drops_only_expired(void **state)
{
    (void)state;
    dlc_cache *c = new_cache(64, MIB);
    put_mixed(c);
    assert_int_equal(dlc_cache_purge_expired(c, T0 + 9), 0);
    assert_int_equal(dlc_cache_count(c), 8);
    assert_int_equal(dlc_cache_purge_expired(c, T0 + 10), 3);
    assert_int_equal(dlc_cache_count(c), 5);
    assert_int_equal(dlc_cache_purge_expired(c, T0 + 10), 0);
    expect_live_ones(c, T0 + 99, true);
    assert_int_equal(dlc_cache_purge_expired(c, T0 + 100), 5);
    assert_int_equal(dlc_cache_count(c), 0);
    dlc_cache_free(c);
}

#define N_THREADS 4
#define OPS 20000
#define N_KEYS 100
#define MT_MAX_ENTRIES 64

struct worker {
    dlc_cache *c;
    uint32_t seed;
    int errors;       /* wrong value or failed put */
    size_t max_count; /* largest count seen */
};

static uint32_t next_rand(uint32_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 17;
    *s ^= *s << 5;
    return *s;
}

/* A hit must return "v:" followed by its own key. */
static bool get_consistent(dlc_cache *c, const char *key, int64_t now)
{
    void *out = NULL;
    size_t len = 0;
    if (!dlc_cache_get(c, key, now, &out, &len))
        return true;
    bool ok = len == strlen(key) + 2 && memcmp(out, "v:", 2) == 0 &&
              memcmp((char *)out + 2, key, len - 2) == 0;
    free(out);
    return ok;
}

static void *work(void *arg)
{
    struct worker *w = arg;
    char key[16], val[24];
    for (int i = 0; i < OPS; i++) {
        uint32_t r = next_rand(&w->seed);
        int64_t now = T0 + i;
        snprintf(key, sizeof key, "k%02u", (unsigned)(r % N_KEYS));
        snprintf(val, sizeof val, "v:%s", key);
        unsigned op = (r >> 8) % 100;
        if (op < 60)
            w->errors += !get_consistent(w->c, key, now);
        else if (op < 97)
            w->errors += put_str(w->c, key, val, 1 + (r >> 16) % 50, now) != 0;
        else if (op < 99)
            dlc_cache_purge_expired(w->c, now);
        else
            dlc_cache_flush(w->c, now);
        size_t n = dlc_cache_count(w->c);
        if (n > w->max_count)
            w->max_count = n;
    }
    return NULL;
}

static void concurrent_mixed_ops(void **state)
{
    (void)state;
    dlc_cache *c = new_cache(MT_MAX_ENTRIES, MIB);
    pthread_t t[N_THREADS];
    struct worker w[N_THREADS];
    for (int i = 0; i < N_THREADS; i++) {
        w[i] = (struct worker){.c = c, .seed = 2463534242u + (uint32_t)i * 7919u};
        assert_int_equal(pthread_create(&t[i], NULL, work, &w[i]), 0);
    }
    for (int i = 0; i < N_THREADS; i++) {
        assert_int_equal(pthread_join(t[i], NULL), 0);
        assert_int_equal(w[i].errors, 0);
        assert_true(w[i].max_count <= MT_MAX_ENTRIES);
    }
    assert_true(dlc_cache_count(c) <= MT_MAX_ENTRIES);
    dlc_cache_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(new_rejects_bad_arguments),
        cmocka_unit_test(miss_put_hit),
        cmocka_unit_test(ttl_boundary),
        cmocka_unit_test(replace_existing),
        cmocka_unit_test(entry_bound),
        cmocka_unit_test(byte_bound),
        cmocka_unit_test(lru_evicts_cold_keys),
        cmocka_unit_test(expired_go_before_lru),
        cmocka_unit_test(too_big_not_stored),
        cmocka_unit_test(zero_length_value),
        cmocka_unit_test(long_key),
        cmocka_unit_test(flush_counts_live),
        cmocka_unit_test(purge_drops_only_expired),
        cmocka_unit_test(concurrent_mixed_ops),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
