/*
 * dlc_core_metrics: the core's metric families (common/metrics) — RPC
 * calls by method and code and their durations, the database pools, rate
 * limit decisions, the response cache, the hashing queue, the running
 * configuration's generation and the JWT keyring — and the hook through
 * which the server reports each call.
 *
 * Calls are counted on the hot path (relaxed atomics); the other figures
 * are kept by their modules and copied in at each scrape.
 */
#ifndef DLC_CORE_METRICS_H
#define DLC_CORE_METRICS_H

#include "common/metrics.h"
#include "rpc/runtime/server.h"

struct dlc_core;
typedef struct dlc_core_metrics dlc_core_metrics;

/* The families of core (whose dispatch table is complete); NULL on OOM.
 * core is borrowed and must outlive the result. */
dlc_core_metrics *dlc_core_metrics_new(struct dlc_core *core);
/* NULL is a no-op; nothing may scrape or call the hook any more. */
void dlc_core_metrics_free(dlc_core_metrics *cm);

/* The registry, for /metrics (borrowed). */
dlc_metrics *dlc_core_metrics_registry(dlc_core_metrics *cm);

/* dlc_server_opts.on_done (app: the dlc_core). */
void dlc_core_metrics_on_done(void *app, const dlc_call *call, const dlc_method *m, int64_t us);

#endif
