/*
 * dlc_idem: exactly-once writes — the core's server guard (dlc_server_guard)
 * around every method flagged DLC_METHOD_WRITES.
 *
 * A call without an `idempotency-key` runs as any other. A call with one
 * (1–255 printable ASCII characters, else 400) runs in a database
 * transaction of its own, on a connection only it uses (one of a few per
 * event loop, waited for in FIFO order until the deadline):
 *   1. claim (caller scope, key) in idempotency_keys (storage/idempotency.h).
 *      The scope is who calls: "user:<id>", "admin", or the client address
 *      for anonymous calls. A key already answered: the stored answer is
 *      replayed (metadata idempotent-replayed: true), or, when the request
 *      differs, FAILED_PRECONDITION "idempotency_key_reused" (HTTP 422). A
 *      key held by a call still running: the repeat waits for it, until
 *      shortly before its own deadline, then ABORTED
 *      "idempotency_key_in_use" (409). A caller holding
 *      idempotency.max_keys live keys: RESOURCE_EXHAUSTED
 *      "idempotency_keys_exhausted" (429) — refused, never unbounded;
 *   2. the handler runs; every statement it makes through dlc_svc_db goes
 *      into the transaction;
 *   3. by outcome: a success or a fact about the data (not found, already
 *      exists, failed precondition) is stored with the key and committed
 *      with the call's own writes, for idempotency.ttl; a refusal (invalid
 *      argument, unauthenticated, permission denied, rate limited) commits
 *      the call's bookkeeping (failed attempts) and forgets the key; any
 *      other failure (unavailable, deadline, internal) rolls everything
 *      back. So a core that dies mid-call leaves nothing behind, and nng's
 *      resend to another core runs the call once.
 * The request is compared by SHA-256 of method and input with the secret
 * fields (passwords, secrets, reset codes) left out: they are never stored,
 * not even hashed. Answers carry no secret either: AllowPasswordReset, whose
 * answer is a reset code, is not flagged (a repeat issues a new code that
 * replaces the previous one, which is safe to repeat).
 */
#ifndef DLC_IDEM_H
#define DLC_IDEM_H

#include "rpc/runtime/server.h"
#include "storage/db.h"

/* The guard to give dlc_server_opts.guard. Handlers' calls must run on
 * the loop whose dlc_svc holds the slots (call->worker). */
extern const dlc_server_guard dlc_idem_guard;

/* The connections of one event loop for keyed calls. params and stmts (the
 * core's whole registry, which must include dlc_idem_store_statements) are
 * copied / must outlive it. NULL on OOM. Used by that loop only. */
typedef struct dlc_idem_slots dlc_idem_slots;
dlc_idem_slots *dlc_idem_slots_new(const dlc_db_params *params, const dlc_db_stmt *stmts,
                                   size_t n);
void dlc_idem_slots_free(dlc_idem_slots *s);

/* The transaction call runs in, or NULL (no key, or not a writing method). */
dlc_db *dlc_idem_db(const dlc_call *call);

#endif
