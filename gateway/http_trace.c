/* dlc_http_trace: the gateway's span of one HTTP request. */
#include "gateway/http_trace.h"

#include <stdio.h>

void dlc_http_trace_begin(const dlc_tracer *tracer, const dlc_http_request *rq, dlc_trace_ctx *out)
{
    dlc_tracer_begin(tracer, dlc_http_header(rq, "traceparent"), out);
}

void dlc_http_trace_end(dlc_tracer *tracer, const dlc_http_request *rq, const char *route,
                        dlc_http_response *rs)
{
    const dlc_trace_ctx *ctx = rq->trace;
    char tp[DLC_TRACEPARENT_LEN];
    dlc_trace_format(ctx, tp);
    dlc_http_add_header(rs, "traceresponse", tp);
    if (!ctx->sampled)
        return;
    char name[160];
    snprintf(name, sizeof name, "%s%s%s", rq->method, route ? " " : "", route ? route : "");
    dlc_otlp_attr attrs[] = {
        {"http.request.method", rq->method, 0},
        {"http.response.status_code", NULL, rs->status},
        {"dlc.request_id", rq->request_id, 0},
        {"http.route", route, 0}, /* last: left out when no route matched */
    };
    dlc_otlp_span span = {
        .ctx = ctx,
        .name = name,
        .kind = DLC_OTLP_SERVER,
        .end_ns = dlc_trace_now_ns(),
        .error = rs->status >= 500,
        .attrs = attrs,
        .n_attrs = sizeof attrs / sizeof attrs[0] - (route ? 0 : 1),
    };
    dlc_tracer_end(tracer, &span);
}
