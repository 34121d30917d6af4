/*
 * dlc_users against a real PostgreSQL (the one the PG* environment names):
 * lookups, case-insensitive names, profile updates, password resets, soft
 * delete, pagination, and the races that the unique index and the
 * single-statement reset must win. Each test gets a fresh migrated database.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
/* cmocka.h needs the four above first. */
#include <cmocka.h>

#include "common/clock.h"
#include "storage/db.h"
#include "storage/migrate.h"
#include "storage/users.h"
#include "support/testdb.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define THREADS 8

typedef dlc_testdb_fixture fixture;

static int setup(void **state)
{
    return dlc_testdb_fixture_setup(state, dlc_users_statements, dlc_users_statement_count);
}

/* ---- helpers ------------------------------------------------------------- */

static int64_t deadline(void)
{
    return dlc_clock_mono_ms() + 5000;
}

/* Creates a user that must not exist yet; returns its id. */
static int64_t make_user(dlc_db *db, const char *name, const char *hash)
{
    dlc_user u = {0};
    bool taken = true;
    assert_int_equal(dlc_users_create(db, name, hash, deadline(), &u, &taken), DLC_DB_OK);
    assert_false(taken);
    int64_t id = u.id;
    dlc_user_clear(&u);
    return id;
}

/* The stored hash of a live user ("" when not found). */
static void stored_hash(dlc_db *db, const char *name, char *buf, size_t len)
{
    dlc_user u = {0};
    bool found = false;
    assert_int_equal(dlc_users_find_by_name(db, name, deadline(), &u, &found), DLC_DB_OK);
    snprintf(buf, len, "%s", found ? u.password_hash : "");
    dlc_user_clear(&u);
}

/* The digest of the code flag() hands out (any text: storage compares it). */
#define CODE "c0de"
#define HOUR_MS 3600000
#define MAX_FAILURES 3

static bool reset_with(dlc_db *db, const char *name, const char *code, const char *hash)
{
    bool done = true;
    dlc_reset_completion r = {name, code, hash, MAX_FAILURES};
    assert_int_equal(dlc_users_complete_reset(db, &r, deadline(), &done), DLC_DB_OK);
    return done;
}

static bool reset(dlc_db *db, const char *name, const char *hash)
{
    return reset_with(db, name, CODE, hash);
}

/* Allows name a reset with CODE, valid ttl_ms (negative: expired). */
static bool flag_for(dlc_db *db, const char *name, int64_t ttl_ms)
{
    dlc_user u = {0};
    bool found = false;
    int64_t now = dlc_clock_wall_ms();
    assert_int_equal(dlc_users_allow_reset(db, name, CODE, ttl_ms, deadline(), &u, &found),
                     DLC_DB_OK);
    if (found) {
        assert_true(u.allow_password_reset);
        assert_true(llabs(u.reset_expires_at_ms - (now + ttl_ms)) < 60000);
    }
    dlc_user_clear(&u);
    return found;
}

static bool flag(dlc_db *db, const char *name)
{
    return flag_for(db, name, HOUR_MS);
}

/* name's stored user (must exist); caller clears it. */
static dlc_user user_named(dlc_db *db, const char *name)
{
    dlc_user u = {0};
    bool found = false;
    assert_int_equal(dlc_users_find_by_name(db, name, deadline(), &u, &found), DLC_DB_OK);
    assert_true(found);
    return u;
}

static bool flagged(dlc_db *db, const char *name)
{
    dlc_user u = user_named(db, name);
    bool on = u.allow_password_reset;
    dlc_user_clear(&u);
    return on;
}

static int64_t generation(dlc_db *db, const char *name)
{
    dlc_user u = user_named(db, name);
    int64_t g = u.token_generation;
    dlc_user_clear(&u);
    return g;
}

/* ---- users --------------------------------------------------------------- */

static void create_then_find_by_name_and_id(void **state)
{
    fixture *f = *state;
    dlc_user u = {0}, by_name = {0}, by_id = {0};
    bool taken = true, found = false;
    int64_t now = dlc_clock_wall_ms();
    assert_int_equal(dlc_users_create(f->db, "Ann", "h1", deadline(), &u, &taken), DLC_DB_OK);
    assert_false(taken);
    assert_true(u.id > 0);
    assert_string_equal(u.username, "Ann");
    assert_string_equal(u.password_hash, "h1");
    assert_string_equal(u.description, "");
    assert_string_equal(u.current_goal, "");
    assert_false(u.is_admin);
    assert_false(u.allow_password_reset);
    assert_true(llabs(u.created_at_ms - now) < 60000);
    assert_int_equal(u.updated_at_ms, u.created_at_ms);
    assert_int_equal(u.last_login_ms, 0);

    assert_int_equal(dlc_users_find_by_name(f->db, "aNN", deadline(), &by_name, &found), DLC_DB_OK);
    assert_true(found);
    assert_int_equal(by_name.id, u.id);
    assert_string_equal(by_name.username, "Ann");
    assert_int_equal(by_name.created_at_ms, u.created_at_ms);

    assert_int_equal(dlc_users_find_by_id(f->db, u.id, deadline(), &by_id, &found), DLC_DB_OK);
    assert_true(found);
    assert_string_equal(by_id.username, "Ann");

    dlc_user none = {0};
    assert_int_equal(dlc_users_find_by_name(f->db, "bob", deadline(), &none, &found), DLC_DB_OK);
    assert_false(found);
    assert_int_equal(dlc_users_find_by_id(f->db, u.id + 1, deadline(), &none, &found), DLC_DB_OK);
    assert_false(found);
    assert_null(none.username);

    dlc_user_clear(&u);
    dlc_user_clear(&by_name);
    dlc_user_clear(&by_id);
    assert_null(u.username);
    assert_int_equal(u.id, 0);
}

static void duplicate_name_is_taken_in_any_case(void **state)
{
    fixture *f = *state;
    make_user(f->db, "ann", "h1");
    const char *again[] = {"ann", "ANN", "aNn"};
    for (size_t i = 0; i < 3; i++) {
        dlc_user u = {0};
        bool taken = false;
        assert_int_equal(dlc_users_create(f->db, again[i], "h2", deadline(), &u, &taken),
                         DLC_DB_OK);
        assert_true(taken);
        assert_null(u.username);
    }
    char hash[32];
    stored_hash(f->db, "ann", hash, sizeof hash);
    assert_string_equal(hash, "h1");
}

static void bad_username_is_an_error(void **state)
{
    fixture *f = *state;
    dlc_user u = {0};
    bool taken = true;
    assert_int_equal(dlc_users_create(f->db, "a b", "h", deadline(), &u, &taken), DLC_DB_ERROR);
    assert_false(taken);
    assert_null(u.username);
}

static void profile_update_changes_only_given_fields(void **state)
{
    fixture *f = *state;
    int64_t id = make_user(f->db, "ann", "h1");
    dlc_user u = {0};
    bool found = false;
    assert_int_equal(dlc_users_update_profile(f->db, id, "likes tea", NULL, deadline(), &u, &found),
                     DLC_DB_OK);
    assert_true(found);
    assert_string_equal(u.description, "likes tea");
    assert_string_equal(u.current_goal, "");
    int64_t first_update = u.updated_at_ms;
    assert_true(first_update >= u.created_at_ms);
    dlc_user_clear(&u);

    assert_int_equal(dlc_users_update_profile(f->db, id, NULL, "run 5k", deadline(), &u, &found),
                     DLC_DB_OK);
    assert_true(found);
    assert_string_equal(u.description, "likes tea");
    assert_string_equal(u.current_goal, "run 5k");
    assert_string_equal(u.password_hash, "h1");
    assert_true(u.updated_at_ms >= first_update);
    dlc_user_clear(&u);

    assert_int_equal(dlc_users_update_profile(f->db, id, "", NULL, deadline(), &u, &found),
                     DLC_DB_OK);
    assert_string_equal(u.description, "");
    assert_string_equal(u.current_goal, "run 5k");
    dlc_user_clear(&u);

    assert_int_equal(dlc_users_update_profile(f->db, id + 1, "x", "y", deadline(), &u, &found),
                     DLC_DB_OK);
    assert_false(found);
    assert_null(u.username);
}

static void set_password_and_touch_login(void **state)
{
    fixture *f = *state;
    int64_t id = make_user(f->db, "ann", "h1");
    bool found = false;
    assert_int_equal(dlc_users_set_password(f->db, id, "h2", deadline(), &found), DLC_DB_OK);
    assert_true(found);
    char hash[32];
    stored_hash(f->db, "ann", hash, sizeof hash);
    assert_string_equal(hash, "h2");
    assert_int_equal(dlc_users_set_password(f->db, id + 1, "h3", deadline(), &found), DLC_DB_OK);
    assert_false(found);

    int64_t now = dlc_clock_wall_ms();
    assert_int_equal(dlc_users_touch_login(f->db, id, deadline()), DLC_DB_OK);
    dlc_user u = {0};
    assert_int_equal(dlc_users_find_by_id(f->db, id, deadline(), &u, &found), DLC_DB_OK);
    assert_true(found);
    assert_true(u.last_login_ms > 0);
    assert_true(llabs(u.last_login_ms - now) < 60000);
    dlc_user_clear(&u);
}

static void reset_completes_once(void **state)
{
    fixture *f = *state;
    make_user(f->db, "Ann", "h1");
    assert_true(flag(f->db, "ANN"));
    assert_true(reset(f->db, "ann", "h2"));
    dlc_user u = {0};
    bool found = false;
    assert_int_equal(dlc_users_find_by_name(f->db, "ann", deadline(), &u, &found), DLC_DB_OK);
    assert_string_equal(u.password_hash, "h2");
    assert_false(u.allow_password_reset);
    dlc_user_clear(&u);

    assert_false(reset(f->db, "ann", "h3"));
    char hash[32];
    stored_hash(f->db, "ann", hash, sizeof hash);
    assert_string_equal(hash, "h2");
}

static void reset_refused_for_unflagged_unknown_and_deleted(void **state)
{
    fixture *f = *state;
    make_user(f->db, "ann", "h1");
    make_user(f->db, "bob", "b1");
    assert_false(reset(f->db, "ann", "h2"));
    assert_false(reset(f->db, "nobody", "h2"));
    assert_false(flag(f->db, "nobody"));

    assert_true(flag(f->db, "bob"));
    bool found = false;
    assert_int_equal(dlc_users_soft_delete(f->db, "bob", deadline(), &found), DLC_DB_OK);
    assert_true(found);
    assert_false(reset(f->db, "bob", "b2"));
    assert_false(flag(f->db, "bob"));

    char hash[32];
    stored_hash(f->db, "ann", hash, sizeof hash);
    assert_string_equal(hash, "h1");
    PGresult *res = PQexec(f->conn, "SELECT password_hash FROM users WHERE username = 'bob'");
    assert_int_equal(PQntuples(res), 1);
    assert_string_equal(PQgetvalue(res, 0, 0), "b1");
    PQclear(res);
}

static void reset_needs_the_right_unexpired_code(void **state)
{
    fixture *f = *state;
    make_user(f->db, "ann", "h1");
    assert_true(flag_for(f->db, "ann", -1000)); /* expired already */
    assert_false(reset(f->db, "ann", "h2"));
    assert_true(flag(f->db, "ann"));
    assert_false(reset_with(f->db, "ann", "another", "h2"));
    assert_true(reset(f->db, "ann", "h2"));
    char hash[32];
    stored_hash(f->db, "ann", hash, sizeof hash);
    assert_string_equal(hash, "h2");
}

static void wrong_codes_withdraw_the_permission(void **state)
{
    fixture *f = *state;
    make_user(f->db, "ann", "h1");
    assert_true(flag(f->db, "ann"));
    for (int i = 0; i < MAX_FAILURES - 1; i++)
        assert_false(reset_with(f->db, "ann", "wrong", "h2"));
    assert_true(flagged(f->db, "ann"));
    assert_false(reset_with(f->db, "ann", "wrong", "h2"));
    assert_false(flagged(f->db, "ann"));
    assert_false(reset(f->db, "ann", "h2")); /* the right code comes too late */
    assert_true(flag(f->db, "ann"));         /* a new code starts afresh */
    assert_false(reset_with(f->db, "ann", "wrong", "h2"));
    assert_true(reset(f->db, "ann", "h3"));
}

static void login_and_password_change_withdraw_a_reset(void **state)
{
    fixture *f = *state;
    int64_t id = make_user(f->db, "ann", "h1");
    assert_true(flag(f->db, "ann"));
    assert_int_equal(dlc_users_touch_login(f->db, id, deadline()), DLC_DB_OK);
    assert_false(flagged(f->db, "ann"));
    assert_false(reset(f->db, "ann", "h2"));
    assert_true(flag(f->db, "ann"));
    bool found = false;
    assert_int_equal(dlc_users_set_password(f->db, id, "h3", deadline(), &found), DLC_DB_OK);
    assert_false(flagged(f->db, "ann"));
    assert_false(reset(f->db, "ann", "h2"));
}

static void token_generation_moves_on_changes_not_rehashes(void **state)
{
    fixture *f = *state;
    int64_t id = make_user(f->db, "ann", "h1");
    make_user(f->db, "bob", "b1");
    assert_int_equal(generation(f->db, "ann"), 0);
    assert_int_equal(dlc_users_rehash(f->db, id, "h1b", deadline()), DLC_DB_OK);
    assert_int_equal(generation(f->db, "ann"), 0);
    bool found = false;
    assert_int_equal(dlc_users_set_password(f->db, id, "h2", deadline(), &found), DLC_DB_OK);
    assert_int_equal(generation(f->db, "ann"), 1);
    assert_true(flag(f->db, "ann"));
    assert_int_equal(generation(f->db, "ann"), 1);
    assert_true(reset(f->db, "ann", "h3"));
    assert_int_equal(generation(f->db, "ann"), 2);
    assert_int_equal(dlc_users_revoke_tokens(f->db, "ANN", deadline(), &found), DLC_DB_OK);
    assert_true(found);
    assert_int_equal(generation(f->db, "ann"), 3);
    assert_int_equal(generation(f->db, "bob"), 0);
    assert_int_equal(dlc_users_revoke_tokens(f->db, "nobody", deadline(), &found), DLC_DB_OK);
    assert_false(found);
}

static void soft_delete_hides_user_and_keeps_name(void **state)
{
    fixture *f = *state;
    int64_t id = make_user(f->db, "ann", "h1");
    bool found = false;
    assert_int_equal(dlc_users_soft_delete(f->db, "ANN", deadline(), &found), DLC_DB_OK);
    assert_true(found);
    assert_int_equal(dlc_users_soft_delete(f->db, "ann", deadline(), &found), DLC_DB_OK);
    assert_false(found);

    dlc_user u = {0};
    assert_int_equal(dlc_users_find_by_name(f->db, "ann", deadline(), &u, &found), DLC_DB_OK);
    assert_false(found);
    assert_int_equal(dlc_users_find_by_id(f->db, id, deadline(), &u, &found), DLC_DB_OK);
    assert_false(found);
    assert_int_equal(dlc_users_update_profile(f->db, id, "x", NULL, deadline(), &u, &found),
                     DLC_DB_OK);
    assert_false(found);
    assert_int_equal(dlc_users_set_password(f->db, id, "h2", deadline(), &found), DLC_DB_OK);
    assert_false(found);
    assert_false(flag(f->db, "ann"));
    assert_null(u.username);

    dlc_user *list = NULL;
    size_t n = 1;
    assert_int_equal(dlc_users_list(f->db, 0, 100, deadline(), &list, &n), DLC_DB_OK);
    assert_int_equal(n, 0);
    assert_null(list);

    bool taken = false;
    assert_int_equal(dlc_users_create(f->db, "Ann", "h3", deadline(), &u, &taken), DLC_DB_OK);
    assert_true(taken);
}

static void list_pages_by_id(void **state)
{
    fixture *f = *state;
    int64_t ids[25];
    char name[16];
    for (int i = 0; i < 25; i++) {
        snprintf(name, sizeof name, "user%02d", i);
        ids[i] = make_user(f->db, name, "h");
    }
    bool found = false;
    assert_int_equal(dlc_users_soft_delete(f->db, "user03", deadline(), &found), DLC_DB_OK);
    assert_true(found);
    make_user(f->db, "user25", "h"); /* 25 live again */

    const size_t want[] = {10, 10, 5, 0};
    int64_t after = 0;
    int seen = 0;
    for (size_t page = 0; page < 4; page++) {
        dlc_user *users = NULL;
        size_t n = 0;
        assert_int_equal(dlc_users_list(f->db, after, 10, deadline(), &users, &n), DLC_DB_OK);
        assert_int_equal(n, want[page]);
        for (size_t i = 0; i < n; i++) {
            assert_true(users[i].id > after);
            assert_string_not_equal(users[i].username, "user03");
            after = users[i].id;
            dlc_user_clear(&users[i]);
            seen++;
        }
        free(users);
    }
    assert_int_equal(seen, 25);
    assert_true(after > ids[24]);

    /* The limit is clamped: 0 still returns one user. */
    dlc_user *users = NULL;
    size_t n = 0;
    assert_int_equal(dlc_users_list(f->db, 0, 0, deadline(), &users, &n), DLC_DB_OK);
    assert_int_equal(n, 1);
    assert_int_equal(users[0].id, ids[0]);
    dlc_user_clear(&users[0]);
    free(users);
}

/* ---- races --------------------------------------------------------------- */

typedef struct {
    const char *dbname;
    pthread_barrier_t *start;
    char hash[16];
    dlc_db_rc rc;
    bool taken; /* create: the name was taken */
    bool done;  /* reset: this thread's hash won */
} racer;

static dlc_db *racer_open(racer *r)
{
    dlc_db *db = dlc_testdb_open(r->dbname, dlc_users_statements, dlc_users_statement_count);
    if (db)
        dlc_db_ping(db, deadline(), NULL, 0); /* connect before the start line */
    pthread_barrier_wait(r->start);
    return db;
}

static void *race_create(void *arg)
{
    racer *r = arg;
    dlc_db *db = racer_open(r);
    dlc_user u = {0};
    r->rc = db ? dlc_users_create(db, "Racer", r->hash, deadline(), &u, &r->taken) : DLC_DB_ERROR;
    dlc_user_clear(&u);
    dlc_db_close(db);
    return NULL;
}

static void *race_reset(void *arg)
{
    racer *r = arg;
    dlc_db *db = racer_open(r);
    r->rc =
        db ? dlc_users_complete_reset(db, &(dlc_reset_completion){"racer", CODE, r->hash, 3},
                                      deadline(), &r->done)
           : DLC_DB_ERROR;
    dlc_db_close(db);
    return NULL;
}

static void run_racers(fixture *f, void *(*fn)(void *), racer *r)
{
    pthread_barrier_t start;
    pthread_barrier_init(&start, NULL, THREADS);
    pthread_t t[THREADS];
    for (int i = 0; i < THREADS; i++) {
        r[i] = (racer){.dbname = f->name, .start = &start, .rc = DLC_DB_ERROR};
        snprintf(r[i].hash, sizeof r[i].hash, "hash%d", i);
        assert_int_equal(pthread_create(&t[i], NULL, fn, &r[i]), 0);
    }
    for (int i = 0; i < THREADS; i++)
        pthread_join(t[i], NULL);
    pthread_barrier_destroy(&start);
}

static void concurrent_create_one_wins(void **state)
{
    fixture *f = *state;
    racer r[THREADS];
    run_racers(f, race_create, r);
    int won = -1, taken = 0;
    for (int i = 0; i < THREADS; i++) {
        assert_int_equal(r[i].rc, DLC_DB_OK);
        if (r[i].taken)
            taken++;
        else
            won = i;
    }
    assert_int_equal(taken, THREADS - 1);
    assert_true(won >= 0);
    char hash[32];
    stored_hash(f->db, "RACER", hash, sizeof hash);
    assert_string_equal(hash, r[won].hash);
}

static void concurrent_reset_one_wins(void **state)
{
    fixture *f = *state;
    make_user(f->db, "Racer", "old");
    assert_true(flag(f->db, "racer"));
    racer r[THREADS];
    run_racers(f, race_reset, r);
    int won = -1, done = 0;
    for (int i = 0; i < THREADS; i++) {
        assert_int_equal(r[i].rc, DLC_DB_OK);
        if (r[i].done) {
            done++;
            won = i;
        }
    }
    assert_int_equal(done, 1);
    char hash[32];
    stored_hash(f->db, "racer", hash, sizeof hash);
    assert_string_equal(hash, r[won].hash);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        DLC_TESTDB_TEST(create_then_find_by_name_and_id, setup),
        DLC_TESTDB_TEST(duplicate_name_is_taken_in_any_case, setup),
        DLC_TESTDB_TEST(bad_username_is_an_error, setup),
        DLC_TESTDB_TEST(profile_update_changes_only_given_fields, setup),
        DLC_TESTDB_TEST(set_password_and_touch_login, setup),
        DLC_TESTDB_TEST(reset_completes_once, setup),
        DLC_TESTDB_TEST(reset_refused_for_unflagged_unknown_and_deleted, setup),
        DLC_TESTDB_TEST(reset_needs_the_right_unexpired_code, setup),
        DLC_TESTDB_TEST(wrong_codes_withdraw_the_permission, setup),
        DLC_TESTDB_TEST(login_and_password_change_withdraw_a_reset, setup),
        DLC_TESTDB_TEST(token_generation_moves_on_changes_not_rehashes, setup),
        DLC_TESTDB_TEST(soft_delete_hides_user_and_keeps_name, setup),
        DLC_TESTDB_TEST(list_pages_by_id, setup),
        DLC_TESTDB_TEST(concurrent_create_one_wins, setup),
        DLC_TESTDB_TEST(concurrent_reset_one_wins, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
