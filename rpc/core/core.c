/*
 * dlc_core: the composition root of dlc-rpcd — configuration, storage
 * statements, services and auth state put together into a dlc_server with
 * one service context per event loop, and the housekeeping thread.
 */
#include "rpc/core/core.h"

#include "common/clock.h"
#include "common/log.h"
#include "rpc/core/idempotency.h"
#include "rpc/core/services/admin/admin.h"
#include "rpc/core/metrics.h"
#include "rpc/core/services/auth.h"
#include "rpc/core/services/greet.h"
#include "rpc/core/services/system.h"
#include "rpc/core/services/users.h"
#include "rpc/core/svc.h"
#include "rpc/runtime/contract.h"
#include "storage/admin_tokens.h"
#include "storage/greetings.h"
#include "storage/idempotency.h"
#include "storage/ratelimit.h"
#include "storage/secrets.h"
#include "storage/system.h"
#include "storage/users.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Full buckets are dropped this often (they are equivalent to absent ones). */
#define LIMIT_SWEEP_MS 10000
/* Expired idempotency keys are deleted this often, at most this many at a
 * time (a backlog goes over several ticks). */
#define IDEM_SWEEP_MS 60000
#define IDEM_SWEEP_MAX 10000
/* Start-up waits this long for the housekeeping thread to listen. */
#define HOUSEKEEPING_WAIT_MS 5000

/* One registry for every connection: each storage module's statements. */
static int collect_statements(dlc_core *core)
{
    static const struct {
        const dlc_db_stmt *stmts;
        const size_t *count;
    } modules[] = {{dlc_system_db_statements, &dlc_system_db_statement_count},
                   {dlc_users_statements, &dlc_users_statement_count},
                   {dlc_greetings_statements, &dlc_greetings_statement_count},
                   {dlc_secrets_statements, &dlc_secrets_statement_count},
                   {dlc_ratelimit_db_statements, &dlc_ratelimit_db_statement_count},
                   {dlc_admin_tokens_statements, &dlc_admin_tokens_statement_count},
                   {dlc_idem_store_statements, &dlc_idem_store_statement_count}};
    size_t total = 0;
    for (size_t i = 0; i < sizeof modules / sizeof modules[0]; i++)
        total += *modules[i].count;
    core->statements = calloc(total, sizeof *core->statements);
    if (!core->statements)
        return -1;
    for (size_t i = 0; i < sizeof modules / sizeof modules[0]; i++) {
        memcpy(core->statements + core->n_statements, modules[i].stmts,
               *modules[i].count * sizeof *core->statements);
        core->n_statements += *modules[i].count;
    }
    return 0;
}

dlc_db_params dlc_core_db_params(const dlc_config *cfg)
{
    return (dlc_db_params){
        .url = cfg->database.url,
        .host = cfg->database.host,
        /* with no host configured, libpq's PGHOST/PGPORT decide: a default
         * port of 5432 must not override PGPORT */
        .port = cfg->database.host[0] ? cfg->database.port : 0,
        .user = cfg->database.user,
        .password = cfg->database.password,
        .name = cfg->database.name,
        .ssl_mode = cfg->database.ssl_mode,
        .statement_timeout_ms = cfg->database.statement_timeout_ms,
        .application_name = "dlc-rpcd",
    };
}

/* Every method of the contract has a handler (contract.h's promise). */
static int serves_contract(const dlc_core *core, char *err, size_t errlen)
{
    for (size_t i = 0; i < dlc_contract_service_count; i++) {
        const ProtobufCServiceDescriptor *s = dlc_contract_services[i];
        for (unsigned j = 0; j < s->n_methods; j++) {
            char name[256];
            snprintf(name, sizeof name, "%s/%s", s->name, s->methods[j].name);
            if (!dlc_dispatch_find(core->dispatch, name)) {
                snprintf(err, errlen, "the core serves no %s", name);
                return -1;
            }
        }
    }
    return 0;
}

int dlc_core_init(dlc_core *core, const dlc_config *cfg, char *err, size_t errlen)
{
    memset(core, 0, sizeof *core);
    if (dlc_config_copy(&core->cfg, cfg) != 0) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    core->start_wall_ms = dlc_clock_wall_ms();
    core->live = dlc_reload_new(cfg);
    core->dispatch = dlc_dispatch_new();
    core->ratelimit = dlc_ratelimit_new(cfg);
    core->cache = cfg->cache.enabled ? dlc_cache_new((size_t)cfg->cache.max_entries,
                                                     (size_t)cfg->cache.max_bytes)
                                     : NULL;
    if (!core->live || !core->dispatch || !core->ratelimit ||
        (cfg->cache.enabled && !core->cache) || collect_statements(core) != 0) {
        snprintf(err, errlen, "out of memory");
        dlc_core_free(core);
        return -1;
    }
    if (dlc_svc_greet_register(core->dispatch, err, errlen) != 0 ||
        dlc_svc_system_register(core->dispatch, err, errlen) != 0 ||
        dlc_svc_auth_register(core->dispatch, err, errlen) != 0 ||
        dlc_svc_users_register(core->dispatch, err, errlen) != 0 ||
        dlc_svc_admin_register(core->dispatch, err, errlen) != 0 ||
        serves_contract(core, err, errlen) != 0 ||
        dlc_auth_init(&core->auth, &core->cfg, err, errlen) != 0 ||
        !(core->tracer = dlc_tracer_new("dlc-rpcd", &core->cfg, core->live, err, errlen))) {
        dlc_core_free(core);
        return -1;
    }
    if (!(core->metrics = dlc_core_metrics_new(core))) {
        snprintf(err, errlen, "out of memory");
        dlc_core_free(core);
        return -1;
    }
    return 0;
}

void dlc_core_free(dlc_core *core)
{
    dlc_listen_stop(core->housekeeping);
    core->housekeeping = NULL;
    dlc_tracer_free(core->tracer); /* exports the spans still queued */
    core->tracer = NULL;
    dlc_core_metrics_free(core->metrics);
    core->metrics = NULL;
    dlc_ratelimit_free(core->ratelimit);
    core->ratelimit = NULL;
    dlc_cache_free(core->cache);
    core->cache = NULL;
    dlc_dispatch_free(core->dispatch);
    core->dispatch = NULL;
    dlc_auth_free(&core->auth);
    dlc_reload_free(core->live);
    core->live = NULL;
    free(core->statements);
    core->statements = NULL;
    dlc_config_free(&core->cfg);
}

/* Each event loop's service context: the core's shared state, and a pool
 * of its own with its share of database.pool_size (at least one). Owned by
 * the server until worker_fini. */
static void *worker_init(void *app, int index)
{
    (void)index;
    dlc_core *core = app;
    dlc_svc *svc = malloc(sizeof *svc);
    if (!svc)
        return NULL;
    dlc_db_params p = dlc_core_db_params(&core->cfg);
    int share = core->cfg.database.pool_size / dlc_server_count_loops(core->cfg.rpc.workers);
    *svc = (dlc_svc){
        .db = dlc_db_open_pool(&p, core->statements, core->n_statements,
                               (size_t)(share > 0 ? share : 1)),
        .idem = dlc_idem_slots_new(&p, core->statements, core->n_statements),
        .live = core->live,
        .auth = &core->auth,
        .cache = core->cache,
        .limits = core->ratelimit,
        .dispatch = core->dispatch,
        .shutting_down = &core->shutting_down,
        .start_wall_ms = core->start_wall_ms,
    };
    if (!svc->db || !svc->idem) {
        dlc_db_close(svc->db);
        dlc_idem_slots_free(svc->idem);
        free(svc);
        return NULL;
    }
    return svc;
}

static void worker_fini(void *app, void *state)
{
    (void)app;
    dlc_svc *svc = state;
    dlc_idem_slots_free(svc->idem);
    dlc_db_close(svc->db);
    free(svc);
}

int dlc_core_serve(dlc_core *core, dlc_server **out, char *err, size_t errlen)
{
    const dlc_config *c = &core->cfg;
    dlc_server_opts opts = {
        .urls = (const char *const *)c->rpc.listen.items,
        .n_urls = c->rpc.listen.count,
        .loops = c->rpc.workers,
        .max_in_flight = c->rpc.max_in_flight,
        .max_message_bytes = (size_t)c->rpc.max_message_bytes,
        .default_timeout_ms = c->rpc.default_timeout_ms,
        .dispatch = core->dispatch,
        .app = core,
        .worker_init = worker_init,
        .worker_fini = worker_fini,
        .authorize = dlc_auth_authorize,
        .guard = &dlc_idem_guard,
        .tracer = core->tracer,
        .on_done = dlc_core_metrics_on_done,
    };
    return dlc_server_start(&opts, out, err, errlen);
}

/* ---- housekeeping ---------------------------------------------------------- */

/* The housekeeping thread: a flush from any core (including this one: a
 * second flush is harmless), a reconnect (flushes may have been missed),
 * or a tick. */
static void housekeeping(dlc_conn *conn, dlc_listen_event ev, void *arg)
{
    dlc_core *core = arg;
    int64_t now = dlc_clock_mono_ms();
    if (core->cache && ev != DLC_LISTEN_TICK)
        dlc_cache_flush(core->cache, now);
    const dlc_config *c = dlc_reload_config(core->live, NULL);
    if (core->cache && now >= core->next_cache_purge_ms) {
        dlc_cache_purge_expired(core->cache, now);
        core->next_cache_purge_ms = now + (int64_t)c->cache.cleanup_interval_seconds * 1000;
    }
    if (now >= core->next_limit_sweep_ms) {
        dlc_ratelimit_sweep(core->ratelimit, conn);
        core->next_limit_sweep_ms = now + LIMIT_SWEEP_MS;
    }
    if (now >= core->next_idem_sweep_ms) {
        long n = dlc_idem_store_cleanup(conn, IDEM_SWEEP_MAX);
        core->next_idem_sweep_ms = now + (n == IDEM_SWEEP_MAX ? 1000 : IDEM_SWEEP_MS);
    }
}

int dlc_core_housekeeping_start(dlc_core *core, const dlc_db_params *db)
{
    core->housekeeping =
        dlc_listen_start(db, DLC_SYSTEM_DB_CACHE_CHANNEL, 1000, housekeeping, core);
    if (!core->housekeeping)
        return -1;
    /* Serving starts once flushes are heard, so the first (CONNECTED) flush
     * empties a cache nobody filled yet, never one a client just filled. */
    if (!dlc_listen_wait(core->housekeeping, HOUSEKEEPING_WAIT_MS))
        dlc_log_warn("cache flushes of other cores not heard yet; serving anyway");
    return 0;
}
