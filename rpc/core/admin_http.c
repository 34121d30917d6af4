/*
 * dlc_admin_http: /metrics, /livez and /readyz of the core (see the
 * header). The readiness ping uses a database connection of its own, so it
 * never takes one from an event loop's pool; a mutex keeps that connection
 * to one thread at a time.
 */
#include "rpc/core/admin_http.h"

#include "common/clock.h"
#include "gateway/http.h"
#include "rpc/core/metrics.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Threads serving the admin port. A scraper keeps its connection alive
 * between scrapes, holding a thread: room for two scrapers (an HA pair)
 * and two probes at once. */
#define ADMIN_THREADS 4
/* How long /readyz waits for the database. */
#define READY_PING_MS 1000

struct dlc_admin_http {
    dlc_core *core;
    dlc_http *http;
    pthread_mutex_t mu; /* guards db */
    dlc_db *db;
};

static bool database_answers(dlc_admin_http *a)
{
    pthread_mutex_lock(&a->mu);
    char err[256];
    dlc_db_rc rc = dlc_db_ping(a->db, dlc_clock_mono_ms() + READY_PING_MS, err, sizeof err);
    pthread_mutex_unlock(&a->mu);
    return rc == DLC_DB_OK;
}

static void ready(dlc_admin_http *a, dlc_http_response *rs)
{
    const char *why = atomic_load(&a->core->shutting_down) ? "shutting down"
                      : !database_answers(a)               ? "database not answering"
                                                           : NULL;
    dlc_http_set_json(rs, why ? 503 : 200,
                      why ? json_pack("{s:s,s:s}", "status", "not_ready", "reason", why)
                          : json_pack("{s:s}", "status", "ready"));
}

static void metrics(dlc_admin_http *a, dlc_http_response *rs)
{
    size_t len = 0;
    char *text = dlc_metrics_render(dlc_core_metrics_registry(a->core->metrics), &len);
    if (text)
        dlc_http_set_body(rs, 200, DLC_METRICS_CONTENT_TYPE, text, len);
    else
        dlc_http_set_text(rs, 500, "metrics unavailable\n");
}

static void handle(void *app, const dlc_http_request *rq, dlc_http_response *rs)
{
    dlc_admin_http *a = app;
    if (strcmp(rq->method, "GET") != 0)
        dlc_http_set_json(rs, 405, json_pack("{s:s}", "error", "method_not_allowed"));
    else if (strcmp(rq->path, "/metrics") == 0)
        metrics(a, rs);
    else if (strcmp(rq->path, "/livez") == 0)
        dlc_http_set_json(rs, 200, json_pack("{s:s}", "status", "alive"));
    else if (strcmp(rq->path, "/readyz") == 0)
        ready(a, rs);
    else
        dlc_http_set_json(rs, 404, json_pack("{s:s}", "error", "not_found"));
}

dlc_admin_http *dlc_admin_http_start(dlc_core *core, char *err, size_t errlen)
{
    err[0] = '\0';
    if (!core->cfg.admin.listen[0])
        return NULL;
    dlc_admin_http *a = calloc(1, sizeof *a);
    dlc_db_params p = dlc_core_db_params(&core->cfg);
    p.application_name = "dlc-rpcd readiness";
    if (!a || !(a->db = dlc_db_open(&p, NULL, 0))) {
        snprintf(err, errlen, "out of memory");
        free(a);
        return NULL;
    }
    a->core = core;
    pthread_mutex_init(&a->mu, NULL);
    dlc_http_opts o = {core->cfg.admin.listen, ADMIN_THREADS, 1024, 5000, handle, a, NULL};
    if (!(a->http = dlc_http_start(&o, err, errlen))) {
        dlc_admin_http_stop(a);
        return NULL;
    }
    return a;
}

int dlc_admin_http_port(const dlc_admin_http *a)
{
    return a ? dlc_http_port(a->http) : -1;
}

void dlc_admin_http_stop(dlc_admin_http *a)
{
    if (!a)
        return;
    if (a->http)
        dlc_http_stop(a->http);
    dlc_db_close(a->db);
    pthread_mutex_destroy(&a->mu);
    free(a);
}
