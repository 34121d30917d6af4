/*
 * dlc_admin_tokens: statements over the single admin_tokens row.
 */
#include "storage/admin_tokens.h"

#include "storage/db_internal.h"

#include <stdio.h>
#include <string.h>

const dlc_db_stmt dlc_admin_tokens_statements[] = {
    {"admin_tokens_generation", "SELECT generation FROM admin_tokens", 0},
    {"admin_tokens_revoke", "UPDATE admin_tokens SET generation = generation + 1", 0},
};

const size_t dlc_admin_tokens_statement_count =
    sizeof dlc_admin_tokens_statements / sizeof dlc_admin_tokens_statements[0];

dlc_db_rc dlc_admin_tokens_generation(dlc_db *db, int64_t deadline_ms, int64_t *gen)
{
    PGresult *res = NULL;
    dlc_db_rc rc = dlc_db_run(db, "admin_tokens_generation", 0, NULL, deadline_ms, &res, NULL, NULL);
    if (rc == DLC_DB_OK && PQntuples(res) != 1)
        rc = DLC_DB_ERROR; /* the migration inserts the row; nothing deletes it */
    *gen = rc == DLC_DB_OK ? dlc_db_get_i64(res, 0, 0) : 0;
    PQclear(res);
    return rc;
}

dlc_db_rc dlc_admin_tokens_revoke(dlc_db *db, int64_t deadline_ms)
{
    return dlc_db_run(db, "admin_tokens_revoke", 0, NULL, deadline_ms, NULL, NULL, NULL);
}

static int fail(char *err, size_t errlen, const char *what, PGconn *conn, const PGresult *r)
{
    char why[256];
    dlc_db_error_text(conn, r, why, sizeof why);
    snprintf(err, errlen, "%s: %s", what, why);
    return -1;
}

int dlc_admin_tokens_read(dlc_conn *conn, char *hash, size_t hashlen, char *err, size_t errlen)
{
    PGresult *r = PQexec(conn, "SELECT master_hash FROM admin_tokens");
    int ok = PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1;
    if (ok)
        snprintf(hash, hashlen, "%s", PQgetvalue(r, 0, 0));
    else
        fail(err, errlen, "read admin token state", conn, r);
    PQclear(r);
    return ok ? 0 : -1;
}

int dlc_admin_tokens_replace(dlc_conn *conn, const char *old_hash, const char *new_hash,
                             bool *replaced, char *err, size_t errlen)
{
    const char *values[] = {old_hash, new_hash};
    PGresult *r = PQexecParams(conn,
                               "UPDATE admin_tokens SET master_hash = $2,"
                               " generation = generation + 1 WHERE master_hash = $1",
                               2, NULL, values, NULL, NULL, 0);
    int ok = PQresultStatus(r) == PGRES_COMMAND_OK;
    *replaced = ok && strcmp(PQcmdTuples(r), "1") == 0;
    if (!ok)
        fail(err, errlen, "store admin token state", conn, r);
    PQclear(r);
    return ok ? 0 : -1;
}
