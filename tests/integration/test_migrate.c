/*
 * Storage against a real PostgreSQL (the one the PG* environment names):
 * the migration runner (order, checksums, atomicity, concurrent runners) and
 * dlc_db (results, errors, deadlines, reconnect, backoff). Each test gets a
 * fresh database of its own.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
/* cmocka.h needs the four above first. */
#include <cmocka.h>

#include "common/clock.h"
#include "storage/db_internal.h" /* dlc_db_exec: this tests dlc_db itself */
#include "storage/migrate.h"
#include "support/testdb.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct {
    char name[64];
    PGconn *conn;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    if (!f || dlc_testdb_create(f->name, sizeof f->name) != 0) {
        free(f);
        return -1;
    }
    f->conn = dlc_testdb_connect(f->name);
    *state = f;
    return f->conn ? 0 : -1;
}

static int teardown(void **state)
{
    fixture *f = *state;
    PQfinish(f->conn);
    int rc = dlc_testdb_drop(f->name);
    free(f);
    return rc;
}

/* ---- helpers ------------------------------------------------------------- */

static long long scalar(PGconn *conn, const char *sql)
{
    PGresult *res = PQexec(conn, sql);
    long long v = -1;
    if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1 && !PQgetisnull(res, 0, 0))
        v = atoll(PQgetvalue(res, 0, 0));
    else
        print_message("query failed: %s: %s\n", sql, PQerrorMessage(conn));
    PQclear(res);
    return v;
}

static bool has_table(PGconn *conn, const char *table)
{
    char sql[256];
    snprintf(sql, sizeof sql,
             "SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tablename = '%s'",
             table);
    return scalar(conn, sql) == 1;
}

static long long migration_rows(PGconn *conn)
{
    return scalar(conn, "SELECT count(*) FROM schema_migrations");
}

/* The SQLSTATE sql fails with ("" when it succeeds). */
static void sqlstate_of(PGconn *conn, const char *sql, char out[6])
{
    PGresult *res = PQexec(conn, sql);
    const char *s = PQresultErrorField(res, PG_DIAG_SQLSTATE);
    snprintf(out, 6, "%s", s ? s : "");
    PQclear(res);
}

static int migrate(PGconn *conn, const dlc_migration *migs, size_t n, dlc_migrate_report *rep,
                   char *err, size_t errlen)
{
    err[0] = '\0';
    return dlc_migrate_run(conn, migs, n, rep, err, errlen);
}

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* ---- migrations ---------------------------------------------------------- */

static void embedded_migrations_apply_then_noop(void **state)
{
    fixture *f = *state;
    const size_t n = dlc_migrations_embedded_count;
    dlc_migrate_report rep;
    char err[256];
    assert_int_equal(migrate(f->conn, dlc_migrations_embedded, n, &rep, err, sizeof err), 0);
    assert_int_equal(rep.applied, (int)n);
    assert_int_equal(rep.skipped, 0);

    assert_int_equal(scalar(f->conn, "SELECT count(*) FROM information_schema.columns"
                                     " WHERE table_name = 'users' AND column_name IN ('id',"
                                     " 'created_at', 'updated_at', 'deleted_at', 'username',"
                                     " 'password_hash', 'description', 'current_goal',"
                                     " 'is_admin', 'allow_password_reset', 'last_login')"),
                     11);
    assert_int_equal(scalar(f->conn, "SELECT count(*) FROM information_schema.columns"
                                     " WHERE table_name = 'greet_history' AND column_name IN"
                                     " ('id', 'created_at', 'user_id', 'message', 'context')"),
                     5);
    assert_int_equal(dlc_testdb_exec(f->conn, "INSERT INTO users (username, password_hash)"
                                              " VALUES ('ann', 'x')"),
                     0);
    char state_[6];
    sqlstate_of(f->conn, "INSERT INTO users (username, password_hash) VALUES ('Ann', 'y')", state_);
    assert_string_equal(state_, "23505");

    assert_int_equal(migrate(f->conn, dlc_migrations_embedded, n, &rep, err, sizeof err), 0);
    assert_int_equal(rep.applied, 0);
    assert_int_equal(rep.skipped, (int)n);
    assert_int_equal(migration_rows(f->conn), (long long)n);
}

static void changed_checksum_is_refused(void **state)
{
    fixture *f = *state;
    static const dlc_migration first[] = {
        {"0001_a.sql", "CREATE TABLE a (id int);"},
        {"0002_b.sql", "CREATE TABLE b (id int);"},
    };
    static const dlc_migration edited[] = {
        {"0001_a.sql", "CREATE TABLE a (id int);"},
        {"0002_b.sql", "CREATE TABLE b (id bigint);"},
        {"0003_c.sql", "CREATE TABLE c (id int);"},
    };
    dlc_migrate_report rep;
    char err[256];
    assert_int_equal(migrate(f->conn, first, COUNT(first), &rep, err, sizeof err), 0);
    assert_int_equal(rep.applied, 2);

    assert_int_equal(migrate(f->conn, edited, COUNT(edited), &rep, err, sizeof err), -1);
    assert_non_null(strstr(err, "0002_b.sql"));
    assert_non_null(strstr(err, "checksum"));
    assert_int_equal(rep.applied, 0);
    assert_false(has_table(f->conn, "c"));
    assert_int_equal(migration_rows(f->conn), 2);
}

static void failing_migration_rolls_back(void **state)
{
    fixture *f = *state;
    static const dlc_migration migs[] = {
        {"0001_ok.sql", "CREATE TABLE ok1 (id int);"},
        {"0002_bad.sql", "CREATE TABLE half (id int); CREATE TABLE broken (id nosuchtype);"},
        {"0003_after.sql", "CREATE TABLE after3 (id int);"},
    };
    dlc_migrate_report rep;
    char err[256];
    assert_int_equal(migrate(f->conn, migs, COUNT(migs), &rep, err, sizeof err), -1);
    assert_non_null(strstr(err, "0002_bad.sql"));
    assert_non_null(strstr(err, "nosuchtype"));
    assert_int_equal(rep.applied, 1);
    assert_true(has_table(f->conn, "ok1"));
    assert_false(has_table(f->conn, "half"));
    assert_false(has_table(f->conn, "after3"));
    assert_int_equal(migration_rows(f->conn), 1);
    assert_int_equal(scalar(f->conn, "SELECT max(version) FROM schema_migrations"), 1);
    assert_int_equal(PQtransactionStatus(f->conn), PQTRANS_IDLE);

    /* The advisory lock was released on the error path. */
    PGconn *other = dlc_testdb_connect(f->name);
    assert_non_null(other);
    char sql[96];
    snprintf(sql, sizeof sql, "SELECT pg_try_advisory_lock(%d)::int", DLC_MIGRATE_LOCK_KEY);
    assert_int_equal(scalar(other, sql), 1);
    PQfinish(other);
}

static void migration_ending_its_transaction_is_refused(void **state)
{
    fixture *f = *state;
    static const dlc_migration migs[] = {
        {"0001_commits.sql", "CREATE TABLE early (id int); COMMIT;"},
    };
    dlc_migrate_report rep;
    char err[256];
    assert_int_equal(migrate(f->conn, migs, COUNT(migs), &rep, err, sizeof err), -1);
    assert_non_null(strstr(err, "0001_commits.sql"));
    assert_int_equal(migration_rows(f->conn), 0);
}

static void bad_names_are_refused(void **state)
{
    fixture *f = *state;
    static const dlc_migration lists[][2] = {
        {{"1_short.sql", "SELECT 1"}, {0, 0}},
        {{"0001short.sql", "SELECT 1"}, {0, 0}},
        {{"0001_wrong.txt", "SELECT 1"}, {0, 0}},
        {{"abcd_letters.sql", "SELECT 1"}, {0, 0}},
        {{"0000_zero.sql", "SELECT 1"}, {0, 0}},
        {{"0001_.sql", "SELECT 1"}, {0, 0}},
        {{"0002_b.sql", "SELECT 1"}, {"0001_a.sql", "SELECT 1"}},
        {{"0001_a.sql", "SELECT 1"}, {"0001_b.sql", "SELECT 1"}},
    };
    static const size_t sizes[] = {1, 1, 1, 1, 1, 1, 2, 2};
    static const char *const culprits[] = {"1_short.sql",  "0001short.sql", "0001_wrong.txt",
                                           "abcd_letters", "0000_zero.sql", "0001_.sql",
                                           "0001_a.sql",   "0001_b.sql"};
    for (size_t i = 0; i < COUNT(lists); i++) {
        dlc_migrate_report rep;
        char err[256];
        assert_int_equal(migrate(f->conn, lists[i], sizes[i], &rep, err, sizeof err), -1);
        assert_non_null(strstr(err, culprits[i]));
        assert_int_equal(rep.applied, 0);
    }
    /* Refused before touching the database. */
    assert_false(has_table(f->conn, "schema_migrations"));
}

/* ---- concurrent runners -------------------------------------------------- */

static const dlc_migration race_migs[] = {
    {"0001_r1.sql", "CREATE TABLE r1 (id int);"},
    {"0002_slow.sql", "SELECT pg_sleep(0.3); CREATE TABLE r2 (id int);"},
    {"0003_r3.sql", "CREATE TABLE r3 (id int);"}, /* no IF NOT EXISTS: fails if run twice */
};

typedef struct {
    const char *db;
    pthread_barrier_t *start;
    int rc;
    dlc_migrate_report rep;
    char err[256];
} runner;

/* No cmocka assertions off the main thread: results are checked there. */
static void *run_migrations(void *arg)
{
    runner *r = arg;
    PGconn *conn = dlc_testdb_connect(r->db);
    pthread_barrier_wait(r->start);
    r->rc = conn ? migrate(conn, race_migs, COUNT(race_migs), &r->rep, r->err, sizeof r->err) : -2;
    PQfinish(conn);
    return NULL;
}

static void concurrent_runners_apply_once(void **state)
{
    fixture *f = *state;
    pthread_barrier_t start;
    pthread_barrier_init(&start, NULL, 2);
    runner r[2] = {{.db = f->name, .start = &start}, {.db = f->name, .start = &start}};
    pthread_t t[2];
    for (int i = 0; i < 2; i++)
        assert_int_equal(pthread_create(&t[i], NULL, run_migrations, &r[i]), 0);
    for (int i = 0; i < 2; i++)
        pthread_join(t[i], NULL);
    pthread_barrier_destroy(&start);

    for (int i = 0; i < 2; i++) {
        if (r[i].rc != 0)
            fail_msg("runner %d: rc %d: %s", i, r[i].rc, r[i].err);
        assert_int_equal(r[i].rep.applied + r[i].rep.skipped, 3);
    }
    assert_int_equal(r[0].rep.applied + r[1].rep.applied, 3);
    assert_int_equal(migration_rows(f->conn), 3);
    assert_true(has_table(f->conn, "r3"));
}

/* ---- dlc_db -------------------------------------------------------------- */

static const dlc_db_stmt stmts[] = {
    {"series", "SELECT generate_series(1, $1::int) AS n", 1},
    {"put", "INSERT INTO kv (k) VALUES ($1)", 1},
    {"divide", "SELECT 10 / $1::int", 1},
    {"sleep", "SELECT pg_sleep($1::float8)", 1},
};

static dlc_db_params params_for(const char *dbname)
{
    return dlc_testdb_params(dbname, 5000);
}

static dlc_db *open_db(fixture *f, const dlc_db_params *p)
{
    assert_int_equal(dlc_testdb_exec(f->conn, "CREATE TABLE IF NOT EXISTS kv (k text PRIMARY KEY)"),
                     0);
    dlc_db *db = dlc_db_open(p, stmts, COUNT(stmts));
    assert_non_null(db);
    return db;
}

/* Runs stmt with one parameter (or none when value is NULL), 5 s deadline. */
static dlc_db_rc run1(dlc_db *db, const char *stmt, const char *value, PGresult **res,
                      char state[6], char *err, size_t errlen)
{
    const char *values[1] = {value};
    return dlc_db_exec(db, stmt, value ? 1 : 0, values, dlc_clock_mono_ms() + 5000, res, state, err,
                       errlen);
}

static void db_exec_returns_rows(void **state)
{
    fixture *f = *state;
    dlc_db_params p = params_for(f->name);
    dlc_db *db = open_db(f, &p);
    assert_false(dlc_db_connected(db));
    PGresult *res;
    char st[6], err[256];
    assert_int_equal(run1(db, "series", "3", &res, st, err, sizeof err), DLC_DB_OK);
    assert_non_null(res);
    assert_int_equal(PQntuples(res), 3);
    assert_string_equal(PQgetvalue(res, 2, 0), "3");
    PQclear(res);
    assert_true(dlc_db_connected(db));
    assert_int_equal(dlc_db_ping(db, dlc_clock_mono_ms() + 5000, err, sizeof err), DLC_DB_OK);
    dlc_db_close(db);
}

static void db_errors_carry_sqlstate_not_values(void **state)
{
    fixture *f = *state;
    dlc_db_params p = params_for(f->name);
    dlc_db *db = open_db(f, &p);
    PGresult *res;
    char st[6], err[256];
    assert_int_equal(run1(db, "put", "secret-value-42", &res, st, err, sizeof err), DLC_DB_OK);
    PQclear(res);
    assert_int_equal(run1(db, "put", "secret-value-42", &res, st, err, sizeof err), DLC_DB_ERROR);
    assert_null(res);
    assert_string_equal(st, "23505");
    assert_non_null(strstr(err, "kv_pkey"));
    assert_null(strstr(err, "secret-value-42"));

    assert_int_equal(run1(db, "divide", "0", &res, st, err, sizeof err), DLC_DB_ERROR);
    assert_string_equal(st, "22012");
    assert_int_equal(run1(db, "series", "abc-secret", &res, st, err, sizeof err), DLC_DB_ERROR);
    assert_string_equal(st, "22P02");
    assert_null(strstr(err, "abc-secret"));

    assert_int_equal(run1(db, "nosuch", NULL, &res, st, err, sizeof err), DLC_DB_ERROR);
    assert_string_equal(st, "26000");
    assert_int_equal(run1(db, "series", NULL, &res, st, err, sizeof err), DLC_DB_ERROR);
    assert_string_equal(st, "07001");

    /* Errors leave the session usable. */
    assert_true(dlc_db_connected(db));
    assert_int_equal(run1(db, "series", "1", &res, st, err, sizeof err), DLC_DB_OK);
    PQclear(res);
    dlc_db_close(db);
}

static void db_syntax_error_in_statement(void **state)
{
    fixture *f = *state;
    static const dlc_db_stmt broken[] = {{"broken", "SELEC 1", 0}};
    dlc_db_params p = params_for(f->name);
    dlc_db *db = dlc_db_open(&p, broken, 1);
    assert_non_null(db);
    PGresult *res;
    char st[6], err[256];
    assert_int_equal(run1(db, "broken", NULL, &res, st, err, sizeof err), DLC_DB_ERROR);
    assert_null(res);
    assert_string_equal(st, "42601");
    assert_non_null(strstr(err, "broken"));
    dlc_db_close(db);
}

static void db_client_deadline_drops_then_reconnects(void **state)
{
    fixture *f = *state;
    dlc_db_params p = params_for(f->name);
    dlc_db *db = open_db(f, &p);
    const char *values[1] = {"2"};
    PGresult *res;
    char st[6], err[256];
    /* Connected first, within a generous deadline: on a loaded machine the
     * connection alone can outlast 200 ms, and that is another case
     * (UNAVAILABLE, db_unreachable_fails_fast_and_backs_off). */
    assert_int_equal(run1(db, "series", "1", &res, st, err, sizeof err), DLC_DB_OK);
    PQclear(res);
    int64_t t0 = dlc_clock_mono_ms();
    assert_int_equal(dlc_db_exec(db, "sleep", 1, values, t0 + 200, &res, st, err, sizeof err),
                     DLC_DB_TIMEOUT);
    int64_t took = dlc_clock_mono_ms() - t0;
    assert_null(res);
    assert_in_range(took, 150, 500);
    assert_false(dlc_db_connected(db));

    assert_int_equal(run1(db, "series", "1", &res, st, err, sizeof err), DLC_DB_OK);
    PQclear(res);
    assert_true(dlc_db_connected(db));
    dlc_db_close(db);
}

static void db_statement_timeout_keeps_session(void **state)
{
    fixture *f = *state;
    dlc_db_params p = params_for(f->name);
    p.statement_timeout_ms = 100;
    dlc_db *db = open_db(f, &p);
    PGresult *res;
    char st[6], err[256];
    int64_t t0 = dlc_clock_mono_ms();
    assert_int_equal(run1(db, "sleep", "2", &res, st, err, sizeof err), DLC_DB_TIMEOUT);
    assert_in_range(dlc_clock_mono_ms() - t0, 80, 1000);
    assert_string_equal(st, "57014");
    assert_true(dlc_db_connected(db));
    assert_int_equal(run1(db, "series", "1", &res, st, err, sizeof err), DLC_DB_OK);
    PQclear(res);
    dlc_db_close(db);
}

static void db_unreachable_fails_fast_and_backs_off(void **state)
{
    (void)state;
    dlc_db_params p = params_for("postgres");
    p.host = "/nonexistent";
    dlc_db *db = dlc_db_open(&p, stmts, COUNT(stmts));
    assert_non_null(db);
    PGresult *res;
    char st[6], err[256];
    int64_t t0 = dlc_clock_mono_ms();
    assert_int_equal(run1(db, "series", "1", &res, st, err, sizeof err), DLC_DB_UNAVAILABLE);
    assert_in_range(dlc_clock_mono_ms() - t0, 0, 200);
    assert_null(strstr(err, "backing off"));

    t0 = dlc_clock_mono_ms();
    assert_int_equal(run1(db, "series", "1", &res, st, err, sizeof err), DLC_DB_UNAVAILABLE);
    assert_in_range(dlc_clock_mono_ms() - t0, 0, 20);
    assert_non_null(strstr(err, "backing off"));

    /* The health probe tries regardless of the backoff window. */
    assert_int_equal(dlc_db_ping(db, dlc_clock_mono_ms() + 1000, err, sizeof err),
                     DLC_DB_UNAVAILABLE);
    assert_null(strstr(err, "backing off"));

    /* After the window (now 200 ms) a call tries the network again. */
    struct timespec pause = {0, 300 * 1000000L};
    nanosleep(&pause, NULL);
    assert_int_equal(run1(db, "series", "1", &res, st, err, sizeof err), DLC_DB_UNAVAILABLE);
    assert_null(strstr(err, "backing off"));
    assert_false(dlc_db_connected(db));
    dlc_db_close(db);
}

static void db_url_wins_over_fields(void **state)
{
    fixture *f = *state;
    const char *host = getenv("PGHOST"), *port = getenv("PGPORT");
    char url[512];
    snprintf(url, sizeof url, "postgresql:///%s?host=%s&port=%s", f->name,
             host ? host : "/var/run/postgresql", port ? port : "5432");
    dlc_db_params p = params_for("nosuchdb");
    p.url = url;
    p.host = "/nonexistent";
    p.port = 1;
    dlc_db *db = open_db(f, &p);
    char err[256];
    assert_int_equal(dlc_db_ping(db, dlc_clock_mono_ms() + 5000, err, sizeof err), DLC_DB_OK);
    dlc_db_close(db);
}

#define FRESH_DB(t) cmocka_unit_test_setup_teardown(t, setup, teardown)

int main(void)
{
    PGconn *probe = dlc_testdb_connect("postgres");
    if (!probe) {
        fprintf(stderr, "test_migrate: FAILED: no PostgreSQL server reachable through the PG*"
                        " environment\n");
        return 1;
    }
    PQfinish(probe);
    const struct CMUnitTest tests[] = {
        FRESH_DB(embedded_migrations_apply_then_noop),
        FRESH_DB(changed_checksum_is_refused),
        FRESH_DB(failing_migration_rolls_back),
        FRESH_DB(migration_ending_its_transaction_is_refused),
        FRESH_DB(bad_names_are_refused),
        FRESH_DB(concurrent_runners_apply_once),
        FRESH_DB(db_exec_returns_rows),
        FRESH_DB(db_errors_carry_sqlstate_not_values),
        FRESH_DB(db_syntax_error_in_statement),
        FRESH_DB(db_client_deadline_drops_then_reconnects),
        FRESH_DB(db_statement_timeout_keeps_session),
        cmocka_unit_test(db_unreachable_fails_fast_and_backs_off),
        FRESH_DB(db_url_wins_over_fields),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
