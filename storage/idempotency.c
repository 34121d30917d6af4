/*
 * dlc_idem_store: statements over idempotency_keys. Byte strings go out as
 * hex (decode($n, 'hex')) and come back in bytea's text form, which
 * PQunescapeBytea reads.
 */
#include "storage/idempotency.h"

#include "storage/db_internal.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

const dlc_db_stmt dlc_idem_store_statements[] = {
    {"idem_begin", "BEGIN", 0},
    {"idem_commit", "COMMIT", 0},
    {"idem_rollback", "ROLLBACK", 0},
    {"idem_claim",
     "SELECT dlc_idempotency_claim($1, $2, decode($3, 'hex'), $4::bigint, $5::int, $6::int)", 6},
    {"idem_get",
     "SELECT request_sha256, status, payload FROM idempotency_keys"
     " WHERE scope = $1 AND key = $2 AND expires_at > now() AND status IS NOT NULL",
     2},
    {"idem_forget", "DELETE FROM idempotency_keys WHERE scope = $1 AND key = $2", 2},
    {"idem_put",
     "UPDATE idempotency_keys SET status = decode($3, 'hex'), payload = decode($4, 'hex')"
     " WHERE scope = $1 AND key = $2",
     4},
};

const size_t dlc_idem_store_statement_count =
    sizeof dlc_idem_store_statements / sizeof dlc_idem_store_statements[0];

static dlc_db_rc simple(dlc_db *db, const char *stmt, int64_t deadline_ms)
{
    return dlc_db_run(db, stmt, 0, NULL, deadline_ms, NULL, NULL, NULL);
}

dlc_db_rc dlc_idem_store_begin(dlc_db *db, int64_t deadline_ms)
{
    return simple(db, "idem_begin", deadline_ms);
}

dlc_db_rc dlc_idem_store_commit(dlc_db *db, int64_t deadline_ms)
{
    return simple(db, "idem_commit", deadline_ms);
}

dlc_db_rc dlc_idem_store_rollback(dlc_db *db, int64_t deadline_ms)
{
    return simple(db, "idem_rollback", deadline_ms);
}

/* len bytes as hex, malloc'd ("" for none); NULL on OOM. */
static char *to_hex(const void *bytes, size_t len)
{
    char *hex = malloc(2 * len + 1);
    if (hex)
        sodium_bin2hex(hex, 2 * len + 1, bytes, len);
    return hex;
}

dlc_db_rc dlc_idem_store_claim(dlc_db *db, const dlc_idem_claim *c, int64_t deadline_ms,
                               dlc_idem_claim_rc *out)
{
    char sha[2 * DLC_IDEM_SHA256_LEN + 1];
    sodium_bin2hex(sha, sizeof sha, c->request_sha256, DLC_IDEM_SHA256_LEN);
    dlc_db_int_text ttl = dlc_db_int(c->ttl_ms), max = dlc_db_int(c->max_keys),
                    wait = dlc_db_int(c->lock_timeout_ms > 0 ? c->lock_timeout_ms : 1);
    const char *values[] = {c->scope, c->key, sha, ttl.text, max.text, wait.text};
    PGresult *res = NULL;
    char state[6] = "";
    dlc_db_rc rc = dlc_db_run(db, "idem_claim", 6, values, deadline_ms, &res, state, "55P03");
    if (rc == DLC_DB_ERROR && strcmp(state, "55P03") == 0) {
        *out = DLC_IDEM_IN_USE;
        rc = DLC_DB_OK;
    } else if (rc == DLC_DB_OK) {
        const char *v = PQntuples(res) == 1 ? PQgetvalue(res, 0, 0) : "";
        *out = strcmp(v, "claimed") == 0  ? DLC_IDEM_CLAIMED
               : strcmp(v, "full") == 0   ? DLC_IDEM_FULL
                                          : DLC_IDEM_EXISTS;
    }
    PQclear(res);
    return rc;
}

/* A bytea cell, malloc'd (NULL and 0 for NULL or empty). false on OOM. */
static bool get_bytes(const PGresult *res, int col, void **out, size_t *len)
{
    *out = NULL;
    *len = 0;
    if (PQgetisnull(res, 0, col))
        return true;
    size_t n = 0;
    unsigned char *raw = PQunescapeBytea((const unsigned char *)PQgetvalue(res, 0, col), &n);
    if (!raw)
        return false;
    *out = n ? malloc(n) : NULL;
    if (n && *out)
        memcpy(*out, raw, n);
    PQfreemem(raw);
    *len = *out ? n : 0;
    return !n || *out;
}

dlc_db_rc dlc_idem_store_get(dlc_db *db, const char *scope, const char *key, int64_t deadline_ms,
                             dlc_idem_answer *out, bool *found)
{
    memset(out, 0, sizeof *out);
    const char *values[] = {scope, key};
    PGresult *res = NULL;
    dlc_db_rc rc = dlc_db_run(db, "idem_get", 2, values, deadline_ms, &res, NULL, NULL);
    *found = rc == DLC_DB_OK && PQntuples(res) == 1;
    void *sha = NULL;
    size_t sha_len = 0;
    if (*found && !(get_bytes(res, 0, &sha, &sha_len) && sha_len == DLC_IDEM_SHA256_LEN &&
                    get_bytes(res, 1, &out->status, &out->status_len) &&
                    get_bytes(res, 2, &out->payload, &out->payload_len))) {
        dlc_idem_answer_clear(out);
        *found = false;
        rc = DLC_DB_ERROR;
    }
    if (*found)
        memcpy(out->request_sha256, sha, DLC_IDEM_SHA256_LEN);
    free(sha);
    PQclear(res);
    return rc;
}

void dlc_idem_answer_clear(dlc_idem_answer *a)
{
    free(a->status);
    free(a->payload);
    memset(a, 0, sizeof *a);
}

dlc_db_rc dlc_idem_store_put(dlc_db *db, const char *scope, const char *key, const void *status,
                             size_t status_len, const void *payload, size_t payload_len,
                             int64_t deadline_ms, char sqlstate[6])
{
    char *st = to_hex(status, status_len), *pl = to_hex(payload, payload_len);
    dlc_db_rc rc = DLC_DB_ERROR;
    if (st && pl) {
        const char *values[] = {scope, key, st, pl};
        rc = dlc_db_run(db, "idem_put", 4, values, deadline_ms, NULL, sqlstate, "25P02");
    }
    free(st);
    free(pl);
    return rc;
}

dlc_db_rc dlc_idem_store_forget(dlc_db *db, const char *scope, const char *key,
                                int64_t deadline_ms, char sqlstate[6])
{
    const char *values[] = {scope, key};
    return dlc_db_run(db, "idem_forget", 2, values, deadline_ms, NULL, sqlstate, "25P02");
}

long dlc_idem_store_cleanup(dlc_conn *conn, long limit)
{
    dlc_db_int_text lim = dlc_db_int(limit);
    const char *values[] = {lim.text};
    PGresult *r = PQexecParams(conn,
                               "DELETE FROM idempotency_keys WHERE ctid = ANY (ARRAY("
                               "SELECT ctid FROM idempotency_keys WHERE expires_at <= now()"
                               " LIMIT $1::int))",
                               1, NULL, values, NULL, NULL, 0);
    long n = PQresultStatus(r) == PGRES_COMMAND_OK ? atol(PQcmdTuples(r)) : -1;
    PQclear(r);
    return n;
}
