/*
 * dlc_ratelimit: the core's rate-limit policies. They live in the core, so
 * every gateway replica in front of it shares one budget (and, with
 * ratelimit.store: postgres, every core shares it too).
 *
 *   greet            Greet and GreetV2 per client:
 *                    ratelimit.requests_per_minute, ratelimit.burst_size
 *   login_ip         every password check (Login, AdminLogin, the cache
 *                    flush's X-Admin-Password) per client: login_per_ip
 *   login_user       failed logins per (username, client): login_per_user
 *   login_user_total failed logins per username from every client, a
 *                    looser ceiling: login_per_user_total
 *   master           master-password checks from every client: master_global
 *   register_ip      RegisterUser per client: register_per_ip
 *   register         RegisterUser from every client: register_global
 *   reset_ip         CompletePasswordReset per client: reset_per_ip
 *   reset            CompletePasswordReset from every client: reset_global
 *   reset_user       CompletePasswordReset per username: reset_per_user
 *
 * Login per username counts failures only: the buckets are charged before
 * the password is checked (no hashing past a spent budget) and a success
 * refunds them. Keyed by (username, client), an attacker's guesses spend
 * the attacker's budget, not the user's; only the looser per-username
 * ceiling is shared, so an attacker must spread over many addresses to
 * slow the real user down at all.
 *
 * The client: the IP the gateway forwards (x-client-ip) when the call comes
 * from a trusted peer (rpc.trusted_peers: "ipc", addresses, CIDR ranges);
 * an IPv6 client is its /ratelimit.ipv6_prefix (64) prefix. Any other
 * direct caller is keyed by its token's subject if it sent one, else by its
 * connection's peer (dlc_call.peer), and what it says in x-client-ip is
 * ignored.
 *
 * Checks come before any password hashing, after the cheap checks of the
 * request's shape. Over the limit the call fails with RESOURCE_EXHAUSTED,
 * reason rate_limited and retry_after_ms; every checked call carries
 * ratelimit-policy and ratelimit metadata (the IETF httpapi RateLimit
 * fields): "greet";q=60;w=60 and "greet";r=9;t=1. All policy values are
 * hot-reloadable; ratelimit.enabled: false turns every policy off.
 *
 * Stores (restart-only): memory (per core; each policy its own table of at
 * most ratelimit.max_keys keys, 32 bytes each; a full table sends new keys
 * to the policy's overflow bucket: limiting gets coarser, it never stops)
 * or postgres (one atomic upsert per decision on an UNLOGGED table, whose
 * rows housekeeping counts per policy every 10 s: while a policy holds
 * max_keys, keys without a row go to its overflow bucket); when the
 * database fails, the request is let through and a warning logged: the
 * limiter must not turn a store outage into a service outage.
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
    DLC_RL_LOGIN_USER_TOTAL,
    DLC_RL_MASTER,
    DLC_RL_REGISTER_IP,
    DLC_RL_REGISTER,
    DLC_RL_RESET_IP,
    DLC_RL_RESET,
    DLC_RL_RESET_USER,
    DLC_RL_COUNT
} dlc_rl_policy;

typedef struct dlc_ratelimit dlc_ratelimit;

/* The store named by cfg. NULL on OOM. */
dlc_ratelimit *dlc_ratelimit_new(const dlc_config *cfg);
void dlc_ratelimit_free(dlc_ratelimit *rl);

/* One request of call under policy p for key (a username, "" for the
 * policies of every client). true: go on. false: the call has failed
 * (RESOURCE_EXHAUSTED, rate_limited). The store and running configuration
 * of the call's service context (rpc/core/svc.h) are used. */
bool dlc_ratelimit_check(dlc_call *call, dlc_rl_policy p, const char *key);

/* dlc_ratelimit_check keyed by the call's client (see above); subject: the
 * caller's token subject, or NULL. */
bool dlc_ratelimit_check_client(dlc_call *call, dlc_rl_policy p, const char *subject);

/* Logins: login_ip, then login_user and login_user_total for username (a
 * failure's worth each, refunded by dlc_ratelimit_login_ok). */
bool dlc_ratelimit_check_login(dlc_call *call, const char *username);
/* The login of username succeeded: gives back what it was charged per
 * username. */
void dlc_ratelimit_login_ok(dlc_call *call, const char *username);

/* A master-password check: login_ip for the client, then master. */
bool dlc_ratelimit_check_master(dlc_call *call);

/* Work that hashes a password (register, reset completion): per_client for
 * the call's client, global, then (username not NULL) per_user. */
bool dlc_ratelimit_check_password_work(dlc_call *call, dlc_rl_policy per_client,
                                       dlc_rl_policy global, dlc_rl_policy per_user,
                                       const char *username);

/* The client's key ("ip:…", "user:…" or "peer:…") into buf (≥ 160 bytes). */
void dlc_ratelimit_client(const dlc_call *call, const char *subject, char *buf, size_t len);

/* Housekeeping: drops buckets that are full again (memory store), or
 * deletes them from the table through conn (postgres store). */
void dlc_ratelimit_sweep(dlc_ratelimit *rl, dlc_conn *conn);

/* The policies' names ("greet", "login_ip", …), DLC_RL_COUNT of them. */
const char *const *dlc_ratelimit_policy_names(void);
/* Decisions taken since start, by policy: [p][0] limited, [p][1] allowed
 * (a store that could not decide counts neither). Lock-free. */
void dlc_ratelimit_stats(dlc_ratelimit *rl, uint64_t out[DLC_RL_COUNT][2]);

#endif
