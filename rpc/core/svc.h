/*
 * dlc_svc: the service context, everything a handler may use, handed down
 * to it: the serving loop's database pool, the live configuration, the
 * response cache, the rate limiter, the auth state (password hasher, JWT
 * keyring, principal cache), the method table and the shutdown flag. Who
 * calls is call->principal (set by the authorize hook).
 *
 * The core (rpc/core/core.h, the daemon's composition root) builds one per
 * event loop and the server hands it to handlers as call->worker; handlers
 * reach it through dlc_svc_of and never include core.h. Everything a
 * dlc_svc points at is the core's and outlives the server, except db: the
 * loop's own pool, which the core opens before the loop starts and closes
 * after it stops. Handlers of one loop never run at once, so db needs no
 * lock; the shared state is safe to read from every loop.
 */
#ifndef DLC_SVC_H
#define DLC_SVC_H

#include "common/config.h"
#include "common/reload.h"
#include "rpc/core/cache/cache.h"
#include "rpc/runtime/call.h"
#include "rpc/runtime/dispatch.h"
#include "storage/db.h"

#include <protobuf-c/protobuf-c.h>
#include <stdatomic.h>
#include <stdint.h>

/* Defined by rpc/core/auth/auth.h and rpc/core/limit/ratelimit.h. Those
 * modules use this context themselves, so this header only names them:
 * including them would close an include cycle. */
typedef struct dlc_auth dlc_auth;
typedef struct dlc_ratelimit dlc_ratelimit;
typedef struct dlc_idem_slots dlc_idem_slots;

typedef struct dlc_svc {
    dlc_db *db;       /* the serving loop's pool */
    dlc_idem_slots *idem; /* its connections for keyed writes (rpc/core/idempotency.h) */
    dlc_reload *live; /* the running configuration */
    dlc_auth *auth;
    dlc_cache *cache; /* NULL when cache.enabled is false */
    dlc_ratelimit *limits;
    const dlc_dispatch *dispatch;     /* every method served */
    const atomic_bool *shutting_down; /* set once SIGTERM/SIGINT arrived */
    int64_t start_wall_ms;            /* when the core started */
} dlc_svc;

/* The context of the loop serving call. */
dlc_svc *dlc_svc_of(const dlc_call *call);

/* Where a handler's statements go: the call's own transaction when it is a
 * keyed write (rpc/core/idempotency.h), else the loop's pool. */
dlc_db *dlc_svc_db(const dlc_call *call);
/* The loop's pool, always: for what must not roll back with the call
 * (rate-limit charges). */
dlc_db *dlc_svc_pool(const dlc_call *call);
/* The running configuration (a hot-reload snapshot; never waits). */
const dlc_config *dlc_svc_config(const dlc_call *call);

/* A wall-clock time (epoch ms) as RFC 3339 text in the call's arena, as
 * messages carry it; "" for 0 (never). NULL when out of memory. */
char *dlc_svc_time(dlc_call *call, int64_t wall_ms);

/* Maps a failed storage call onto the call's status (TIMEOUT →
 * DEADLINE_EXCEEDED, UNAVAILABLE → UNAVAILABLE, ERROR → INTERNAL, logged
 * with the request id) and returns the code. */
dlc_code dlc_svc_db_fail(dlc_call *call, dlc_db_rc rc, const char *what, const char *errmsg);

/* The response cache. A hit is unpacked into the call's arena and marks the
 * response x-cache: HIT; a miss marks it MISS and returns NULL. Without a
 * cache (cache.enabled false): NULL, no mark. */
ProtobufCMessage *dlc_svc_cache_get(dlc_call *call, const char *key,
                                    const ProtobufCMessageDescriptor *desc);
/* Keeps msg under key for ttl_s seconds (nothing without a cache). */
void dlc_svc_cache_put(dlc_call *call, const char *key, const ProtobufCMessage *msg, int ttl_s);
/* Empties this core's cache and tells every other core (NOTIFY). Returns
 * the live entries dropped here; -1 when the database could not be told
 * (the call has failed; this core's cache is empty all the same), -2
 * without a cache. */
long dlc_svc_cache_flush(dlc_call *call);

#endif
