/*
 * dlc_gateway_metrics: HTTP request metrics and the access log of the
 * gateway (see metrics.h).
 */
#include "gateway/metrics.h"

#include "common/log.h"
#include "common/metrics.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

struct dlc_gateway_metrics {
    dlc_gateway *gw;
    dlc_metrics *reg;
    const char **routes; /* the route table's templates, then "unmatched" */
    size_t n_routes;
    dlc_metric *requests, *durations, *in_flight;
    _Atomic(dlc_http *) http;
};

static const char *const METHODS[] = {"GET",     "POST",    "PUT",   "PATCH", "DELETE",
                                      "OPTIONS", "CONNECT", "TRACE", "other"};
#define N_METHODS (sizeof METHODS / sizeof METHODS[0])

static size_t method_index(const char *method)
{
    for (size_t i = 0; i + 1 < N_METHODS; i++) {
        if (strcmp(METHODS[i], method) == 0)
            return i;
    }
    return N_METHODS - 1;
}

static void collect(void *arg)
{
    dlc_gateway_metrics *gm = arg;
    dlc_http *http = atomic_load(&gm->http);
    dlc_metric_set(gm->in_flight, 0, http ? dlc_http_in_flight(http) : 0);
}

static bool add_families(dlc_gateway_metrics *gm)
{
    const dlc_metrics_label labels[] = {{"route", gm->routes, gm->n_routes},
                                        {"method", METHODS, N_METHODS},
                                        {"status", dlc_metrics_statuses, dlc_metrics_status_count}};
    gm->requests = dlc_metrics_add(gm->reg, DLC_METRIC_COUNTER, "dlc_http_requests_total",
                                   "HTTP requests answered, by route template, method and status.",
                                   labels, 3, NULL, 0);
    gm->durations =
        dlc_metrics_add(gm->reg, DLC_METRIC_HISTOGRAM, "dlc_http_request_duration_seconds",
                        "Time from a request's arrival to its answer, by route template.", labels,
                        1, dlc_metrics_latency_bounds, dlc_metrics_latency_bound_count);
    gm->in_flight = dlc_metrics_add(gm->reg, DLC_METRIC_GAUGE, "dlc_http_requests_in_flight",
                                    "HTTP requests being served now.", NULL, 0, NULL, 0);
    return gm->requests && gm->durations && gm->in_flight;
}

dlc_gateway_metrics *dlc_gateway_metrics_new(dlc_gateway *gw)
{
    dlc_gateway_metrics *gm = calloc(1, sizeof *gm);
    if (!gm)
        return NULL;
    gm->gw = gw;
    gm->reg = dlc_metrics_new(gw->live);
    size_t n = gw->n_endpoints;
    gm->routes = calloc(n + 1, sizeof *gm->routes);
    if (!gm->reg || !gm->routes) {
        dlc_gateway_metrics_free(gm);
        return NULL;
    }
    for (size_t i = 0; i < n; i++)
        gm->routes[i] = gw->endpoints[i].pattern;
    gm->routes[n] = "unmatched";
    gm->n_routes = n + 1;
    if (!add_families(gm)) {
        dlc_gateway_metrics_free(gm);
        return NULL;
    }
    dlc_metrics_on_scrape(gm->reg, collect, gm);
    return gm;
}

void dlc_gateway_metrics_free(dlc_gateway_metrics *gm)
{
    if (!gm)
        return;
    dlc_metrics_free(gm->reg);
    free(gm->routes);
    free(gm);
}

void dlc_gateway_metrics_attach(dlc_gateway_metrics *gm, dlc_http *http)
{
    if (gm)
        atomic_store(&gm->http, http);
}

static void access_log(dlc_gateway *gw, dlc_log_level level, const dlc_http_request *rq,
                       const char *route, const dlc_http_response *rs, int64_t us)
{
    char ip[64];
    dlc_proxy_client_ip(gw->trusted, rq->remote_addr, dlc_http_header(rq, "X-Forwarded-For"), ip,
                        sizeof ip);
    const dlc_log_field f[] = {
        DLC_LOG_STR("request_id", rq->request_id),
        DLC_LOG_STR("method", rq->method),
        DLC_LOG_STR("route", route),
        DLC_LOG_NUM("status", rs->status),
        DLC_LOG_NUM("duration_ms", (double)us / 1000.0),
        DLC_LOG_STR("client_ip", ip),
        DLC_LOG_STR("user_id", rs->user_id),
        DLC_LOG_STR("trace_id", rs->trace_id),
        DLC_LOG_STR("span_id", rs->span_id),
    };
    dlc_log_fields(level, "http", f, sizeof f / sizeof f[0]);
}

void dlc_gateway_metrics_done(void *app, const dlc_http_request *rq, const dlc_http_response *rs,
                              int64_t us)
{
    dlc_gateway *gw = app;
    dlc_gateway_metrics *gm = gw->metrics;
    size_t n = gw->n_endpoints;
    size_t route = rs->route > 0 && (size_t)rs->route <= n ? (size_t)rs->route - 1 : n;
    if (gm) {
        size_t idx[] = {route, method_index(rq->method), dlc_metrics_status_index(rs->status)};
        dlc_metric_add(gm->requests, dlc_metric_series(gm->requests, idx), 1);
        dlc_metric_observe(gm->durations, dlc_metric_series(gm->durations, idx), us);
    }
    /* logging.access off: the lines are debug ones (as in the core) */
    dlc_log_level level = dlc_log_access_enabled() ? DLC_LOG_INFO : DLC_LOG_DEBUG;
    if (dlc_log_get_level() <= level)
        access_log(gw, level, rq, route < n ? gw->endpoints[route].pattern : "", rs, us);
}

void dlc_gateway_metrics_serve(dlc_gateway *gw, const dlc_http_request *rq,
                               const dlc_route_match *m, dlc_http_response *rs)
{
    (void)rq, (void)m;
    size_t len = 0;
    char *text = gw->metrics ? dlc_metrics_render(gw->metrics->reg, &len) : NULL;
    if (text)
        dlc_http_set_body(rs, 200, DLC_METRICS_CONTENT_TYPE, text, len);
    else
        dlc_http_set_text(rs, 500, "metrics unavailable\n");
}
