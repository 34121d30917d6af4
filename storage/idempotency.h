/*
 * dlc_idem_store: the idempotency_keys table (migrations/0009) and the
 * transaction a keyed call runs in.
 *
 * A keyed call runs on a dlc_db of its own (one connection, used by that
 * call alone) between dlc_idem_store_begin and _commit or _rollback:
 * claim the key, run the call's own statements, store the answer, commit —
 * all or nothing. Every statement of storage may run on such a dlc_db
 * (open it with the core's whole statement registry, which includes
 * dlc_idem_store_statements).
 */
#ifndef DLC_IDEM_STORE_H
#define DLC_IDEM_STORE_H

#include "storage/db.h"

#include <stddef.h>
#include <stdint.h>

/* Register with dlc_db_open; names start with "idem_". */
extern const dlc_db_stmt dlc_idem_store_statements[];
extern const size_t dlc_idem_store_statement_count;

#define DLC_IDEM_SHA256_LEN 32

typedef enum {
    DLC_IDEM_CLAIMED, /* the key is the caller's until its transaction ends */
    DLC_IDEM_EXISTS,  /* an answer is stored: dlc_idem_store_get it */
    DLC_IDEM_FULL,    /* the scope holds max_keys live keys already */
    DLC_IDEM_IN_USE,  /* a concurrent call holds the key past lock_timeout_ms */
} dlc_idem_claim_rc;

typedef struct {
    const char *scope; /* who: "user:42", "admin", "ip:…" */
    const char *key;   /* 1–255 printable ASCII */
    unsigned char request_sha256[DLC_IDEM_SHA256_LEN];
    int64_t ttl_ms;
    int max_keys;
    int lock_timeout_ms;
} dlc_idem_claim;

dlc_db_rc dlc_idem_store_begin(dlc_db *db, int64_t deadline_ms);
dlc_db_rc dlc_idem_store_commit(dlc_db *db, int64_t deadline_ms);
dlc_db_rc dlc_idem_store_rollback(dlc_db *db, int64_t deadline_ms);

/* Inside a transaction. On DLC_DB_OK *out says what happened. */
dlc_db_rc dlc_idem_store_claim(dlc_db *db, const dlc_idem_claim *c, int64_t deadline_ms,
                               dlc_idem_claim_rc *out);

/* A stored answer. Buffers are malloc'd (free() each; NULL when empty). */
typedef struct {
    unsigned char request_sha256[DLC_IDEM_SHA256_LEN];
    void *status;
    size_t status_len;
    void *payload;
    size_t payload_len;
} dlc_idem_answer;

/* The live answer stored for (scope, key); *found false when there is none
 * (it expired meanwhile). */
dlc_db_rc dlc_idem_store_get(dlc_db *db, const char *scope, const char *key, int64_t deadline_ms,
                             dlc_idem_answer *out, bool *found);
void dlc_idem_answer_clear(dlc_idem_answer *a);

/* Stores the answer of the claimed (scope, key), inside its transaction.
 * DLC_DB_ERROR with sqlstate 25P02 when a statement of the call failed
 * before (the transaction is aborted: roll back). */
dlc_db_rc dlc_idem_store_put(dlc_db *db, const char *scope, const char *key, const void *status,
                             size_t status_len, const void *payload, size_t payload_len,
                             int64_t deadline_ms, char sqlstate[6]);

/* Drops the claim of (scope, key) inside its transaction (the call's
 * answer is not kept; its writes commit). sqlstate as for put. */
dlc_db_rc dlc_idem_store_forget(dlc_db *db, const char *scope, const char *key,
                                int64_t deadline_ms, char sqlstate[6]);

/* Housekeeping, on a blocking connection: deletes up to limit expired
 * keys; returns how many, or -1 on failure. */
long dlc_idem_store_cleanup(dlc_conn *conn, long limit);

#endif
