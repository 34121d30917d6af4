/*
 * dlc_idem: the guard of keyed writes (see idempotency.h): slots, the
 * request fingerprint, claim and replay before the handler, store / forget
 * / undo after it.
 */
#include "rpc/core/idempotency.h"

#include "common/loop.h"
#include "rpc/core/auth/auth.h"
#include "rpc/core/limit/ratelimit.h"
#include "rpc/core/svc.h"
#include "storage/idempotency.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Keyed calls one loop runs at once (each holds a connection until it
 * commits, password hashes included); more wait for a slot. */
#define SLOTS 2
#define KEY_MAX 255
/* A repeat waiting for the call that holds its key stops this long before
 * its own deadline, leaving time to answer. */
#define LOCK_MARGIN_MS 250

struct dlc_idem_slots {
    dlc_db_settings settings;
    const dlc_db_stmt *stmts;
    size_t n_stmts;
    dlc_db *db[SLOTS];
    bool busy[SLOTS];
    dlc_loop_waitq free_q;
};

/* One keyed call. */
typedef struct {
    dlc_idem_slots *slots;
    int slot;
    char scope[96];
    const char *key;
    unsigned char sha[DLC_IDEM_SHA256_LEN];
} keyed;

/* ---- slots ------------------------------------------------------------ */

dlc_idem_slots *dlc_idem_slots_new(const dlc_db_params *params, const dlc_db_stmt *stmts,
                                   size_t n)
{
    dlc_idem_slots *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->stmts = stmts;
    s->n_stmts = n;
    bool ok = dlc_db_settings_copy(&s->settings, params);
    for (int i = 0; ok && i < SLOTS; i++)
        ok = (s->db[i] = dlc_db_open(&s->settings.p, stmts, n)) != NULL;
    if (!ok) {
        dlc_idem_slots_free(s);
        return NULL;
    }
    return s;
}

void dlc_idem_slots_free(dlc_idem_slots *s)
{
    if (!s)
        return;
    for (int i = 0; i < SLOTS; i++)
        dlc_db_close(s->db[i]);
    dlc_db_settings_release(&s->settings);
    free(s);
}

/* A free slot with a database handle, or -1 at the deadline. */
static int take_slot(dlc_idem_slots *s, int64_t deadline_ms)
{
    for (;;) {
        for (int i = 0; i < SLOTS; i++) {
            if (!s->busy[i] && !s->db[i])
                s->db[i] = dlc_db_open(&s->settings.p, s->stmts, s->n_stmts);
            if (!s->busy[i] && s->db[i]) {
                s->busy[i] = true;
                return i;
            }
        }
        if (!dlc_loop_waitq_wait(&s->free_q, deadline_ms))
            return -1;
    }
}

/* clean: the transaction ended (commit or rollback answered). Otherwise
 * its connection is dropped, which ends it on the server. */
static void release_slot(dlc_idem_slots *s, int i, bool clean)
{
    if (!clean) {
        dlc_db_close(s->db[i]);
        s->db[i] = NULL; /* reopened by the next take */
    }
    s->busy[i] = false;
    dlc_loop_waitq_wake_one(&s->free_q);
}

/* ---- the request ------------------------------------------------------- */

static bool key_ok(const char *key)
{
    size_t n = strlen(key);
    for (size_t i = 0; i < n; i++)
        if (key[i] < 0x20 || key[i] > 0x7e)
            return false;
    return n >= 1 && n <= KEY_MAX;
}

/* Fields never stored, not even hashed. */
static bool secret_field(const char *name)
{
    static const char *const secret[] = {"password",        "current_password", "new_password",
                                         "master_password", "secret",           "new_secret",
                                         "reset_code"};
    for (size_t i = 0; i < sizeof secret / sizeof secret[0]; i++)
        if (strcmp(name, secret[i]) == 0)
            return true;
    return false;
}

/* SHA-256 of method and in, the secret string fields emptied (in a
 * shallow copy). false on OOM. */
static bool fingerprint(dlc_call *call, const ProtobufCMessage *in, unsigned char *sha)
{
    const ProtobufCMessageDescriptor *d = in->descriptor;
    unsigned char *copy = dlc_arena_alloc(call->arena, d->sizeof_message);
    if (!copy)
        return false;
    memcpy(copy, in, d->sizeof_message);
    for (unsigned i = 0; i < d->n_fields; i++) {
        const ProtobufCFieldDescriptor *f = &d->fields[i];
        if (f->type == PROTOBUF_C_TYPE_STRING && f->label != PROTOBUF_C_LABEL_REPEATED &&
            secret_field(f->name))
            *(const char **)(copy + f->offset) = protobuf_c_empty_string;
    }
    size_t len = 0;
    void *bytes = dlc_envelope_pack_arena(call->arena, (ProtobufCMessage *)copy, &len);
    if (!bytes && len)
        return false;
    crypto_hash_sha256_state st;
    crypto_hash_sha256_init(&st);
    crypto_hash_sha256_update(&st, (const unsigned char *)call->method, strlen(call->method) + 1);
    crypto_hash_sha256_update(&st, bytes, len);
    crypto_hash_sha256_final(&st, sha);
    return true;
}

/* Who the key belongs to: the token's subject, else the client. */
static void scope_of(const dlc_call *call, char *out, size_t len)
{
    const dlc_principal *p = call->principal;
    if (p && p->user_id > 0)
        snprintf(out, len, "user:%lld", (long long)p->user_id);
    else if (p)
        snprintf(out, len, "admin");
    else
        dlc_ratelimit_client(call, NULL, out, len);
}

/* ---- before the handler ---------------------------------------------- */

static dlc_guard_verdict refuse(dlc_call *call, dlc_code code, const char *reason,
                                const char *message)
{
    dlc_call_fail(call, code, reason, "%s", message);
    return DLC_GUARD_ANSWERED;
}

/* Answers with what the first call answered. */
static dlc_guard_verdict replay(dlc_call *call, const dlc_idem_answer *a, void **payload,
                                size_t *len)
{
    Dlc__Rpc__V1__Status *pb =
        dlc__rpc__v1__status__unpack(&call->arena->pb, a->status_len, a->status);
    void *copy = a->payload_len ? dlc_arena_alloc(call->arena, a->payload_len) : NULL;
    if (!pb || (a->payload_len && !copy))
        return refuse(call, DLC_INTERNAL, NULL, "cannot read the stored answer");
    dlc_status_from_proto(&call->status, pb);
    if (copy)
        memcpy(copy, a->payload, a->payload_len);
    if (call->status.code == DLC_OK) {
        *payload = copy;
        *len = a->payload_len;
    }
    dlc_call_add_md(call, "idempotent-replayed", "true");
    return DLC_GUARD_ANSWERED;
}

/* The key is answered already (inside the transaction, which the caller
 * ends). */
static dlc_guard_verdict answered(dlc_call *call, dlc_db *db, const keyed *k, void **payload,
                                  size_t *len)
{
    dlc_idem_answer a;
    bool found = false;
    dlc_db_rc rc = dlc_idem_store_get(db, k->scope, k->key, call->deadline_ms, &a, &found);
    dlc_guard_verdict v;
    if (rc != DLC_DB_OK) {
        dlc_svc_db_fail(call, rc, "idempotency key", NULL);
        v = DLC_GUARD_ANSWERED;
    } else if (!found) /* expired between claim and read */
        v = refuse(call, DLC_ABORTED, "idempotency_key_in_use",
                   "the idempotency key changed hands; retry");
    else if (sodium_memcmp(a.request_sha256, k->sha, sizeof k->sha) != 0)
        v = refuse(call, DLC_FAILED_PRECONDITION, "idempotency_key_reused",
                   "this idempotency key was used for a different request");
    else
        v = replay(call, &a, payload, len);
    if (found)
        dlc_idem_answer_clear(&a);
    return v;
}

/* In the transaction: claims the key. RUN, or the call is answered. */
static dlc_guard_verdict claim(dlc_call *call, dlc_db *db, const keyed *k, void **payload,
                               size_t *len)
{
    const dlc_config *cfg = dlc_svc_config(call);
    int64_t wait = dlc_call_remaining_ms(call) - LOCK_MARGIN_MS;
    dlc_idem_claim c = {.scope = k->scope,
                        .key = k->key,
                        .ttl_ms = cfg->idempotency.ttl_ms,
                        .max_keys = cfg->idempotency.max_keys,
                        .lock_timeout_ms = wait > 1 ? (int)wait : 1};
    memcpy(c.request_sha256, k->sha, sizeof k->sha);
    dlc_idem_claim_rc got = DLC_IDEM_IN_USE;
    dlc_db_rc rc = dlc_idem_store_claim(db, &c, call->deadline_ms, &got);
    if (rc != DLC_DB_OK) {
        dlc_svc_db_fail(call, rc, "idempotency key", NULL);
        return DLC_GUARD_ANSWERED;
    }
    switch (got) {
    case DLC_IDEM_CLAIMED:
        return DLC_GUARD_RUN;
    case DLC_IDEM_EXISTS:
        return answered(call, db, k, payload, len);
    case DLC_IDEM_FULL:
        call->status.retry_after_ms = 60000;
        return refuse(call, DLC_RESOURCE_EXHAUSTED, "idempotency_keys_exhausted",
                      "too many live idempotency keys for this caller; retry later");
    default:
        return refuse(call, DLC_ABORTED, "idempotency_key_in_use",
                      "a request with this idempotency key is still running");
    }
}

/* Ends the transaction of a call that will not run (answered or
 * refused) and frees its slot. */
static void end_unrun(dlc_call *call, keyed *k)
{
    dlc_db *db = k->slots->db[k->slot];
    bool clean = dlc_idem_store_rollback(db, call->deadline_ms) == DLC_DB_OK;
    release_slot(k->slots, k->slot, clean);
}

static dlc_guard_verdict before(dlc_call *call, const ProtobufCMessage *in, void **payload,
                                size_t *len)
{
    const char *key = dlc_call_md(call, "idempotency-key");
    if (!key)
        return DLC_GUARD_RUN;
    if (!key_ok(key)) {
        dlc_status_violation(&call->status, "idempotency-key",
                             "must be 1 to %d printable ASCII characters", KEY_MAX);
        return refuse(call, DLC_INVALID_ARGUMENT, NULL, "invalid idempotency key");
    }
    keyed *k = dlc_arena_zalloc(call->arena, sizeof *k);
    if (!k || !fingerprint(call, in, k->sha))
        return refuse(call, DLC_INTERNAL, NULL, "out of memory");
    k->key = key;
    k->slots = dlc_svc_of(call)->idem;
    scope_of(call, k->scope, sizeof k->scope);
    k->slot = take_slot(k->slots, call->deadline_ms);
    if (k->slot < 0) {
        call->status.retry_after_ms = 1000;
        return refuse(call, DLC_UNAVAILABLE, NULL, "busy: no connection for the call; retry");
    }
    dlc_db *db = k->slots->db[k->slot];
    dlc_db_rc rc = dlc_idem_store_begin(db, call->deadline_ms);
    dlc_guard_verdict v = rc == DLC_DB_OK ? claim(call, db, k, payload, len)
                                          : (dlc_svc_db_fail(call, rc, "begin", NULL),
                                             DLC_GUARD_ANSWERED);
    if (v == DLC_GUARD_RUN)
        call->guard = k;
    else
        end_unrun(call, k);
    return v;
}

/* ---- after the handler ----------------------------------------------- */

typedef enum { STORE, FORGET, UNDO } ending;

static ending ending_for(dlc_code code)
{
    switch (code) {
    case DLC_OK:
    case DLC_NOT_FOUND:
    case DLC_ALREADY_EXISTS:
    case DLC_FAILED_PRECONDITION:
    case DLC_OUT_OF_RANGE:
        return STORE;
    case DLC_INVALID_ARGUMENT:
    case DLC_UNAUTHENTICATED:
    case DLC_PERMISSION_DENIED:
    case DLC_RESOURCE_EXHAUSTED:
        return FORGET;
    default:
        return UNDO;
    }
}

/* The call's answer as stored: its Status and payload. */
static dlc_db_rc store(dlc_call *call, dlc_db *db, const keyed *k, const void *payload,
                       size_t len, char sqlstate[6])
{
    Dlc__Rpc__V1__Status pb;
    Dlc__Rpc__V1__FieldViolation vbuf[DLC_STATUS_MAX_VIOLATIONS];
    Dlc__Rpc__V1__FieldViolation *vptrs[DLC_STATUS_MAX_VIOLATIONS];
    dlc_status_to_proto(&call->status, &pb, vbuf, vptrs);
    size_t st_len = 0;
    void *st = dlc_envelope_pack_arena(call->arena, &pb.base, &st_len);
    if (!st && st_len)
        return DLC_DB_ERROR;
    return dlc_idem_store_put(db, k->scope, k->key, st, st_len, payload, len, call->deadline_ms,
                              sqlstate);
}

/* Records the outcome (STORE, FORGET) and commits, or rolls back (UNDO,
 * or when recording failed). true when the call's writes committed. */
static bool finish(dlc_call *call, const keyed *k, ending e, const void *payload, size_t len)
{
    dlc_db *db = k->slots->db[k->slot];
    char state[6] = "";
    dlc_db_rc rc = e == STORE    ? store(call, db, k, payload, len, state)
                   : e == FORGET ? dlc_idem_store_forget(db, k->scope, k->key,
                                                         call->deadline_ms, state)
                                 : DLC_DB_ERROR;
    bool committed = false, ended;
    if (e != UNDO && rc == DLC_DB_OK)
        ended = committed = dlc_idem_store_commit(db, call->deadline_ms) == DLC_DB_OK;
    else /* a statement of the call failed (state 25P02), or on purpose */
        ended = dlc_idem_store_rollback(db, call->deadline_ms) == DLC_DB_OK;
    release_slot(k->slots, k->slot, ended);
    return committed;
}

static void after(dlc_call *call, void **payload, size_t *len)
{
    keyed *k = call->guard;
    if (!k)
        return;
    call->guard = NULL; /* from here on, statements go to the pool again */
    bool committed = finish(call, k, ending_for(call->status.code), *payload, *len);
    if (!committed && call->status.code == DLC_OK) {
        /* an answer of success must never outlive its writes */
        *payload = NULL;
        *len = 0;
        dlc_status_clear(&call->status);
        call->status.retry_after_ms = 1000;
        dlc_call_fail(call, DLC_UNAVAILABLE, NULL,
                      "the outcome could not be recorded; retry with the same idempotency key");
    }
}

const dlc_server_guard dlc_idem_guard = {.before = before, .after = after};

dlc_db *dlc_idem_db(const dlc_call *call)
{
    const keyed *k = call->guard;
    return k ? k->slots->db[k->slot] : NULL;
}
