/*
 * dlc_ratelimit: the core's rate-limit policies. They live in the core, so
 * every gateway replica in front of it shares one budget (and, with
 * ratelimit.store: postgres, every core shares it too).
 *
 *   greet       GreetService/Greet per client: ratelimit.requests_per_minute,
 *               ratelimit.burst_size
 *   login_ip    every password check (Login, AdminLogin, the cache flush's
 *               X-Admin-Password) per client: ratelimit.login_per_ip.*
 *   login_user  Login per username (case-insensitive): ratelimit.login_per_user.*
 *   reset_user  CompletePasswordReset per username: ratelimit.reset_per_user.*
 *
 * The client is the IP the gateway forwards (x-client-ip); a direct caller
 * without one is keyed by its token's subject, else by its connection's
 * peer (dlc_call.peer). The core therefore trusts x-client-ip from whoever
 * reaches its RPC port, which must stay internal.
 *
 * Checks come before any password hashing. Over the limit the call fails
 * with RESOURCE_EXHAUSTED, reason rate_limited and retry_after_ms; every
 * checked call carries ratelimit-policy and ratelimit metadata (the IETF
 * httpapi RateLimit fields): "greet";q=60;w=60 and "greet";r=9;t=1.
 * All policy values are hot-reloadable; ratelimit.enabled: false turns every
 * policy off. Stores (restart-only): memory (per core, at most
 * ratelimit.max_keys buckets, full ones swept) or postgres (one atomic
 * upsert per decision on an UNLOGGED table); when the database fails, the
 * request is let through and a warning logged: the limiter must not turn a
 * store outage into a service outage.
 */
#ifndef DLC_RATELIMIT_H
#define DLC_RATELIMIT_H

#include "common/config.h"
#include "rpc/runtime/call.h"
#include "storage/db.h"

#include <stdbool.h>
#include <stddef.h>

typedef enum {
    DLC_RL_GREET,
    DLC_RL_LOGIN_IP,
    DLC_RL_LOGIN_USER,
    DLC_RL_RESET_USER,
} dlc_rl_policy;

typedef struct dlc_ratelimit dlc_ratelimit;

/* The store named by cfg. NULL on OOM. */
dlc_ratelimit *dlc_ratelimit_new(const dlc_config *cfg);
void dlc_ratelimit_free(dlc_ratelimit *rl);

/* One request of call under policy p for key (a client identity, or a
 * username). true: go on. false: the call has failed (RESOURCE_EXHAUSTED,
 * rate_limited). The store and running configuration of the call's service
 * context (rpc/core/svc.h) are used. */
bool dlc_ratelimit_check(dlc_call *call, dlc_rl_policy p, const char *key);

/* dlc_ratelimit_check keyed by the call's client: "ip:ADDR" from
 * x-client-ip, else "user:SUBJECT" when subject (a token's) is given, else
 * "peer:…" (dlc_call.peer). */
bool dlc_ratelimit_check_client(dlc_call *call, dlc_rl_policy p, const char *subject);

/* Housekeeping: drops buckets that are full again (memory store), or
 * deletes them from the table through conn (postgres store). */
void dlc_ratelimit_sweep(dlc_ratelimit *rl, dlc_conn *conn);

#endif
