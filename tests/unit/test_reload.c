/*
 * dlc_reload and dlc_snapshot: what a reload takes (reloadable keys), what it
 * keeps (restart-only keys, the whole config when the new one is invalid),
 * the generation, file watching through an editor's rename, and readers
 * that keep reading while reloads publish.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
/* cmocka.h needs the four above first. */
#include <cmocka.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/config.h"
#include "support/tmpdir.h"
#include "common/log.h"
#include "common/reload.h"
#include "common/snapshot.h"

static char tmpdir[] = "/tmp/dlc_reload_test.XXXXXX";
static char path[512];

static int setup(void **state)
{
    (void)state;
    if (!mkdtemp(tmpdir))
        return -1;
    snprintf(path, sizeof path, "%s/dlc.yaml", tmpdir);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    return dlc_test_rmdir_flat(tmpdir);
}

/* Replaces the file the way editors do: write a temporary, rename over. */
static void write_config(const char *text)
{
    char tmp[600];
    snprintf(tmp, sizeof tmp, "%s/.dlc.yaml.swp", tmpdir);
    FILE *f = fopen(tmp, "w");
    assert_non_null(f);
    assert_true(fputs(text, f) >= 0);
    assert_int_equal(fclose(f), 0);
    assert_int_equal(rename(tmp, path), 0);
}

static atomic_int reads; /* how often the sources were read */

static int read_file(void *ctx, dlc_config *out, dlc_config_error *err)
{
    (void)ctx;
    atomic_fetch_add(&reads, 1);
    return dlc_config_load(out, path, NULL, err);
}

/* A reloader started from text, watching the file. Tests that reload by
 * hand (SIGHUP's path) get the same answers whether or not the watcher got
 * there first: a reload of unchanged sources returns the generation. */
static dlc_reload *start(const char *text)
{
    write_config(text);
    dlc_config c;
    dlc_config_error e;
    assert_int_equal(dlc_config_load(&c, path, NULL, &e), 0);
    dlc_reload *r = dlc_reload_new(&c);
    dlc_config_free(&c);
    assert_non_null(r);
    char err[256];
    assert_int_equal(dlc_reload_watch(r, read_file, NULL, err, sizeof err), 0);
    return r;
}

static uint64_t generation(const dlc_reload *r)
{
    uint64_t gen;
    dlc_reload_config(r, &gen);
    return gen;
}

/* Polls for the watcher (no sleeping for a fixed time). */
static bool wait_generation(const dlc_reload *r, uint64_t want)
{
    for (int i = 0; i < 500; i++) {
        if (generation(r) >= want)
            return true;
        usleep(10 * 1000);
    }
    return false;
}

static void test_reloadable_keys_apply(void **state)
{
    (void)state;
    dlc_reload *r = start("logging: {level: info}\napi: {v2_enabled: false}\n");
    const dlc_config *before = dlc_reload_config(r, NULL);
    assert_int_equal(generation(r), 1);
    write_config("logging: {level: debug}\napi: {v2_enabled: true}\nauth: {jwt: {ttl: 2h}}\n");
    assert_int_equal(dlc_reload_now(r), 2);
    const dlc_config *after = dlc_reload_config(r, NULL);
    assert_string_equal(after->logging.level, "debug");
    assert_true(after->api.v2_enabled);
    assert_int_equal(after->auth.jwt.ttl_ms, 2 * 3600 * 1000);
    assert_int_equal(dlc_log_get_level(), DLC_LOG_DEBUG);
    /* the old snapshot is still readable by whoever held it */
    assert_string_equal(before->logging.level, "info");
    assert_false(before->api.v2_enabled);
    dlc_log_set_level(DLC_LOG_WARN);
    dlc_reload_free(r);
}

static void test_restart_keys_keep_running_value(void **state)
{
    (void)state;
    dlc_reload *r = start("rpc: {workers: 4}\nserver: {listen: \"127.0.0.1:8080\"}\n");
    write_config("rpc: {workers: 9}\nserver: {listen: \"127.0.0.1:9999\"}\n"
                 "logging: {level: error}\n");
    assert_int_equal(dlc_reload_now(r), 2);
    const dlc_config *c = dlc_reload_config(r, NULL);
    assert_int_equal(c->rpc.workers, 4);
    assert_string_equal(c->server.listen, "127.0.0.1:8080");
    assert_string_equal(c->logging.level, "error");
    /* only restart-only keys change: accepted (generation moves), values kept */
    write_config("rpc: {workers: 12}\nserver: {listen: \"127.0.0.1:9999\"}\n"
                 "logging: {level: error}\n");
    assert_int_equal(dlc_reload_now(r), 3);
    assert_int_equal(dlc_reload_config(r, NULL)->rpc.workers, 4);
    dlc_log_set_level(DLC_LOG_WARN);
    dlc_reload_free(r);
}

static void test_unchanged_and_invalid_keep_generation(void **state)
{
    (void)state;
    dlc_reload *r = start("logging: {level: warn}\n");
    assert_int_equal(dlc_reload_now(r), 1); /* nothing changed */
    write_config("logging: {level: verbose}\n");
    assert_int_equal(dlc_reload_now(r), 0);
    write_config("logging: {level: debug}\nrpc: {workerz: 3}\n");
    assert_int_equal(dlc_reload_now(r), 0);
    /* valid alone, invalid with the running values: leeway must stay < ttl */
    write_config("logging: {level: warn}\nauth: {jwt: {ttl: 10s}}\n");
    assert_int_equal(dlc_reload_now(r), 0);
    assert_int_equal(generation(r), 1);
    const dlc_config *c = dlc_reload_config(r, NULL);
    assert_string_equal(c->logging.level, "warn");
    assert_int_equal(c->auth.jwt.ttl_ms, 3600 * 1000);
    dlc_reload_free(r);
}

static void test_watcher_follows_renames(void **state)
{
    (void)state;
    dlc_reload *r = start("logging: {level: warn}\n");
    write_config("logging: {level: warn}\napi: {v2_enabled: true}\n");
    assert_true(wait_generation(r, 2));
    assert_true(dlc_reload_config(r, NULL)->api.v2_enabled);
    /* in-place rewrite (IN_CLOSE_WRITE) as well */
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("logging: {level: warn}\napi: {v2_enabled: false}\n", f);
    fclose(f);
    assert_true(wait_generation(r, 3));
    assert_false(dlc_reload_config(r, NULL)->api.v2_enabled);
    /* another file of the directory is not even read (a reload of unchanged
     * sources would keep the generation, so count the reads) */
    usleep(300 * 1000); /* let the debounced events of the rewrite settle */
    int before = atomic_load(&reads);
    char other[600];
    snprintf(other, sizeof other, "%s/other.yaml", tmpdir);
    f = fopen(other, "w");
    assert_non_null(f);
    fclose(f);
    usleep(300 * 1000);
    assert_int_equal(atomic_load(&reads), before);
    assert_int_equal(generation(r), 3);
    dlc_reload_free(r);
}

/* ---- readers during reloads ----------------------------------------------- */

typedef struct {
    dlc_reload *r;
    atomic_bool stop;
    atomic_long reads;
} race;

static void *reader(void *arg)
{
    race *x = arg;
    while (!atomic_load(&x->stop)) {
        const dlc_config *c = dlc_reload_config(x->r, NULL);
        /* a snapshot is whole: ttl and leeway always from the same file */
        if (c->auth.jwt.leeway_ms >= c->auth.jwt.ttl_ms || !c->logging.level[0])
            abort();
        atomic_fetch_add(&x->reads, 1);
    }
    return NULL;
}

static void test_readers_never_see_half_a_reload(void **state)
{
    (void)state;
    race x = {.r = start("logging: {level: warn}\n")};
    pthread_t t[3];
    for (int i = 0; i < 3; i++)
        assert_int_equal(pthread_create(&t[i], NULL, reader, &x), 0);
    for (int i = 0; i < 200; i++) {
        char text[128];
        snprintf(text, sizeof text, "logging: {level: %s}\nauth: {jwt: {ttl: %dm}}\n",
                 i % 2 ? "warn" : "error", 10 + i);
        write_config(text);
        assert_int_equal(dlc_reload_now(x.r), (uint64_t)i + 2);
    }
    atomic_store(&x.stop, true);
    for (int i = 0; i < 3; i++)
        pthread_join(t[i], NULL);
    assert_true(atomic_load(&x.reads) > 0);
    assert_int_equal(dlc_reload_config(x.r, NULL)->auth.jwt.ttl_ms, 209 * 60 * 1000);
    dlc_log_set_level(DLC_LOG_WARN);
    dlc_reload_free(x.r);
}

static void count_free(void *obj)
{
    (*(int *)obj)++;
}

static void test_snapshot_generations(void **state)
{
    (void)state;
    dlc_snapshot s;
    int freed = 0;
    uint64_t gen = 99;
    assert_int_equal(dlc_snapshot_init(&s, count_free), 0);
    assert_null(dlc_snapshot_get(&s, &gen));
    assert_int_equal(gen, 0);
    assert_int_equal(dlc_snapshot_publish(&s, &freed), 1);
    assert_int_equal(dlc_snapshot_publish(&s, &freed), 2);
    assert_ptr_equal(dlc_snapshot_get(&s, &gen), &freed);
    assert_int_equal(gen, 2);
    assert_int_equal(freed, 0); /* retired, not freed: a reader may hold it */
    dlc_snapshot_destroy(&s);
    assert_int_equal(freed, 2);
}

static void test_config_copy_key(void **state)
{
    (void)state;
    dlc_config a, b;
    dlc_config_defaults(&a);
    dlc_config_defaults(&b);
    dlc_config_error e;
    assert_int_equal(dlc_config_set(&b, "logging.level", "debug", &e), 0);
    assert_int_equal(dlc_config_set(&b, "rpc.listen", "ipc:///tmp/x,ipc:///tmp/y", &e), 0);
    assert_int_equal(dlc_config_set(&b, "ratelimit.burst_size", "77", &e), 0);
    assert_int_equal(dlc_config_copy_key(&a, &b, "logging.level"), 0);
    assert_int_equal(dlc_config_copy_key(&a, &b, "rpc.listen"), 0);
    assert_int_equal(dlc_config_copy_key(&a, &b, "ratelimit.burst_size"), 0);
    assert_int_equal(dlc_config_copy_key(&a, &b, "no.such.key"), -1);
    assert_int_equal(dlc_config_diff(&a, &b, NULL, 0), 0);
    dlc_config_free(&b); /* a owns its own copies */
    assert_string_equal(a.logging.level, "debug");
    assert_string_equal(a.rpc.listen.items[1], "ipc:///tmp/y");
    dlc_config_free(&a);
}

int main(void)
{
    dlc_log_set_level(DLC_LOG_WARN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reloadable_keys_apply),
        cmocka_unit_test(test_restart_keys_keep_running_value),
        cmocka_unit_test(test_unchanged_and_invalid_keep_generation),
        cmocka_unit_test(test_watcher_follows_renames),
        cmocka_unit_test(test_readers_never_see_half_a_reload),
        cmocka_unit_test(test_snapshot_generations),
        cmocka_unit_test(test_config_copy_key),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
