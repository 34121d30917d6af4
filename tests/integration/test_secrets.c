/*
 * dlc_secrets against a real PostgreSQL: bootstrap and listing (fingerprints,
 * never secrets), adding secondaries and primaries (rotation demotes the old
 * primary in the same transaction), kid clashes, cleanup of expired
 * secondaries, racing rotations, and the LISTEN/NOTIFY change watcher.
 * Each test gets a fresh migrated database.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
/* cmocka.h needs the four above first. */
#include <cmocka.h>

#include "common/clock.h"
#include "storage/db.h"
#include "storage/listen.h"
#include "storage/migrate.h"
#include "storage/secrets.h"
#include "support/testdb.h"

#include <pthread.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define ROTATORS 4
#define WATCH_APP "dlc-secrets-watch-test"

typedef dlc_testdb_fixture fixture;

static int setup(void **state)
{
    return dlc_testdb_fixture_setup(state, dlc_secrets_statements, dlc_secrets_statement_count);
}

/* ---- helpers ------------------------------------------------------------- */

static int64_t deadline(void)
{
    return dlc_clock_mono_ms() + 5000;
}

/* A 32-byte secret derived from seed. */
static void make_secret(unsigned char secret[32], int seed)
{
    for (int i = 0; i < 32; i++)
        secret[i] = (unsigned char)(seed * 31 + i);
}

/* The 16-hex fingerprint of make_secret(seed). */
static void fingerprint_of(int seed, char out[17])
{
    unsigned char secret[32], hash[crypto_hash_sha256_BYTES];
    make_secret(secret, seed);
    crypto_hash_sha256(hash, secret, sizeof secret);
    sodium_bin2hex(out, 17, hash, 8);
}

static void bootstrap(fixture *f, const char *kid, int seed)
{
    unsigned char secret[32];
    dlc_secret_row rows[4];
    size_t n = 0;
    char err[256] = "";
    make_secret(secret, seed);
    assert_int_equal(
        dlc_secrets_bootstrap(f->conn, kid, secret, sizeof secret, rows, 4, &n, err, sizeof err),
        0);
    assert_int_equal(n, 1);
}

/* Adds a secret (a keyring of max_live); what the store said. */
static dlc_secret_add_rc add_capped(dlc_db *db, const char *kid, int seed, bool primary,
                                    int64_t expires_at_ms, int64_t retire_ms, int max_live)
{
    unsigned char secret[32];
    make_secret(secret, seed);
    dlc_secret_new s = {kid, secret, sizeof secret, primary, expires_at_ms, retire_ms, max_live};
    dlc_secret_add_rc rc = DLC_SECRET_ADDED;
    assert_int_equal(dlc_secrets_add(db, &s, deadline(), &rc), DLC_DB_OK);
    return rc;
}

/* Adds a secret; returns whether the kid was taken. */
static bool add(dlc_db *db, const char *kid, int seed, bool primary, int64_t expires_at_ms,
                int64_t retire_ms)
{
    return add_capped(db, kid, seed, primary, expires_at_ms, retire_ms, 16) ==
           DLC_SECRET_KID_TAKEN;
}

typedef struct {
    dlc_secret_info *rows;
    size_t n;
} listing;

static listing list(dlc_db *db)
{
    listing l = {0};
    assert_int_equal(dlc_secrets_list(db, deadline(), &l.rows, &l.n), DLC_DB_OK);
    return l;
}

static const dlc_secret_info *find(const listing *l, const char *kid)
{
    for (size_t i = 0; i < l->n; i++)
        if (strcmp(l->rows[i].kid, kid) == 0)
            return &l->rows[i];
    fail_msg("kid %s not listed", kid);
    return NULL;
}

static size_t primaries(const listing *l)
{
    size_t n = 0;
    for (size_t i = 0; i < l->n; i++)
        n += l->rows[i].is_primary;
    return n;
}

/* ---- list, add, cleanup -------------------------------------------------- */

static void bootstrap_then_list(void **state)
{
    fixture *f = *state;
    int64_t now = dlc_clock_wall_ms();
    bootstrap(f, "k-boot", 1);
    listing l = list(f->db);
    assert_int_equal(l.n, 1);
    const dlc_secret_info *s = &l.rows[0];
    char fp[17];
    fingerprint_of(1, fp);
    assert_string_equal(s->kid, "k-boot");
    assert_true(s->is_primary);
    assert_true(llabs(s->created_at_ms - now) < 60000);
    assert_int_equal(s->expires_at_ms, 0);
    assert_int_equal(strlen(s->fingerprint), 16);
    assert_int_equal(strspn(s->fingerprint, "0123456789abcdef"), 16);
    assert_string_equal(s->fingerprint, fp);
    free(l.rows);
}

static void add_secondary(void **state)
{
    fixture *f = *state;
    int64_t expires = dlc_clock_wall_ms() + 3600000;
    bootstrap(f, "k-boot", 1);
    assert_false(add(f->db, "k-2", 2, false, expires, 0));
    listing l = list(f->db);
    assert_int_equal(l.n, 2);
    assert_string_equal(l.rows[0].kid, "k-boot"); /* oldest first */
    assert_true(l.rows[0].is_primary);
    assert_false(l.rows[1].is_primary);
    assert_int_equal(l.rows[1].expires_at_ms, expires);
    char fp[17];
    fingerprint_of(2, fp);
    assert_string_equal(l.rows[1].fingerprint, fp);
    free(l.rows);

    dlc_secret_row rows[4];
    size_t n = 0;
    char err[256];
    assert_int_equal(dlc_secrets_load(f->conn, rows, 4, &n, err, sizeof err), 0);
    assert_int_equal(n, 2);
    assert_int_equal(rows[1].secret_len, 32);
}

static void add_primary_demotes_old(void **state)
{
    fixture *f = *state;
    int64_t retire = dlc_clock_wall_ms() + 60000;
    bootstrap(f, "k-boot", 1);
    assert_false(add(f->db, "k-2", 2, true, 0, retire));
    listing l = list(f->db);
    assert_int_equal(l.n, 2);
    assert_false(find(&l, "k-boot")->is_primary);
    assert_int_equal(find(&l, "k-boot")->expires_at_ms, retire);
    assert_true(find(&l, "k-2")->is_primary);
    assert_int_equal(find(&l, "k-2")->expires_at_ms, 0);
    free(l.rows);

    /* retire 0 keeps the old primary's expiry (here: none). */
    assert_false(add(f->db, "k-3", 3, true, 0, 0));
    l = list(f->db);
    assert_int_equal(primaries(&l), 1);
    assert_true(find(&l, "k-3")->is_primary);
    assert_false(find(&l, "k-2")->is_primary);
    assert_int_equal(find(&l, "k-2")->expires_at_ms, 0);
    free(l.rows);
}

static void kid_taken_changes_nothing(void **state)
{
    fixture *f = *state;
    bootstrap(f, "k-boot", 1);
    assert_true(add(f->db, "k-boot", 2, false, 0, 0));
    /* A clashing primary must not leave the old one demoted. */
    assert_true(add(f->db, "k-boot", 3, true, 0, dlc_clock_wall_ms() + 1000));
    listing l = list(f->db);
    assert_int_equal(l.n, 1);
    assert_true(l.rows[0].is_primary);
    assert_int_equal(l.rows[0].expires_at_ms, 0);
    char fp[17];
    fingerprint_of(1, fp);
    assert_string_equal(l.rows[0].fingerprint, fp);
    free(l.rows);
}

static void cleanup_removes_expired_secondaries(void **state)
{
    fixture *f = *state;
    int64_t now = dlc_clock_wall_ms();
    bootstrap(f, "k-boot", 1);
    assert_false(add(f->db, "k-old", 2, false, now - 1000, 0));
    assert_false(add(f->db, "k-fresh", 3, false, now + 3600000, 0));
    assert_false(add(f->db, "k-forever", 4, false, 0, 0));
    assert_int_equal(dlc_testdb_exec(f->conn, "UPDATE jwt_secrets SET expires_at = now() - "
                                              "interval '1 hour' WHERE is_primary"),
                     0);
    dlc_secret_info *gone = NULL;
    size_t n = 0;
    assert_int_equal(dlc_secrets_cleanup(f->db, deadline(), &gone, &n), DLC_DB_OK);
    assert_int_equal(n, 1);
    char fp[17];
    fingerprint_of(2, fp);
    assert_string_equal(gone[0].kid, "k-old");
    assert_string_equal(gone[0].fingerprint, fp);
    free(gone);

    listing l = list(f->db);
    assert_int_equal(l.n, 3);
    assert_true(find(&l, "k-boot")->is_primary);
    find(&l, "k-fresh");
    find(&l, "k-forever");
    free(l.rows);

    assert_int_equal(dlc_secrets_cleanup(f->db, deadline(), &gone, &n), DLC_DB_OK);
    assert_int_equal(n, 0);
    assert_null(gone);
}

/* ---- racing rotations ---------------------------------------------------- */

typedef struct {
    const char *db_name;
    int index;
    dlc_db_rc rc;
    bool taken;
} rotator;

static void *rotate(void *arg)
{
    rotator *r = arg;
    dlc_db *db = dlc_testdb_open(r->db_name, dlc_secrets_statements, dlc_secrets_statement_count);
    unsigned char secret[32];
    char kid[16];
    make_secret(secret, 10 + r->index);
    snprintf(kid, sizeof kid, "k-r%d", r->index);
    dlc_secret_new s = {kid, secret, sizeof secret, true, 0, dlc_clock_wall_ms() + 60000, 16};
    dlc_secret_add_rc added = DLC_SECRET_KID_TAKEN;
    r->rc = db ? dlc_secrets_add(db, &s, deadline(), &added) : DLC_DB_UNAVAILABLE;
    r->taken = added != DLC_SECRET_ADDED;
    dlc_db_close(db);
    return NULL;
}

/* The store refuses a live secret past the keyring's cap; an expired one
 * does not count. The primary is loaded first whatever the cap. */
static void the_cap_refuses_one_more_and_keeps_the_primary(void **state)
{
    fixture *f = *state;
    assert_int_equal(add_capped(f->db, "k-p", 1, true, 0, 0, 3), DLC_SECRET_ADDED);
    assert_int_equal(add_capped(f->db, "k-a", 2, false, 0, 0, 3), DLC_SECRET_ADDED);
    assert_int_equal(add_capped(f->db, "k-b", 3, false, 0, 0, 3), DLC_SECRET_ADDED);
    assert_int_equal(add_capped(f->db, "k-c", 4, false, 0, 0, 3), DLC_SECRET_TOO_MANY);
    dlc_secret_row rows[2];
    size_t n = 0;
    char err[256];
    assert_int_equal(dlc_secrets_load(f->conn, rows, 2, &n, err, sizeof err), 0);
    assert_int_equal(n, 2);
    assert_string_equal(rows[0].kid, "k-p");
    assert_true(rows[0].is_primary);
    assert_string_equal(rows[1].kid, "k-b"); /* then the newest */
}

static void concurrent_rotations_leave_one_primary(void **state)
{
    fixture *f = *state;
    bootstrap(f, "k-boot", 1);
    rotator r[ROTATORS];
    pthread_t t[ROTATORS];
    for (int i = 0; i < ROTATORS; i++) {
        r[i] = (rotator){.db_name = f->name, .index = i, .rc = DLC_DB_ERROR, .taken = true};
        assert_int_equal(pthread_create(&t[i], NULL, rotate, &r[i]), 0);
    }
    for (int i = 0; i < ROTATORS; i++) {
        pthread_join(t[i], NULL);
        assert_int_equal(r[i].rc, DLC_DB_OK);
        assert_false(r[i].taken);
    }
    listing l = list(f->db);
    assert_int_equal(l.n, ROTATORS + 1);
    assert_int_equal(primaries(&l), 1);
    for (size_t i = 0; i < l.n; i++)
        assert_true(l.rows[i].is_primary || l.rows[i].expires_at_ms > 0);
    free(l.rows);
}

/* ---- watcher ------------------------------------------------------------- */

typedef struct {
    atomic_int calls;
    atomic_int rows;  /* count(*) seen by the last callback, on its connection */
    atomic_int event; /* the last callback's dlc_listen_event */
} watch_seen;

static void on_change(PGconn *conn, dlc_listen_event ev, void *arg)
{
    watch_seen *seen = arg;
    atomic_store(&seen->event, (int)ev);
    PGresult *res = PQexec(conn, "SELECT count(*) FROM jwt_secrets");
    if (PQresultStatus(res) == PGRES_TUPLES_OK)
        atomic_store(&seen->rows, atoi(PQgetvalue(res, 0, 0)));
    PQclear(res);
    atomic_fetch_add(&seen->calls, 1);
}

/* Waits up to ms for at least calls callbacks; true when they came. */
static bool wait_calls(watch_seen *seen, int calls, int64_t ms)
{
    int64_t until = dlc_clock_mono_ms() + ms;
    while (atomic_load(&seen->calls) < calls) {
        if (dlc_clock_mono_ms() >= until)
            return false;
        nanosleep(&(struct timespec){0, 5000000L}, NULL);
    }
    return true;
}

static dlc_listen *watch(fixture *f, int64_t poll_ms, watch_seen *seen)
{
    dlc_db_params p = dlc_testdb_params(f->name, 5000);
    p.application_name = WATCH_APP;
    atomic_init(&seen->calls, 0);
    atomic_init(&seen->event, -1);
    atomic_init(&seen->rows, -1);
    dlc_listen *w = dlc_listen_start(&p, "dlc_jwt_secrets", poll_ms, on_change, seen);
    assert_non_null(w);
    assert_true(wait_calls(seen, 1, 5000)); /* the call after connecting */
    assert_int_equal(atomic_load(&seen->event), DLC_LISTEN_CONNECTED);
    return w;
}

static void stop_promptly(dlc_listen *w)
{
    int64_t start = dlc_clock_mono_ms();
    dlc_listen_stop(w);
    assert_true(dlc_clock_mono_ms() - start < 1000);
}

static void watcher_sees_add_and_stops_promptly(void **state)
{
    fixture *f = *state;
    watch_seen seen;
    dlc_listen *w = watch(f, 60000, &seen);
    assert_int_equal(atomic_load(&seen.rows), 0);
    assert_false(add(f->db, "k-1", 1, true, 0, 0));
    assert_true(wait_calls(&seen, 2, 1000));
    assert_int_equal(atomic_load(&seen.rows), 1);
    assert_int_equal(atomic_load(&seen.event), DLC_LISTEN_NOTIFIED);

    /* Cleanup notifies too when it removed something. */
    assert_false(add(f->db, "k-old", 2, false, dlc_clock_wall_ms() - 1000, 0));
    assert_true(wait_calls(&seen, 3, 1000));
    dlc_secret_info *gone = NULL;
    size_t n = 0;
    assert_int_equal(dlc_secrets_cleanup(f->db, deadline(), &gone, &n), DLC_DB_OK);
    free(gone);
    assert_true(wait_calls(&seen, 4, 1000));
    assert_int_equal(atomic_load(&seen.rows), 1);
    stop_promptly(w);
}

static void watcher_polls_as_safety_net(void **state)
{
    fixture *f = *state;
    watch_seen seen;
    dlc_listen *w = watch(f, 250, &seen);
    assert_true(wait_calls(&seen, 4, 1500));
    assert_int_equal(atomic_load(&seen.event), DLC_LISTEN_TICK);
    stop_promptly(w);
}

static void watcher_reconnects(void **state)
{
    fixture *f = *state;
    watch_seen seen;
    dlc_listen *w = watch(f, 60000, &seen);
    assert_int_equal(dlc_testdb_exec(f->conn,
                                     "SELECT pg_terminate_backend(pid) FROM "
                                     "pg_stat_activity WHERE application_name = '" WATCH_APP
                                     "' AND datname = current_database()"),
                     0);
    assert_true(wait_calls(&seen, 2, 3000)); /* the call after reconnecting */
    assert_false(add(f->db, "k-1", 1, true, 0, 0));
    assert_true(wait_calls(&seen, 3, 1000)); /* listening again */
    assert_int_equal(atomic_load(&seen.rows), 1);
    stop_promptly(w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        DLC_TESTDB_TEST(bootstrap_then_list, setup),
        DLC_TESTDB_TEST(add_secondary, setup),
        DLC_TESTDB_TEST(add_primary_demotes_old, setup),
        DLC_TESTDB_TEST(kid_taken_changes_nothing, setup),
        DLC_TESTDB_TEST(the_cap_refuses_one_more_and_keeps_the_primary, setup),
        DLC_TESTDB_TEST(cleanup_removes_expired_secondaries, setup),
        DLC_TESTDB_TEST(concurrent_rotations_leave_one_primary, setup),
        DLC_TESTDB_TEST(watcher_sees_add_and_stops_promptly, setup),
        DLC_TESTDB_TEST(watcher_polls_as_safety_net, setup),
        DLC_TESTDB_TEST(watcher_reconnects, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
