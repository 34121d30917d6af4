/*
 * dlc_ratelimit_db: the shared rate-limit store's statements — one atomic
 * GCRA step per decision, refunds, counts and sweeps.
 */
#include "storage/ratelimit.h"

#include "common/log.h"
#include "storage/db_internal.h"

#include <stdlib.h>

#define STMT_TAKE "ratelimit_take"
#define STMT_REFUND "ratelimit_refund"

/* $1 key, $2 T, $3 tau, $4 the overflow key ('' when the policy's table is
 * not full). A key that holds no bucket while the table is full is charged
 * to the overflow bucket instead. base = max(tat, now); allowed iff
 * base - now <= tau, then tat = base + T; a denied request leaves tat as it
 * was. The SET expressions all read the row as it was before this
 * statement. */
static const char TAKE_SQL[] =
    "WITH clock AS (SELECT (extract(epoch FROM clock_timestamp()) * 1000)::bigint AS ms), "
    "k AS (SELECT CASE WHEN $4 <> '' AND NOT EXISTS "
    "        (SELECT 1 FROM ratelimit_buckets WHERE key = $1) THEN $4 ELSE $1 END AS key) "
    "INSERT INTO ratelimit_buckets AS b (key, tat_ms, allowed) "
    "SELECT k.key, clock.ms + $2::bigint, true FROM clock, k "
    "ON CONFLICT (key) DO UPDATE SET "
    "  tat_ms = CASE WHEN greatest(b.tat_ms, (SELECT ms FROM clock)) - (SELECT ms FROM clock)"
    "                     <= $3::bigint"
    "           THEN greatest(b.tat_ms, (SELECT ms FROM clock)) + $2::bigint"
    "           ELSE b.tat_ms END,"
    "  allowed = greatest(b.tat_ms, (SELECT ms FROM clock)) - (SELECT ms FROM clock)"
    "            <= $3::bigint "
    "RETURNING b.allowed, (SELECT ms FROM clock), b.tat_ms, b.key <> $1";

/* $1 key, $2 T, $3 the overflow key (as above): one request's time back (a
 * tat at or below now is a full bucket, as an absent one). */
static const char REFUND_SQL[] =
    "UPDATE ratelimit_buckets SET tat_ms = tat_ms - $2::bigint WHERE key = "
    "CASE WHEN $3 <> '' AND NOT EXISTS (SELECT 1 FROM ratelimit_buckets WHERE key = $1) "
    "THEN $3 ELSE $1 END";

const dlc_db_stmt dlc_ratelimit_db_statements[] = {
    {STMT_TAKE, TAKE_SQL, 4},
    {STMT_REFUND, REFUND_SQL, 3},
};
const size_t dlc_ratelimit_db_statement_count =
    sizeof dlc_ratelimit_db_statements / sizeof dlc_ratelimit_db_statements[0];

dlc_db_rc dlc_ratelimit_db_take(dlc_db *db, const char *key, const char *overflow, int64_t t_ms,
                                int64_t tau_ms, int64_t deadline_ms, dlc_ratelimit_db_result *out)
{
    dlc_db_int_text t = dlc_db_int(t_ms), tau = dlc_db_int(tau_ms);
    const char *values[] = {key, t.text, tau.text, overflow ? overflow : ""};
    PGresult *res = NULL;
    dlc_db_rc rc = dlc_db_run(db, STMT_TAKE, 4, values, deadline_ms, &res, NULL, NULL);
    if (rc != DLC_DB_OK)
        return rc;
    if (PQntuples(res) != 1) {
        PQclear(res);
        return DLC_DB_ERROR;
    }
    out->allowed = dlc_db_get_bool(res, 0, 0);
    out->now_ms = dlc_db_get_i64(res, 0, 1);
    out->tat_ms = dlc_db_get_i64(res, 0, 2);
    out->overflow = dlc_db_get_bool(res, 0, 3);
    PQclear(res);
    return DLC_DB_OK;
}

dlc_db_rc dlc_ratelimit_db_refund(dlc_db *db, const char *key, const char *overflow,
                                  int64_t t_ms, int64_t deadline_ms)
{
    dlc_db_int_text t = dlc_db_int(t_ms);
    const char *values[] = {key, t.text, overflow ? overflow : ""};
    return dlc_db_run(db, STMT_REFUND, 3, values, deadline_ms, NULL, NULL, NULL);
}

long dlc_ratelimit_db_count(dlc_conn *conn, void (*fn)(const char *policy, long n, void *arg),
                            void *arg)
{
    PGresult *res = PQexec(conn, "SELECT split_part(key, '|', 1), count(*) "
                                 "FROM ratelimit_buckets GROUP BY 1");
    long total = -1;
    if (PQresultStatus(res) == PGRES_TUPLES_OK) {
        total = 0;
        for (int i = 0; i < PQntuples(res); i++) {
            long n = (long)dlc_db_get_i64(res, i, 1);
            fn(PQgetvalue(res, i, 0), n, arg);
            total += n;
        }
    } else {
        dlc_log_warn("rate-limit bucket count failed", "error", PQerrorMessage(conn));
    }
    PQclear(res);
    return total;
}

long dlc_ratelimit_db_sweep(dlc_conn *conn)
{
    PGresult *res = PQexec(conn, "DELETE FROM ratelimit_buckets WHERE tat_ms <= "
                                 "(extract(epoch FROM clock_timestamp()) * 1000)::bigint");
    long n = -1;
    if (PQresultStatus(res) == PGRES_COMMAND_OK) {
        n = strtol(PQcmdTuples(res), NULL, 10);
    } else {
        char err[256];
        dlc_db_error_text(conn, res, err, sizeof err);
        dlc_log_warn("rate-limit bucket sweep failed", "error", err);
    }
    PQclear(res);
    return n;
}
