/*
 * dlc_ratelimit_db: the shared rate-limit store (migrations/0005), for
 * ratelimit.store: postgres — exact limits across every core.
 *
 * One decision is one atomic statement (an upsert that row-locks the key's
 * bucket) following the GCRA step of rpc/core/limit/limiter.h on the
 * database's clock, so all cores share one clock as well as one state.
 */
#ifndef DLC_RATELIMIT_DB_H
#define DLC_RATELIMIT_DB_H

#include "storage/db.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

extern const dlc_db_stmt dlc_ratelimit_db_statements[];
extern const size_t dlc_ratelimit_db_statement_count;

/* What the statement decided for one request. */
typedef struct {
    bool allowed;
    int64_t now_ms; /* the database's clock */
    int64_t tat_ms; /* the bucket's state after the decision */
    bool overflow;  /* decided on the overflow bucket */
} dlc_ratelimit_db_result;

/* One request against key with emission interval t_ms and tolerance
 * tau_ms (see dlc_limit_params). overflow: NULL, or (the policy's table is
 * full) the key of its overflow bucket, which a key that holds no bucket
 * is charged to instead. */
dlc_db_rc dlc_ratelimit_db_take(dlc_db *db, const char *key, const char *overflow, int64_t t_ms,
                                int64_t tau_ms, int64_t deadline_ms, dlc_ratelimit_db_result *out);

/* Gives back one request's time (t_ms) of key's bucket (overflow's, when
 * overflow is given and key holds none). */
dlc_db_rc dlc_ratelimit_db_refund(dlc_db *db, const char *key, const char *overflow,
                                  int64_t t_ms, int64_t deadline_ms);

/* Buckets held per policy (a key's text before its first '|'): fn(policy,
 * count, arg) for each (housekeeping, blocking connection). Returns the
 * total, or -1 (logged). */
long dlc_ratelimit_db_count(dlc_conn *conn, void (*fn)(const char *policy, long n, void *arg),
                            void *arg);

/* Deletes buckets that are full again (housekeeping, blocking connection).
 * Returns the number deleted, or -1 (logged). */
long dlc_ratelimit_db_sweep(dlc_conn *conn);

#endif
