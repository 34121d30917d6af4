#include "rpc/core/limit/ratelimit.h"

#include "common/clock.h"
#include "common/log.h"
#include "rpc/core/limit/limiter.h"
#include "rpc/core/svc.h"
#include "storage/ratelimit.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct dlc_ratelimit {
    bool shared; /* ratelimit.store: postgres */
    dlc_limiter *memory;
};

static const char *const POLICY_NAMES[] = {
    [DLC_RL_GREET] = "greet",
    [DLC_RL_LOGIN_IP] = "login_ip",
    [DLC_RL_LOGIN_USER] = "login_user",
    [DLC_RL_RESET_USER] = "reset_user",
};

dlc_ratelimit *dlc_ratelimit_new(const dlc_config *cfg)
{
    dlc_ratelimit *rl = calloc(1, sizeof *rl);
    if (!rl)
        return NULL;
    rl->shared = strcmp(cfg->ratelimit.store, "postgres") == 0;
    if (!rl->shared && !(rl->memory = dlc_limiter_new((size_t)cfg->ratelimit.max_keys))) {
        free(rl);
        return NULL;
    }
    return rl;
}

void dlc_ratelimit_free(dlc_ratelimit *rl)
{
    if (!rl)
        return;
    dlc_limiter_free(rl->memory);
    free(rl);
}

static void client_key(const dlc_call *call, const char *subject, char *buf, size_t len)
{
    const char *ip = dlc_call_md(call, "x-client-ip");
    if (ip && *ip)
        snprintf(buf, len, "ip:%s", ip);
    else if (subject && *subject)
        snprintf(buf, len, "user:%s", subject);
    else
        snprintf(buf, len, "peer:%s", call->peer ? call->peer : "");
}

static dlc_limit_rule policy_rule(const dlc_rate_policy *pol)
{
    return (dlc_limit_rule){pol->requests, pol->window_ms, pol->burst};
}

static dlc_limit_rule rule_of(const dlc_config *c, dlc_rl_policy p)
{
    switch (p) {
    case DLC_RL_LOGIN_IP:
        return policy_rule(&c->ratelimit.login_per_ip);
    case DLC_RL_LOGIN_USER:
        return policy_rule(&c->ratelimit.login_per_user);
    case DLC_RL_RESET_USER:
        return policy_rule(&c->ratelimit.reset_per_user);
    case DLC_RL_GREET:
        break;
    }
    return (dlc_limit_rule){c->ratelimit.requests_per_minute, 60000, c->ratelimit.burst_size};
}

/* The decision of the shared store: the same step, on the database's clock. */
static bool take_shared(dlc_call *call, const char *key, const dlc_limit_rule *rule,
                        dlc_limit_decision *d)
{
    int64_t t, tau;
    dlc_limit_params(rule, &t, &tau);
    dlc_ratelimit_db_result r;
    if (dlc_ratelimit_db_take(dlc_svc_db(call), key, t, tau, call->deadline_ms, &r) != DLC_DB_OK)
        return false;
    int64_t tat = r.allowed ? r.tat_ms - t : r.tat_ms; /* the state it decided on */
    *d = dlc_limit_step(&tat, rule, r.now_ms);
    d->allowed = r.allowed;
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

/* "login_user|ann": the policy's own key space; usernames fold case. */
static void bucket_key(dlc_rl_policy p, const char *key, char *buf, size_t len)
{
    int n = snprintf(buf, len, "%s|%s", POLICY_NAMES[p], key);
    if (p == DLC_RL_LOGIN_USER || p == DLC_RL_RESET_USER)
        for (size_t i = strlen(POLICY_NAMES[p]) + 1; n > 0 && i < len && buf[i]; i++)
            buf[i] = (char)tolower((unsigned char)buf[i]);
}

bool dlc_ratelimit_check(dlc_call *call, dlc_rl_policy p, const char *key)
{
    const dlc_config *c = dlc_svc_config(call);
    dlc_ratelimit *rl = dlc_svc_of(call)->limits;
    if (!c->ratelimit.enabled || !rl)
        return true;
    dlc_limit_rule rule = rule_of(c, p);
    char bucket[256];
    bucket_key(p, key ? key : "", bucket, sizeof bucket);
    dlc_limit_decision d;
    if (!rl->shared) {
        d = dlc_limiter_take(rl->memory, bucket, &rule, dlc_clock_mono_ms());
    } else if (!take_shared(call, bucket, &rule, &d)) {
        dlc_log_warn("rate limit store unavailable; request let through", "request_id",
                     call->request_id, "policy", POLICY_NAMES[p]);
        return true;
    }
    add_headers(call, POLICY_NAMES[p], &rule, &d);
    if (d.allowed)
        return true;
    dlc_call_fail(call, DLC_RESOURCE_EXHAUSTED, "rate_limited", "too many requests; retry in %lld s",
                  (long long)seconds_up(d.retry_after_ms));
    call->status.retry_after_ms = (uint32_t)(d.retry_after_ms > UINT32_MAX ? UINT32_MAX
                                                                           : d.retry_after_ms);
    return false;
}

bool dlc_ratelimit_check_client(dlc_call *call, dlc_rl_policy p, const char *subject)
{
    char client[160];
    client_key(call, subject, client, sizeof client);
    return dlc_ratelimit_check(call, p, client);
}

void dlc_ratelimit_sweep(dlc_ratelimit *rl, dlc_conn *conn)
{
    if (!rl)
        return;
    if (rl->shared)
        dlc_ratelimit_db_sweep(conn);
    else
        dlc_limiter_sweep(rl->memory, dlc_clock_mono_ms());
}
