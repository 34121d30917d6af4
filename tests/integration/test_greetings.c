/*
 * dlc_greetings against a real PostgreSQL (the one the PG* environment
 * names): greetings kept per user, newest first, paged by cursor, with
 * their JSON context. Each test gets a fresh migrated database.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
/* cmocka.h needs the four above first. */
#include <cmocka.h>

#include "common/clock.h"
#include "storage/db.h"
#include "storage/greetings.h"
#include "support/testdb.h"

#include <stdio.h>
#include <stdlib.h>

typedef dlc_testdb_fixture fixture;

static int setup(void **state)
{
    return dlc_testdb_fixture_setup(state, dlc_greetings_statements, dlc_greetings_statement_count);
}

static int64_t deadline(void)
{
    return dlc_clock_mono_ms() + 5000;
}

/* Inserts a user straight into the table; returns its id. */
static int64_t make_user(fixture *f, const char *name)
{
    const char *values[] = {name};
    PGresult *res = PQexecParams(f->conn,
                                 "INSERT INTO users (username, password_hash)"
                                 " VALUES ($1, 'h') RETURNING id",
                                 1, NULL, values, NULL, NULL, 0);
    assert_int_equal(PQresultStatus(res), PGRES_TUPLES_OK);
    int64_t id = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
    PQclear(res);
    return id;
}

static void greetings_newest_first_with_cursor(void **state)
{
    fixture *f = *state;
    int64_t ann = make_user(f, "ann");
    int64_t bob = make_user(f, "bob");
    char msg[32];
    for (int i = 0; i < 5; i++) {
        snprintf(msg, sizeof msg, "hello %d", i);
        assert_int_equal(
            dlc_greetings_add(f->db, ann, msg, i == 0 ? "{\"name\":\"ann\"}" : NULL, deadline()),
            DLC_DB_OK);
    }
    assert_int_equal(dlc_greetings_add(f->db, bob, "hi bob", NULL, deadline()), DLC_DB_OK);
    assert_int_equal(dlc_greetings_add(f->db, ann, "x", "not json", deadline()), DLC_DB_ERROR);

    const size_t want[] = {2, 2, 1, 0};
    int64_t before = 0;
    int next = 4;
    for (size_t page = 0; page < 4; page++) {
        dlc_greeting *g = NULL;
        size_t n = 0;
        assert_int_equal(dlc_greetings_list(f->db, ann, before, 2, deadline(), &g, &n), DLC_DB_OK);
        assert_int_equal(n, want[page]);
        for (size_t i = 0; i < n; i++) {
            snprintf(msg, sizeof msg, "hello %d", next--);
            assert_string_equal(g[i].message, msg);
            assert_true(g[i].created_at_ms > 0);
            if (before)
                assert_true(g[i].id < before);
            before = g[i].id;
            free(g[i].message);
        }
        free(g);
    }
    assert_int_equal(next, -1);

    PGresult *res = PQexec(f->conn, "SELECT count(*) FROM greet_history"
                                    " WHERE context = '{\"name\":\"ann\"}'::jsonb"
                                    " UNION ALL SELECT count(*) FROM greet_history"
                                    " WHERE context = '{}'::jsonb");
    assert_int_equal(PQntuples(res), 2);
    assert_string_equal(PQgetvalue(res, 0, 0), "1");
    assert_string_equal(PQgetvalue(res, 1, 0), "5");
    PQclear(res);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        DLC_TESTDB_TEST(greetings_newest_first_with_cursor, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
