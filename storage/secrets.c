/*
 * dlc_secrets: start-up bootstrap on a blocking connection, and the admin
 * statements over jwt_secrets. Admin queries select INFO_COLS (never the
 * secret), and row_to_info reads that order. Changes are watched with storage/listen.h.
 */
#include "storage/secrets.h"

#include "common/log.h"
#include "storage/db_internal.h"

#include <sodium.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FINGERPRINT(col) "left(encode(sha256(" col "), 'hex'), 16)"
/* A wall-clock millisecond parameter as timestamptz (NULL stays NULL). */
#define AT(param) "(timestamptz 'epoch' + " param "::bigint * interval '1 millisecond')"

/* The column order row_to_info expects (enum info_col). */
#define INFO_COLS                                                                                  \
    "kid, is_primary, " DLC_DB_EPOCH_MS("created_at") ", " DLC_DB_EPOCH_MS(                        \
        "expires_at") ", " FINGERPRINT("secret")

enum info_col { COL_KID, COL_PRIMARY, COL_CREATED, COL_EXPIRES, COL_FINGERPRINT };

const dlc_db_stmt dlc_secrets_statements[] = {
    {"secrets_list", "SELECT " INFO_COLS " FROM jwt_secrets ORDER BY created_at, kid", 0},
    {"secrets_add",
     "SELECT dlc_jwt_add_secret($1, decode($2, 'hex'), $3::boolean, " AT("$4") ", " AT("$5") ", "
     "$6::integer)",
     6},
    {"secrets_cleanup",
     "SELECT kid, false, 0::bigint, NULL::bigint, fingerprint FROM dlc_jwt_cleanup() ORDER BY kid",
     0},
};

const size_t dlc_secrets_statement_count =
    sizeof dlc_secrets_statements / sizeof dlc_secrets_statements[0];

/* ---- helpers ------------------------------------------------------------- */

/* Secret bytes as hex for decode($n, 'hex'), and back (constant-time). */
static void hex_encode(const unsigned char *in, size_t len, char *out)
{
    sodium_bin2hex(out, 2 * len + 1, in, len);
}

static int hex_decode(const char *in, unsigned char *out, size_t max, size_t *len)
{
    size_t n = strlen(in);
    return n % 2 == 0 && n / 2 <= max && sodium_hex2bin(out, max, in, n, NULL, len, NULL) == 0 &&
                   *len == n / 2
               ? 0
               : -1;
}

/* ---- start-up (blocking connection) -------------------------------------- */

static int fail(char *err, size_t errlen, const char *what, PGconn *conn)
{
    const char *msg = PQerrorMessage(conn);
    snprintf(err, errlen, "%s: %.*s", what, (int)strcspn(msg, "\n"), msg);
    return -1;
}

/* The unique partial index on is_primary makes a second primary impossible;
 * ON CONFLICT DO NOTHING turns the loser of a race into a no-op. */
static int insert_primary(PGconn *conn, const char *kid, const unsigned char *secret, size_t len,
                          char *err, size_t errlen)
{
    char hex[2 * DLC_SECRET_MAX + 1];
    hex_encode(secret, len, hex);
    const char *values[] = {kid, hex};
    PGresult *r = PQexecParams(conn,
                               "INSERT INTO jwt_secrets (kid, secret, is_primary) "
                               "SELECT $1, decode($2, 'hex'), true "
                               "WHERE NOT EXISTS (SELECT 1 FROM jwt_secrets WHERE is_primary) "
                               "ON CONFLICT DO NOTHING",
                               2, NULL, values, NULL, NULL, 0);
    explicit_bzero(hex, sizeof hex);
    int ok = PQresultStatus(r) == PGRES_COMMAND_OK;
    PQclear(r);
    return ok ? 0 : fail(err, errlen, "store signing key", conn);
}

/* The unexpired secrets, in the column order load_row expects: the primary
 * first, then the newest, so that a cap keeps those. */
#define LOAD_SQL                                                                                   \
    "SELECT kid, encode(secret, 'hex'), is_primary, " DLC_DB_EPOCH_MS(                             \
        "created_at") ", " DLC_DB_EPOCH_MS("expires_at") " FROM jwt_secrets WHERE expires_at IS "  \
                                                         "NULL OR expires_at > now() ORDER BY "    \
                                                         "is_primary DESC, created_at DESC, kid"

static int load_row(PGresult *r, int i, dlc_secret_row *row)
{
    memset(row, 0, sizeof *row);
    snprintf(row->kid, sizeof row->kid, "%s", PQgetvalue(r, i, 0));
    row->is_primary = dlc_db_get_bool(r, i, 2);
    row->created_at_ms = dlc_db_get_i64(r, i, 3);
    row->expires_at_ms = dlc_db_get_i64(r, i, 4);
    return hex_decode(PQgetvalue(r, i, 1), row->secret, sizeof row->secret, &row->secret_len);
}

int dlc_secrets_load(dlc_conn *conn, dlc_secret_row *rows, size_t max, size_t *n, char *err,
                     size_t errlen)
{
    *n = 0;
    PGresult *r = PQexec(conn, LOAD_SQL);
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
        PQclear(r);
        return fail(err, errlen, "load signing keys", conn);
    }
    int rc = 0;
    for (int i = 0; i < PQntuples(r) && *n < max && rc == 0; i++)
        rc = load_row(r, i, &rows[(*n)++]);
    PQclear(r);
    if (rc != 0)
        snprintf(err, errlen, "load signing keys: malformed row");
    return rc;
}

int dlc_secrets_bootstrap(dlc_conn *conn, const char *kid, const unsigned char *secret,
                          size_t secret_len, dlc_secret_row *out, size_t max, size_t *n, char *err,
                          size_t errlen)
{
    *n = 0;
    if (secret_len > DLC_SECRET_MAX) {
        snprintf(err, errlen, "store signing key: secret longer than %d bytes", DLC_SECRET_MAX);
        return -1;
    }
    if (insert_primary(conn, kid, secret, secret_len, err, errlen) != 0)
        return -1;
    return dlc_secrets_load(conn, out, max, n, err, errlen);
}

/* ---- administration (request path) -------------------------------------- */

static void row_to_info(const PGresult *res, int row, dlc_secret_info *info)
{
    *info = (dlc_secret_info){
        .is_primary = dlc_db_get_bool(res, row, COL_PRIMARY),
        .created_at_ms = dlc_db_get_i64(res, row, COL_CREATED),
        .expires_at_ms = dlc_db_get_i64(res, row, COL_EXPIRES),
    };
    snprintf(info->kid, sizeof info->kid, "%s", PQgetvalue(res, row, COL_KID));
    snprintf(info->fingerprint, sizeof info->fingerprint, "%s",
             PQgetvalue(res, row, COL_FINGERPRINT));
}

/* Runs a statement returning INFO_COLS rows into a malloc'd array.
 * Out-of-memory reads as an error. */
static dlc_db_rc infos(dlc_db *db, const char *stmt, int64_t deadline_ms, dlc_secret_info **out,
                       size_t *n)
{
    PGresult *res = NULL;
    *out = NULL;
    *n = 0;
    dlc_db_rc rc = dlc_db_run(db, stmt, 0, NULL, deadline_ms, &res, NULL, NULL);
    int rows = rc == DLC_DB_OK ? PQntuples(res) : 0;
    if (rows > 0) {
        *out = calloc((size_t)rows, sizeof **out);
        if (!*out)
            rc = DLC_DB_ERROR;
    }
    for (int i = 0; *out && i < rows; i++)
        row_to_info(res, i, &(*out)[i]);
    *n = *out ? (size_t)rows : 0;
    PQclear(res);
    return rc;
}

dlc_db_rc dlc_secrets_list(dlc_db *db, int64_t deadline_ms, dlc_secret_info **out, size_t *n)
{
    return infos(db, "secrets_list", deadline_ms, out, n);
}

dlc_db_rc dlc_secrets_cleanup(dlc_db *db, int64_t deadline_ms, dlc_secret_info **removed, size_t *n)
{
    return infos(db, "secrets_cleanup", deadline_ms, removed, n);
}

dlc_db_rc dlc_secrets_add(dlc_db *db, const dlc_secret_new *s, int64_t deadline_ms,
                          dlc_secret_add_rc *out)
{
    *out = DLC_SECRET_ADDED;
    if (s->len > DLC_SECRET_MAX) {
        dlc_log_warn("secrets query failed", "stmt", "secrets_add", "error", "secret too long");
        return DLC_DB_ERROR;
    }
    char hex[2 * DLC_SECRET_MAX + 1];
    hex_encode(s->secret, s->len, hex);
    dlc_db_int_text expires = dlc_db_int(s->expires_at_ms);
    dlc_db_int_text retire = dlc_db_int(s->retire_primary_at_ms);
    dlc_db_int_text cap = dlc_db_int(s->max_live);
    const char *values[] = {s->kid,
                            hex,
                            s->primary ? "true" : "false",
                            s->expires_at_ms ? expires.text : NULL,
                            s->retire_primary_at_ms ? retire.text : NULL,
                            cap.text};
    PGresult *res = NULL;
    char state[6];
    dlc_db_rc rc = dlc_db_run(db, "secrets_add", 6, values, deadline_ms, &res, state, NULL);
    explicit_bzero(hex, sizeof hex);
    PQclear(res);
    if (rc == DLC_DB_ERROR && strcmp(state, "23505") == 0)
        *out = DLC_SECRET_KID_TAKEN;
    else if (rc == DLC_DB_ERROR && strcmp(state, "54000") == 0)
        *out = DLC_SECRET_TOO_MANY;
    else
        return rc;
    return DLC_DB_OK;
}
