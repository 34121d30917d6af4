/*
 * dlc_http_trace: the gateway's span of one HTTP request (kind SERVER).
 * begin takes the client's `traceparent` when it is valid (else a new
 * trace starts) and makes the gateway's span, which dlc_gateway_call hands
 * to the core as the parent of its RPC span; end answers the client's
 * `traceresponse` header (W3C Trace Context level 2: the trace id and the
 * gateway's span id) and exports the span with http.request.method,
 * http.route and http.response.status_code.
 */
#ifndef DLC_HTTP_TRACE_H
#define DLC_HTTP_TRACE_H

#include "common/tracer.h"
#include "gateway/http.h"

/* The gateway's span for rq, into out. tracer NULL: ids only. */
void dlc_http_trace_begin(const dlc_tracer *tracer, const dlc_http_request *rq, dlc_trace_ctx *out);

/* route: the matched pattern, or NULL when no route matched. */
void dlc_http_trace_end(dlc_tracer *tracer, const dlc_http_request *rq, const char *route,
                        dlc_http_response *rs);

#endif
