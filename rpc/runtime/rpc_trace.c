/* dlc_rpc_trace: the span of one RPC call in the core. */
#include "rpc/runtime/rpc_trace.h"

#include <stdio.h>
#include <string.h>

void dlc_rpc_trace_begin(const dlc_tracer *tracer, dlc_call *call)
{
    const Dlc__Rpc__V1__Request *req = call->request;
    const char *tp =
        req ? dlc_envelope_md_get(req->metadata, req->n_metadata, "traceparent") : NULL;
    dlc_tracer_begin(tracer, tp, &call->trace);
}

/* Server-side failures mark the span as an error; a caller's mistakes
 * (invalid argument, not found, …) do not. */
static bool is_error(dlc_code code)
{
    return code == DLC_UNKNOWN || code == DLC_DEADLINE_EXCEEDED || code == DLC_UNIMPLEMENTED ||
           code == DLC_INTERNAL || code == DLC_UNAVAILABLE || code == DLC_DATA_LOSS;
}

void dlc_rpc_trace_end(dlc_tracer *tracer, const dlc_call *call)
{
    if (!call->trace.sampled)
        return;
    const char *full = call->method ? call->method : "";
    const char *slash = strchr(full, '/');
    char service[128];
    snprintf(service, sizeof service, "%.*s", slash ? (int)(slash - full) : 0, full);
    dlc_otlp_attr attrs[] = {
        {"rpc.system", "dlc", 0},
        {"rpc.service", service, 0},
        {"rpc.method", slash ? slash + 1 : full, 0},
        {"rpc.dlc.status_code", NULL, (int64_t)call->status.code},
        {"dlc.request_id", call->request_id, 0},
    };
    dlc_otlp_span span = {
        .ctx = &call->trace,
        .name = full[0] ? full : "dlc.rpc/unknown",
        .kind = DLC_OTLP_SERVER,
        .end_ns = dlc_trace_now_ns(),
        .error = is_error(call->status.code),
        .message = call->status.message,
        .attrs = attrs,
        .n_attrs = sizeof attrs / sizeof attrs[0],
    };
    dlc_tracer_end(tracer, &span);
}
