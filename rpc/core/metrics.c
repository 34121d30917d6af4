/*
 * dlc_core_metrics: registers the core's families and copies the figures
 * its modules keep into them at each scrape (see metrics.h).
 */
#include "rpc/core/metrics.h"

#include "rpc/core/core.h"

#include <stdlib.h>

/* gRPC codes 0 … 16, then anything else. */
#define N_CODES 18

struct dlc_core_metrics {
    dlc_metrics *reg;
    struct dlc_core *core;
    const char **methods; /* every method of the dispatch table, then "unknown" */
    size_t n_methods;
    const char *codes[N_CODES];
    dlc_metric *calls, *durations;
    dlc_metric *db_busy, *db_waiting;
    dlc_metric *limits;
    dlc_metric *cache_hits, *cache_misses, *cache_evictions, *cache_entries;
    dlc_metric *hash_depth, *hash_running, *hash_wait;
    dlc_metric *keyring;
};

static const char *const OUTCOMES[] = {"limited", "allowed"};

static void collect_limits(dlc_core_metrics *cm)
{
    uint64_t d[DLC_RL_COUNT][2];
    dlc_ratelimit_stats(cm->core->ratelimit, d);
    for (size_t p = 0; p < DLC_RL_COUNT; p++) {
        for (size_t a = 0; a < 2; a++)
            dlc_metric_set(cm->limits, dlc_metric_series(cm->limits, (size_t[]){p, a}),
                           (int64_t)d[p][a]);
    }
}

static void collect_cache(dlc_core_metrics *cm)
{
    dlc_cache_counts c;
    dlc_cache_stats(cm->core->cache, &c);
    dlc_metric_set(cm->cache_hits, 0, (int64_t)c.hits);
    dlc_metric_set(cm->cache_misses, 0, (int64_t)c.misses);
    dlc_metric_set(cm->cache_evictions, 0, (int64_t)c.evictions);
    dlc_metric_set(cm->cache_entries, 0, (int64_t)c.entries);
}

/* The collector: everything but the calls. */
static void collect(void *arg)
{
    dlc_core_metrics *cm = arg;
    dlc_db_counts db;
    dlc_db_stats(&db);
    dlc_metric_set(cm->db_busy, 0, db.busy_connections);
    dlc_metric_set(cm->db_waiting, 0, db.waiting);
    collect_limits(cm);
    collect_cache(cm);
    dlc_hasher_counts h;
    dlc_hasher_stats(cm->core->auth.hasher, &h);
    dlc_metric_set(cm->hash_depth, 0, h.queued);
    dlc_metric_set(cm->hash_running, 0, h.running);
    dlc_metric_set_summary(cm->hash_wait, 0, h.waited, h.wait_us);
    dlc_metric_set(cm->keyring, 0, (int64_t)dlc_keyring_list(cm->core->auth.keyring, NULL, 0));
}

static dlc_metric *add(dlc_core_metrics *cm, dlc_metric_type t, const char *name, const char *help)
{
    return dlc_metrics_add(cm->reg, t, name, help, NULL, 0, NULL, 0);
}

static bool add_rpc(dlc_core_metrics *cm)
{
    const dlc_metrics_label by_call[] = {{"method", cm->methods, cm->n_methods},
                                         {"code", cm->codes, N_CODES}};
    cm->calls =
        dlc_metrics_add(cm->reg, DLC_METRIC_COUNTER, "dlc_rpc_calls_total",
                        "RPC calls answered, by method and status code.", by_call, 2, NULL, 0);
    cm->durations = dlc_metrics_add(cm->reg, DLC_METRIC_HISTOGRAM, "dlc_rpc_call_duration_seconds",
                                    "Time from a call's receipt to its answer, by method.", by_call,
                                    1, dlc_metrics_latency_bounds, dlc_metrics_latency_bound_count);
    const dlc_metrics_label by_policy[] = {{"policy", dlc_ratelimit_policy_names(), DLC_RL_COUNT},
                                           {"outcome", OUTCOMES, 2}};
    cm->limits =
        dlc_metrics_add(cm->reg, DLC_METRIC_COUNTER, "dlc_ratelimit_decisions_total",
                        "Rate limit decisions, by policy and outcome.", by_policy, 2, NULL, 0);
    return cm->calls && cm->durations && cm->limits;
}

static bool add_state(dlc_core_metrics *cm)
{
    cm->db_busy = add(cm, DLC_METRIC_GAUGE, "dlc_db_pool_connections_in_use",
                      "Database connections with statements out, all pools.");
    cm->db_waiting = add(cm, DLC_METRIC_GAUGE, "dlc_db_pool_waiting_fibers",
                         "Requests waiting for room on a database connection.");
    cm->cache_hits = add(cm, DLC_METRIC_COUNTER, "dlc_cache_hits_total",
                         "Response cache lookups that found a live entry.");
    cm->cache_misses = add(cm, DLC_METRIC_COUNTER, "dlc_cache_misses_total",
                           "Response cache lookups that found none.");
    cm->cache_evictions = add(cm, DLC_METRIC_COUNTER, "dlc_cache_evictions_total",
                              "Response cache entries dropped to make room.");
    cm->cache_entries =
        add(cm, DLC_METRIC_GAUGE, "dlc_cache_entries", "Response cache entries held.");
    cm->hash_depth = add(cm, DLC_METRIC_GAUGE, "dlc_hash_queue_depth",
                         "Password hashing jobs waiting in the queues.");
    cm->hash_running = add(cm, DLC_METRIC_GAUGE, "dlc_hash_jobs_running",
                           "Password hashing jobs running on the hashing threads.");
    cm->hash_wait = add(cm, DLC_METRIC_SUMMARY, "dlc_hash_queue_wait_seconds",
                        "Time password hashing jobs waited in the queue.");
    cm->keyring = add(cm, DLC_METRIC_GAUGE, "dlc_jwt_keyring_keys",
                      "JWT signing keys in this core's keyring.");
    return cm->db_busy && cm->db_waiting && cm->cache_hits && cm->cache_misses &&
           cm->cache_evictions && cm->cache_entries && cm->hash_depth && cm->hash_running &&
           cm->hash_wait && cm->keyring;
}

dlc_core_metrics *dlc_core_metrics_new(struct dlc_core *core)
{
    dlc_core_metrics *cm = calloc(1, sizeof *cm);
    if (!cm)
        return NULL;
    cm->core = core;
    cm->reg = dlc_metrics_new(core->live);
    size_t n = dlc_dispatch_count(core->dispatch);
    cm->methods = calloc(n + 1, sizeof *cm->methods);
    if (!cm->reg || !cm->methods) {
        dlc_core_metrics_free(cm);
        return NULL;
    }
    for (size_t i = 0; i < n; i++)
        cm->methods[i] = dlc_dispatch_at(core->dispatch, i)->full_name;
    cm->methods[n] = "unknown";
    cm->n_methods = n + 1;
    for (int i = 0; i < N_CODES - 1; i++)
        cm->codes[i] = dlc_code_name((dlc_code)i);
    cm->codes[N_CODES - 1] = "other";
    if (!add_rpc(cm) || !add_state(cm)) {
        dlc_core_metrics_free(cm);
        return NULL;
    }
    dlc_metrics_on_scrape(cm->reg, collect, cm);
    return cm;
}

void dlc_core_metrics_free(dlc_core_metrics *cm)
{
    if (!cm)
        return;
    dlc_metrics_free(cm->reg);
    free(cm->methods);
    free(cm);
}

dlc_metrics *dlc_core_metrics_registry(dlc_core_metrics *cm)
{
    return cm ? cm->reg : NULL;
}

void dlc_core_metrics_on_done(void *app, const dlc_call *call, const dlc_method *m, int64_t us)
{
    struct dlc_core *core = app;
    dlc_core_metrics *cm = core->metrics;
    if (!cm)
        return;
    size_t method = m ? (size_t)(m - dlc_dispatch_at(core->dispatch, 0)) : cm->n_methods - 1;
    size_t code = (size_t)call->status.code < N_CODES - 1 ? (size_t)call->status.code : N_CODES - 1;
    dlc_metric_add(cm->calls, dlc_metric_series(cm->calls, (size_t[]){method, code}), 1);
    dlc_metric_observe(cm->durations, dlc_metric_series(cm->durations, (size_t[]){method}), us);
}
