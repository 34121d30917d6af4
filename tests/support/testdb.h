/*
 * Test databases on the server the PG* environment points at (scripts/dlc
 * test sets it to the private cluster). Each test creates its own database so
 * tests run in parallel without sharing state.
 */
#ifndef DLC_TESTDB_H
#define DLC_TESTDB_H

#include "storage/db.h"

#include <libpq-fe.h>
#include <stddef.h>

/* Creates an empty database with a unique name ("dlc_t_<pid>_<n>_<rand>")
 * and writes the name into name (len ≥ 64). 0, or -1 (message on stderr). */
int dlc_testdb_create(char *name, size_t len);
/* Drops it (WITH (FORCE)). 0 or -1. */
int dlc_testdb_drop(const char *name);
/* Settings that name only the database (and a statement_timeout): PG*
 * supplies host, port and user. Strings are static or borrowed from name. */
dlc_db_params dlc_testdb_params(const char *name, int64_t statement_timeout_ms);
/* A blocking connection to that database (PG* env for the rest); NULL on
 * failure (message on stderr). Caller PQfinish()es. */
PGconn *dlc_testdb_connect(const char *name);
/* Runs sql (no parameters), returns 0 when the command succeeded. */
int dlc_testdb_exec(PGconn *conn, const char *sql);

/* A fresh database with every migration applied, an admin connection to it
 * and a dlc_db registering stmts (n of them). */
typedef struct {
    char name[64];
    PGconn *conn;
    dlc_db *db;
} dlc_testdb_fixture;

/* A cmocka setup's body: *state gets a new fixture whose dlc_db registers
 * stmts. 0, or -1 (message on stderr; what was made is removed again). */
int dlc_testdb_fixture_setup(void **state, const dlc_db_stmt *stmts, size_t n);
/* A cmocka teardown: closes both connections, drops the database, frees
 * *state. 0 or -1. */
int dlc_testdb_fixture_teardown(void **state);

/* A cmocka test with a fixture made by setup (which calls
 * dlc_testdb_fixture_setup with the test file's statements). */
#define DLC_TESTDB_TEST(fn, setup)                                                                 \
    cmocka_unit_test_setup_teardown(fn, setup, dlc_testdb_fixture_teardown)

/* A further dlc_db on database name (e.g. one per thread); NULL on OOM.
 * Caller dlc_db_close()s. */
dlc_db *dlc_testdb_open(const char *name, const dlc_db_stmt *stmts, size_t n);

#endif
