/*
 * dlc_ratelimit: the core's rate-limit policies — client keys, the rules
 * of each policy, the in-memory or PostgreSQL store, the rate-limit headers.
 */
#include "rpc/core/limit/ratelimit.h"

#include "common/clock.h"
#include "common/log.h"
#include "common/netaddr.h"
#include "rpc/core/limit/limiter.h"
#include "rpc/core/svc.h"
#include "storage/ratelimit.h"

#include <ctype.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct dlc_ratelimit {
    bool shared;                       /* ratelimit.store: postgres */
    dlc_limiter *memory[DLC_RL_COUNT]; /* one table per policy */
    dlc_addr_list *trusted;            /* rpc.trusted_peers, "ipc" aside */
    bool trust_ipc;
    /* postgres: the policy's table held ratelimit.max_keys keys or more at
     * the last count (housekeeping): new keys go to its overflow bucket */
    atomic_bool full[DLC_RL_COUNT];
    long max_keys;
    atomic_ullong decisions[DLC_RL_COUNT][2]; /* [policy][allowed] */
};

static const char *const POLICY_NAMES[DLC_RL_COUNT] = {
    [DLC_RL_GREET] = "greet",           [DLC_RL_LOGIN_IP] = "login_ip",
    [DLC_RL_LOGIN_USER] = "login_user", [DLC_RL_LOGIN_USER_TOTAL] = "login_user_total",
    [DLC_RL_MASTER] = "master",         [DLC_RL_REGISTER_IP] = "register_ip",
    [DLC_RL_REGISTER] = "register",     [DLC_RL_RESET_IP] = "reset_ip",
    [DLC_RL_RESET] = "reset",           [DLC_RL_RESET_USER] = "reset_user",
};

void dlc_ratelimit_free(dlc_ratelimit *rl)
{
    if (!rl)
        return;
    for (int p = 0; p < DLC_RL_COUNT; p++)
        dlc_limiter_free(rl->memory[p]);
    dlc_addr_list_free(rl->trusted);
    free(rl);
}

static bool listed(const dlc_strlist *l, const char *word)
{
    for (size_t i = 0; i < l->count; i++)
        if (strcmp(l->items[i], word) == 0)
            return true;
    return false;
}

dlc_ratelimit *dlc_ratelimit_new(const dlc_config *cfg)
{
    dlc_ratelimit *rl = calloc(1, sizeof *rl);
    if (!rl)
        return NULL;
    char err[160];
    rl->shared = strcmp(cfg->ratelimit.store, "postgres") == 0;
    rl->trust_ipc = listed(&cfg->rpc.trusted_peers, "ipc");
    rl->max_keys = cfg->ratelimit.max_keys;
    bool ok = (rl->trusted = dlc_addr_list_new(&cfg->rpc.trusted_peers, "rpc.trusted_peers", "ipc",
                                               err, sizeof err)) != NULL;
    for (int p = 0; ok && !rl->shared && p < DLC_RL_COUNT; p++)
        ok = (rl->memory[p] = dlc_limiter_new((size_t)cfg->ratelimit.max_keys)) != NULL;
    if (!ok) {
        dlc_ratelimit_free(rl);
        return NULL;
    }
    return rl;
}

static bool trusted_peer(const dlc_ratelimit *rl, const char *peer)
{
    if (strncmp(peer, "ipc:", 4) == 0)
        return rl->trust_ipc;
    return strncmp(peer, "tcp:", 4) == 0 && dlc_addr_list_has(rl->trusted, peer + 4);
}

void dlc_ratelimit_client(const dlc_call *call, const char *subject, char *buf, size_t len)
{
    const dlc_ratelimit *rl = dlc_svc_of(call)->limits;
    const char *peer = call->peer ? call->peer : "";
    const char *ip = dlc_call_md(call, "x-client-ip");
    char key[64];
    if (rl && ip && trusted_peer(rl, peer) &&
        dlc_addr_client_key(ip, dlc_svc_config(call)->ratelimit.ipv6_prefix, key, sizeof key))
        snprintf(buf, len, "ip:%s", key);
    else if (subject && *subject)
        snprintf(buf, len, "user:%s", subject);
    else
        snprintf(buf, len, "peer:%s", peer);
}

static dlc_limit_rule policy_rule(const dlc_rate_policy *pol)
{
    return (dlc_limit_rule){pol->requests, pol->window_ms, pol->burst};
}

static dlc_limit_rule rule_of(const dlc_config *c, dlc_rl_policy p)
{
    const dlc_rate_policy *pol[DLC_RL_COUNT] = {
        [DLC_RL_LOGIN_IP] = &c->ratelimit.login_per_ip,
        [DLC_RL_LOGIN_USER] = &c->ratelimit.login_per_user,
        [DLC_RL_LOGIN_USER_TOTAL] = &c->ratelimit.login_per_user_total,
        [DLC_RL_MASTER] = &c->ratelimit.master_global,
        [DLC_RL_REGISTER_IP] = &c->ratelimit.register_per_ip,
        [DLC_RL_REGISTER] = &c->ratelimit.register_global,
        [DLC_RL_RESET_IP] = &c->ratelimit.reset_per_ip,
        [DLC_RL_RESET] = &c->ratelimit.reset_global,
        [DLC_RL_RESET_USER] = &c->ratelimit.reset_per_user,
    };
    if (pol[p])
        return policy_rule(pol[p]);
    return (dlc_limit_rule){c->ratelimit.requests_per_minute, 60000, c->ratelimit.burst_size};
}

/* The overflow bucket's key of policy p while its shared table is full,
 * else NULL. */
static const char *overflow_key(const dlc_ratelimit *rl, dlc_rl_policy p, char *buf, size_t len)
{
    if (!atomic_load(&rl->full[p]))
        return NULL;
    snprintf(buf, len, "%s|*", POLICY_NAMES[p]); /* no key of a client or user has a '*' */
    return buf;
}

/* The decision of the shared store: the same step, on the database's clock. */
static bool take_shared(dlc_call *call, dlc_rl_policy p, const char *key,
                        const dlc_limit_rule *rule, dlc_limit_decision *d)
{
    int64_t t, tau;
    dlc_limit_params(rule, &t, &tau);
    dlc_ratelimit_db_result r;
    char over[64];
    const char *o = overflow_key(dlc_svc_of(call)->limits, p, over, sizeof over);
    if (dlc_ratelimit_db_take(dlc_svc_pool(call), key, o, t, tau, call->deadline_ms, &r) !=
        DLC_DB_OK)
        return false;
    int64_t tat = r.allowed ? r.tat_ms - t : r.tat_ms; /* the state it decided on */
    *d = dlc_limit_step(&tat, rule, r.now_ms);
    d->allowed = r.allowed;
    d->overflow = r.overflow;
    return true;
}

static int64_t seconds_up(int64_t ms)
{
    return (ms + 999) / 1000;
}

static void add_headers(dlc_call *call, const char *name, const dlc_limit_rule *rule,
                        const dlc_limit_decision *d)
{
    char policy[96], state[96];
    snprintf(policy, sizeof policy, "\"%s\";q=%lld;w=%lld", name, (long long)rule->limit,
             (long long)seconds_up(rule->window_ms));
    snprintf(state, sizeof state, "\"%s\";r=%lld;t=%lld", name, (long long)d->remaining,
             (long long)seconds_up(d->allowed ? d->reset_ms : d->retry_after_ms));
    dlc_call_add_md(call, "ratelimit-policy", policy);
    dlc_call_add_md(call, "ratelimit", state);
}

/* "login_user|ann|ip:…": the policy's own key space; usernames fold case. */
static void bucket_key(dlc_rl_policy p, const char *key, char *buf, size_t len)
{
    int n = snprintf(buf, len, "%s|%s", POLICY_NAMES[p], key);
    if (p == DLC_RL_LOGIN_USER || p == DLC_RL_LOGIN_USER_TOTAL || p == DLC_RL_RESET_USER)
        for (size_t i = strlen(POLICY_NAMES[p]) + 1; n > 0 && i < len && buf[i]; i++)
            buf[i] = (char)tolower((unsigned char)buf[i]);
}

static dlc_ratelimit *limits_of(const dlc_call *call)
{
    dlc_ratelimit *rl = dlc_svc_of(call)->limits;
    return rl && dlc_svc_config(call)->ratelimit.enabled ? rl : NULL;
}

bool dlc_ratelimit_check(dlc_call *call, dlc_rl_policy p, const char *key)
{
    dlc_ratelimit *rl = limits_of(call);
    if (!rl)
        return true;
    dlc_limit_rule rule = rule_of(dlc_svc_config(call), p);
    char bucket[320];
    bucket_key(p, key ? key : "", bucket, sizeof bucket);
    dlc_limit_decision d;
    if (!rl->shared) {
        d = dlc_limiter_take(rl->memory[p], bucket, &rule, dlc_clock_mono_ms());
    } else if (!take_shared(call, p, bucket, &rule, &d)) {
        dlc_log_warn("rate limit store unavailable; request let through", "request_id",
                     call->request_id, "policy", POLICY_NAMES[p]);
        return true;
    }
    add_headers(call, POLICY_NAMES[p], &rule, &d);
    atomic_fetch_add_explicit(&rl->decisions[p][d.allowed], 1, memory_order_relaxed);
    if (d.allowed)
        return true;
    dlc_call_fail(call, DLC_RESOURCE_EXHAUSTED, "rate_limited",
                  "too many requests; retry in %lld s", (long long)seconds_up(d.retry_after_ms));
    call->status.retry_after_ms =
        (uint32_t)(d.retry_after_ms > UINT32_MAX ? UINT32_MAX : d.retry_after_ms);
    return false;
}

/* Gives back one request of policy p for key. */
static void refund(dlc_call *call, dlc_rl_policy p, const char *key)
{
    dlc_ratelimit *rl = limits_of(call);
    if (!rl)
        return;
    dlc_limit_rule rule = rule_of(dlc_svc_config(call), p);
    char bucket[320];
    bucket_key(p, key, bucket, sizeof bucket);
    if (!rl->shared) {
        dlc_limiter_refund(rl->memory[p], bucket, &rule, dlc_clock_mono_ms());
        return;
    }
    int64_t t, tau;
    dlc_limit_params(&rule, &t, &tau);
    char over[64];
    const char *o = overflow_key(rl, p, over, sizeof over);
    if (dlc_ratelimit_db_refund(dlc_svc_pool(call), bucket, o, t, call->deadline_ms) != DLC_DB_OK)
        dlc_log_warn("rate limit refund failed", "request_id", call->request_id, "policy",
                     POLICY_NAMES[p]);
}

/* Every check of a request, in order: the first that fails gives back what
 * the ones before it charged (the request did no work). */
static bool check_all(dlc_call *call, size_t n, const dlc_rl_policy *p, const char *const *keys)
{
    for (size_t i = 0; i < n; i++) {
        if (!dlc_ratelimit_check(call, p[i], keys[i])) {
            while (i-- > 0)
                refund(call, p[i], keys[i]);
            return false;
        }
    }
    return true;
}

bool dlc_ratelimit_check_client(dlc_call *call, dlc_rl_policy p, const char *subject)
{
    char client[160];
    dlc_ratelimit_client(call, subject, client, sizeof client);
    return dlc_ratelimit_check(call, p, client);
}

/* The client's key (160 bytes) and the (username, client) pair's (320). */
static void login_keys(const dlc_call *call, const char *username, char client[160], char pair[320])
{
    dlc_ratelimit_client(call, NULL, client, 160);
    snprintf(pair, 320, "%.150s|%.159s", username, client);
}

bool dlc_ratelimit_check_login(dlc_call *call, const char *username)
{
    char client[160], pair[320];
    login_keys(call, username, client, pair);
    static const dlc_rl_policy p[] = {DLC_RL_LOGIN_IP, DLC_RL_LOGIN_USER, DLC_RL_LOGIN_USER_TOTAL};
    const char *keys[] = {client, pair, username};
    return check_all(call, 3, p, keys);
}

void dlc_ratelimit_login_ok(dlc_call *call, const char *username)
{
    char client[160], pair[320];
    login_keys(call, username, client, pair);
    refund(call, DLC_RL_LOGIN_USER, pair);
    refund(call, DLC_RL_LOGIN_USER_TOTAL, username);
}

bool dlc_ratelimit_check_master(dlc_call *call)
{
    char client[160];
    dlc_ratelimit_client(call, NULL, client, sizeof client);
    static const dlc_rl_policy p[] = {DLC_RL_LOGIN_IP, DLC_RL_MASTER};
    const char *keys[] = {client, ""};
    return check_all(call, 2, p, keys);
}

bool dlc_ratelimit_check_password_work(dlc_call *call, dlc_rl_policy per_client,
                                       dlc_rl_policy global, dlc_rl_policy per_user,
                                       const char *username)
{
    char client[160];
    dlc_ratelimit_client(call, NULL, client, sizeof client);
    const dlc_rl_policy p[] = {per_client, global, per_user};
    const char *keys[] = {client, "", username};
    return check_all(call, username ? 3 : 2, p, keys);
}

/* One policy's count of shared buckets (dlc_ratelimit_db_count) into the
 * array arg. */
static void note_count(const char *policy, long n, void *arg)
{
    long *counts = arg;
    for (int p = 0; p < DLC_RL_COUNT; p++) {
        if (strcmp(POLICY_NAMES[p], policy) == 0)
            counts[p] = n;
    }
}

/* The shared tables' counts decide which policies overflow; each flag
 * changes at once from its old value to its new one (a failed count keeps
 * them all). */
static void note_full(dlc_ratelimit *rl, dlc_conn *conn)
{
    long counts[DLC_RL_COUNT] = {0}; /* a policy the count does not name is empty */
    if (dlc_ratelimit_db_count(conn, note_count, counts) < 0)
        return;
    for (int p = 0; p < DLC_RL_COUNT; p++) {
        bool full = counts[p] >= rl->max_keys;
        if (full && !atomic_load(&rl->full[p]))
            dlc_log_warn("rate-limit table full: new keys share its overflow bucket", "policy",
                         POLICY_NAMES[p]);
        atomic_store(&rl->full[p], full);
    }
}

void dlc_ratelimit_sweep(dlc_ratelimit *rl, dlc_conn *conn)
{
    if (!rl)
        return;
    if (rl->shared) {
        dlc_ratelimit_db_sweep(conn);
        note_full(rl, conn);
        return;
    }
    for (int p = 0; p < DLC_RL_COUNT; p++)
        dlc_limiter_sweep(rl->memory[p], dlc_clock_mono_ms());
}

const char *const *dlc_ratelimit_policy_names(void)
{
    return POLICY_NAMES;
}

void dlc_ratelimit_stats(dlc_ratelimit *rl, uint64_t out[DLC_RL_COUNT][2])
{
    for (int p = 0; p < DLC_RL_COUNT; p++) {
        for (int a = 0; a < 2; a++)
            out[p][a] = rl ? atomic_load_explicit(&rl->decisions[p][a], memory_order_relaxed) : 0;
    }
}
