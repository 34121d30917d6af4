/*
 * dlc_gateway_metrics: the gateway's metric families (common/metrics) and
 * its access log. Every request, once answered, is counted by route
 * template, method and status, timed by route, and logged as one "http"
 * line at info (at debug when logging.access is off): request id, method, route, status,
 * duration_ms, client_ip, trace_id. GET /metrics serves the exposition.
 *
 * Label values come from the route table (never raw paths), a fixed list
 * of methods and of status codes, so the series are bounded.
 */
#ifndef DLC_GATEWAY_METRICS_H
#define DLC_GATEWAY_METRICS_H

#include "gateway/gateway.h"

typedef struct dlc_gateway_metrics dlc_gateway_metrics;

/* The families of gw (borrowed; must outlive the result); NULL on OOM. */
dlc_gateway_metrics *dlc_gateway_metrics_new(dlc_gateway *gw);
/* NULL is a no-op; no request may still be served. */
void dlc_gateway_metrics_free(dlc_gateway_metrics *gm);

/* The HTTP server, for the in-flight gauge (borrowed; NULL: detached). */
void dlc_gateway_metrics_attach(dlc_gateway_metrics *gm, dlc_http *http);

/* dlc_http_opts.done (app: the dlc_gateway). */
void dlc_gateway_metrics_done(void *app, const dlc_http_request *rq, const dlc_http_response *rs,
                              int64_t us);

/* The local route GET /metrics. */
dlc_local_fn dlc_gateway_metrics_serve;

#endif
