/*
 * dlc_core: the state of one dlc-rpcd — its configuration, its method
 * table, its start time — and the glue that turns it into a dlc_server
 * (each event loop gets a service context, rpc/core/svc.h, with a
 * database pool of its own). The daemon's composition root: only main.c
 * uses it; handlers see the service context, never this.
 */
#ifndef DLC_CORE_H
#define DLC_CORE_H

#include "common/config.h"
#include "common/reload.h"
#include "common/tracer.h"
#include "rpc/core/auth/auth.h"
#include "rpc/core/cache/cache.h"
#include "rpc/core/limit/ratelimit.h"
#include "rpc/runtime/server.h"
#include "storage/db.h"
#include "storage/listen.h"

#include <stdatomic.h>
#include <stdbool.h>

typedef struct dlc_core {
    dlc_config cfg;    /* owned copy of the start-up configuration: restart-only keys */
    dlc_reload *live;  /* the running configuration, hot-reloaded */
    dlc_tracer *tracer; /* spans of RPC calls (sampler, exporter); freed after the server */
    int64_t start_wall_ms;
    dlc_dispatch *dispatch;
    dlc_auth auth;
    dlc_db_stmt *statements; /* every module's, registered on each connection */
    size_t n_statements;
    atomic_bool shutting_down;
    dlc_ratelimit *ratelimit;
    dlc_cache *cache;          /* NULL when cache.enabled is false */
    dlc_listen *housekeeping;  /* cache flushes from other cores, sweeps */
    int64_t next_cache_purge_ms, next_limit_sweep_ms; /* housekeeping thread only */
    int64_t next_idem_sweep_ms; /* expired idempotency keys are deleted then */
    struct dlc_core_metrics *metrics; /* owned (rpc/core/metrics.h) */
} dlc_core;

/* Copies cfg, builds the method table and the auth state. The signing keys
 * are loaded separately (dlc_auth_load_keys, needs the database). 0, or -1
 * with err filled. */
int dlc_core_init(dlc_core *core, const dlc_config *cfg, char *err, size_t errlen);
void dlc_core_free(dlc_core *core);

/* Starts serving on cfg.rpc.listen. 0, or -1 with err filled. */
int dlc_core_serve(dlc_core *core, dlc_server **out, char *err, size_t errlen);

/* Starts the housekeeping thread: hears cache flushes made through other
 * cores (NOTIFY dlc_cache_flush), purges expired cache entries every
 * cache.cleanup_interval_seconds, sweeps full rate-limit buckets. Returns
 * once it listens (at most 5 s). 0 or -1. */
int dlc_core_housekeeping_start(dlc_core *core, const dlc_db_params *db);

/* The database settings of cfg as dlc_db_params (strings borrowed). */
dlc_db_params dlc_core_db_params(const dlc_config *cfg);

#endif
