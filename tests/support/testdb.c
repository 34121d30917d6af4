/*
 * Test databases: a fresh migrated database per test on the PG* server,
 * its connections, and dropping it afterwards (see testdb.h).
 */
#include "support/testdb.h"

#include "storage/db.h"
#include "storage/migrate.h"

#include <sodium.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define HINT "is the private cluster running? scripts/pg.sh start && eval \"$(scripts/pg.sh env)\""

static atomic_uint g_counter;

dlc_db_params dlc_testdb_params(const char *name, int64_t statement_timeout_ms)
{
    return (dlc_db_params){.url = "",
                           .host = "",
                           .user = "",
                           .password = "",
                           .name = name,
                           .ssl_mode = "",
                           .statement_timeout_ms = statement_timeout_ms,
                           .application_name = "dlc-test"};
}

PGconn *dlc_testdb_connect(const char *name)
{
    /* A generous statement_timeout turns a hung test into a failure, not a stall. */
    dlc_db_params p = dlc_testdb_params(name, 60000);
    char err[256];
    PGconn *conn = dlc_db_connect_blocking(&p, err, sizeof err);
    if (!conn)
        fprintf(stderr, "testdb: cannot connect to database %s: %s (%s)\n", name, err, HINT);
    return conn;
}

int dlc_testdb_exec(PGconn *conn, const char *sql)
{
    PGresult *res = PQexec(conn, sql);
    ExecStatusType st = PQresultStatus(res);
    int rc = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK ? 0 : -1;
    if (rc != 0)
        fprintf(stderr, "testdb: %s: %s", sql, PQerrorMessage(conn));
    PQclear(res);
    return rc;
}

/* Runs one command on the maintenance database "postgres" (PGDATABASE may
 * name something else, hence explicit). */
static int admin_exec(const char *sql)
{
    PGconn *conn = dlc_testdb_connect("postgres");
    if (!conn)
        return -1;
    int rc = dlc_testdb_exec(conn, sql);
    PQfinish(conn);
    return rc;
}

int dlc_testdb_create(char *name, size_t len)
{
    if (sodium_init() < 0)
        return -1;
    unsigned n = atomic_fetch_add(&g_counter, 1);
    int w = snprintf(name, len, "dlc_t_%ld_%u_%08x", (long)getpid(), n, randombytes_random());
    if (w < 0 || (size_t)w >= len)
        return -1;
    /* template0: nobody ever connects to it, so concurrent creates never
     * trip over "source database is being accessed by other users". */
    char sql[160];
    snprintf(sql, sizeof sql, "CREATE DATABASE \"%s\" TEMPLATE template0", name);
    return admin_exec(sql);
}

int dlc_testdb_drop(const char *name)
{
    char sql[160];
    snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS \"%s\" WITH (FORCE)", name);
    return admin_exec(sql);
}

dlc_db *dlc_testdb_open(const char *name, const dlc_db_stmt *stmts, size_t n)
{
    dlc_db_params p = dlc_testdb_params(name, 5000);
    return dlc_db_open(&p, stmts, n);
}

static int fixture_open(dlc_testdb_fixture *f, const dlc_db_stmt *stmts, size_t n)
{
    if (dlc_testdb_create(f->name, sizeof f->name) != 0 || !(f->conn = dlc_testdb_connect(f->name)))
        return -1;
    dlc_migrate_report rep;
    char err[256] = "";
    if (dlc_migrate_run(f->conn, dlc_migrations_embedded, dlc_migrations_embedded_count, &rep, err,
                        sizeof err) != 0) {
        fprintf(stderr, "testdb: migrate: %s\n", err);
        return -1;
    }
    f->db = dlc_testdb_open(f->name, stmts, n);
    return f->db ? 0 : -1;
}

int dlc_testdb_fixture_setup(void **state, const dlc_db_stmt *stmts, size_t n)
{
    dlc_testdb_fixture *f = calloc(1, sizeof *f);
    *state = f;
    if (f && fixture_open(f, stmts, n) == 0)
        return 0;
    dlc_testdb_fixture_teardown(state); /* cmocka skips the teardown after a failed setup */
    return -1;
}

int dlc_testdb_fixture_teardown(void **state)
{
    dlc_testdb_fixture *f = *state;
    if (!f)
        return 0;
    dlc_db_close(f->db);
    PQfinish(f->conn);
    int rc = f->name[0] ? dlc_testdb_drop(f->name) : 0;
    free(f);
    *state = NULL;
    return rc;
}
