/*
 * dlc_migrate: applying the embedded migrations in order under an advisory
 * lock, refusing changed checksums (see migrate.h).
 */
#include "storage/migrate.h"

#include "common/log.h"
#include "storage/db_internal.h"

#include <ctype.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHECKSUM_HEX (crypto_hash_sha256_BYTES * 2 + 1)

static void fail(char *errbuf, size_t errlen, const char *fmt, ...)
{
    if (!errbuf || errlen == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(errbuf, errlen, fmt, ap);
    va_end(ap);
}

/* Runs sql (no parameters); on failure fills errbuf as "<what>: <error>". */
static int run_sql(PGconn *conn, const char *sql, const char *what, char *errbuf, size_t errlen)
{
    PGresult *res = PQexec(conn, sql);
    ExecStatusType st = PQresultStatus(res);
    int rc = 0;
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
        char text[256];
        dlc_db_error_text(conn, res, text, sizeof text);
        fail(errbuf, errlen, "%s: %s", what, text);
        rc = -1;
    }
    PQclear(res);
    return rc;
}

/* ---- names and checksums ------------------------------------------------- */

/* "NNNN_description.sql" → NNNN, or -1. */
static int parse_version(const char *name)
{
    if (!name)
        return -1;
    for (int i = 0; i < 4; i++)
        if (!isdigit((unsigned char)name[i]))
            return -1;
    size_t len = strlen(name);
    if (name[4] != '_' || len <= 9 || strcmp(name + len - 4, ".sql") != 0 || strchr(name, '/'))
        return -1;
    return atoi(name);
}

/* Everything is checked before touching the database. */
static int validate(const dlc_migration *migs, size_t n, char *errbuf, size_t errlen)
{
    int prev = 0;
    for (size_t i = 0; i < n; i++) {
        int v = parse_version(migs[i].name);
        if (v <= 0 || !migs[i].sql) {
            fail(errbuf, errlen, "bad migration name %s (want NNNN_description.sql, NNNN > 0)",
                 migs[i].name ? migs[i].name : "(null)");
            return -1;
        }
        if (v <= prev) {
            fail(errbuf, errlen, "%s: versions must be strictly increasing", migs[i].name);
            return -1;
        }
        prev = v;
    }
    return 0;
}

static void checksum(const char *sql, char hex[CHECKSUM_HEX])
{
    unsigned char digest[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(digest, (const unsigned char *)sql, strlen(sql));
    sodium_bin2hex(hex, CHECKSUM_HEX, digest, sizeof digest);
}

/* ---- the bookkeeping table ----------------------------------------------- */

static int ensure_table(PGconn *conn, char *errbuf, size_t errlen)
{
    /* client_min_messages: no "already exists, skipping" notice each run. */
    static const char sql[] = "BEGIN;"
                              "SET LOCAL client_min_messages = warning;"
                              "CREATE TABLE IF NOT EXISTS schema_migrations ("
                              " version integer PRIMARY KEY,"
                              " name text NOT NULL,"
                              " checksum text NOT NULL,"
                              " applied_at timestamptz NOT NULL DEFAULT now());"
                              "COMMIT";
    if (run_sql(conn, sql, "create schema_migrations", errbuf, errlen) == 0)
        return 0;
    PQclear(PQexec(conn, "ROLLBACK"));
    return -1;
}

/* The row for version in applied (version, name, checksum), or -1. */
static int find_applied(const PGresult *applied, int version)
{
    for (int r = 0; r < PQntuples(applied); r++)
        if (atoi(PQgetvalue(applied, r, 0)) == version)
            return r;
    return -1;
}

/* An applied migration must be the same file it was. */
static int verify(const PGresult *applied, int row, const dlc_migration *m, const char *sum,
                  char *errbuf, size_t errlen)
{
    const char *was_name = PQgetvalue(applied, row, 1);
    if (strcmp(was_name, m->name) != 0) {
        fail(errbuf, errlen, "%s: version already applied as %s", m->name, was_name);
        return -1;
    }
    if (strcmp(PQgetvalue(applied, row, 2), sum) != 0) {
        fail(errbuf, errlen, "%s: checksum mismatch, the file changed after it was applied",
             m->name);
        return -1;
    }
    return 0;
}

static int record(PGconn *conn, const dlc_migration *m, int version, const char *sum, char *errbuf,
                  size_t errlen)
{
    char vtext[16];
    snprintf(vtext, sizeof vtext, "%d", version);
    const char *values[3] = {vtext, m->name, sum};
    PGresult *res = PQexecParams(conn,
                                 "INSERT INTO schema_migrations (version, name, checksum)"
                                 " VALUES ($1, $2, $3)",
                                 3, NULL, values, NULL, NULL, 0);
    int rc = 0;
    if (PQresultStatus(res) != PGRES_COMMAND_OK) {
        char text[256];
        dlc_db_error_text(conn, res, text, sizeof text);
        fail(errbuf, errlen, "%s: recording it failed: %s", m->name, text);
        rc = -1;
    }
    PQclear(res);
    return rc;
}

/* ---- applying ------------------------------------------------------------ */

/* The body and its row commit together, or not at all. */
static int apply_one(PGconn *conn, const dlc_migration *m, int version, const char *sum,
                     char *errbuf, size_t errlen)
{
    if (run_sql(conn, "BEGIN", m->name, errbuf, errlen) != 0)
        return -1;
    int rc = run_sql(conn, m->sql, m->name, errbuf, errlen);
    if (rc == 0 && PQtransactionStatus(conn) != PQTRANS_INTRANS) {
        fail(errbuf, errlen, "%s: must not end the transaction (no COMMIT/ROLLBACK)", m->name);
        rc = -1;
    }
    if (rc == 0)
        rc = record(conn, m, version, sum, errbuf, errlen);
    if (rc == 0)
        rc = run_sql(conn, "COMMIT", m->name, errbuf, errlen);
    if (rc != 0) {
        PQclear(PQexec(conn, "ROLLBACK"));
        return -1;
    }
    dlc_log_info("migration applied", "name", m->name);
    return 0;
}

static int apply_all(PGconn *conn, const dlc_migration *migs, size_t n, dlc_migrate_report *report,
                     char *errbuf, size_t errlen)
{
    if (ensure_table(conn, errbuf, errlen) != 0)
        return -1;
    PGresult *applied = PQexec(conn, "SELECT version, name, checksum FROM schema_migrations");
    if (PQresultStatus(applied) != PGRES_TUPLES_OK) {
        char text[256];
        dlc_db_error_text(conn, applied, text, sizeof text);
        fail(errbuf, errlen, "read schema_migrations: %s", text);
        PQclear(applied);
        return -1;
    }
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        int version = parse_version(migs[i].name);
        char sum[CHECKSUM_HEX];
        checksum(migs[i].sql, sum);
        int row = find_applied(applied, version);
        if (row >= 0)
            rc = verify(applied, row, &migs[i], sum, errbuf, errlen);
        else
            rc = apply_one(conn, &migs[i], version, sum, errbuf, errlen);
        if (rc == 0 && row >= 0)
            report->skipped++;
        else if (rc == 0)
            report->applied++;
    }
    PQclear(applied);
    return rc;
}

/* A migration may take longer than a request's statement_timeout (an index
 * build), so the run lifts it and restores the caller's value afterwards. */
static int lift_timeout(PGconn *conn, char saved[64], char *errbuf, size_t errlen)
{
    PGresult *res = PQexec(conn, "SELECT current_setting('statement_timeout'),"
                                 " set_config('statement_timeout', '0', false)");
    int rc = 0;
    if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1) {
        snprintf(saved, 64, "%s", PQgetvalue(res, 0, 0));
    } else {
        char text[256];
        dlc_db_error_text(conn, res, text, sizeof text);
        fail(errbuf, errlen, "lift statement_timeout: %s", text);
        rc = -1;
    }
    PQclear(res);
    return rc;
}

static void restore_timeout(PGconn *conn, const char *saved)
{
    const char *values[1] = {saved};
    PQclear(PQexecParams(conn, "SELECT set_config('statement_timeout', $1, false)", 1, NULL, values,
                         NULL, NULL, 0));
}

/* Session-level lock: held across the per-migration transactions. */
static int advisory(PGconn *conn, const char *fn, char *errbuf, size_t errlen)
{
    char sql[64];
    snprintf(sql, sizeof sql, "SELECT %s(%d)", fn, DLC_MIGRATE_LOCK_KEY);
    return run_sql(conn, sql, fn, errbuf, errlen);
}

static int run_locked(PGconn *conn, const dlc_migration *migs, size_t n, dlc_migrate_report *report,
                      char *errbuf, size_t errlen)
{
    if (advisory(conn, "pg_advisory_lock", errbuf, errlen) != 0)
        return -1;
    int rc = apply_all(conn, migs, n, report, errbuf, errlen);
    char ignored[8];
    int unlocked = advisory(conn, "pg_advisory_unlock", rc == 0 ? errbuf : ignored,
                            rc == 0 ? errlen : sizeof ignored);
    return rc == 0 ? unlocked : rc;
}

int dlc_migrate_run(dlc_conn *conn, const dlc_migration *migs, size_t n, dlc_migrate_report *report,
                    char *errbuf, size_t errlen)
{
    *report = (dlc_migrate_report){0, 0};
    if (validate(migs, n, errbuf, errlen) != 0)
        return -1;
    if (sodium_init() < 0) {
        fail(errbuf, errlen, "libsodium initialisation failed");
        return -1;
    }
    if (PQstatus(conn) != CONNECTION_OK || PQtransactionStatus(conn) != PQTRANS_IDLE) {
        fail(errbuf, errlen, "migrations need an open connection outside a transaction");
        return -1;
    }
    char saved[64];
    if (lift_timeout(conn, saved, errbuf, errlen) != 0)
        return -1;
    int rc = run_locked(conn, migs, n, report, errbuf, errlen);
    restore_timeout(conn, saved);
    return rc;
}
