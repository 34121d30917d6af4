/*
 * dlc_gateway: the gateway's request pipeline — route, bind the input,
 * call the core with the request's metadata, answer with the output as
 * JSON or the mapped error — and its start-up (route table checked against
 * the contract, router, client, tracer, metrics).
 */
#include "gateway/gateway.h"

#include "dlc/v1/admin.pb-c.h"
#include "dlc/v1/auth.pb-c.h"

#include "common/clock.h"
#include "common/log.h"
#include "gateway/bind.h"
#include "gateway/docs.h"
#include "gateway/errors.h"
#include "gateway/http_trace.h"
#include "gateway/metrics.h"
#include "gateway/proxy.h"
#include "gateway/routes.h"
#include "gateway/transcode.h"
#include "rpc/runtime/contract.h"
#include "rpc/runtime/envelope.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

int dlc_gateway_init(dlc_gateway *gw, const dlc_config *cfg, const dlc_endpoint *endpoints,
                     size_t n, char *err, size_t errlen)
{
    memset(gw, 0, sizeof *gw);
    gw->endpoints = endpoints;
    gw->n_endpoints = n;
    gw->start_wall_ms = dlc_clock_wall_ms();
    if (dlc_config_copy(&gw->cfg, cfg) != 0 || !(gw->live = dlc_reload_new(cfg))) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    if (!(gw->trusted = dlc_addr_list_new(&cfg->server.trusted_proxies, "server.trusted_proxies", NULL, err, errlen)))
        return -1;
    if (!(gw->tracer = dlc_tracer_new("dlc-gateway", cfg, gw->live, err, errlen)))
        return -1;
    for (size_t i = 0; i < n; i++) {
        if (endpoints[i].rpc && !dlc_contract_find(endpoints[i].rpc)) {
            snprintf(err, errlen, "route %s %s names an unknown RPC method %s",
                     endpoints[i].method, endpoints[i].pattern, endpoints[i].rpc);
            return -1;
        }
    }
    gw->router = dlc_routes_compile(endpoints, n, &gw->routes, err, errlen);
    if (!gw->router || dlc_docs_init(gw, err, errlen) != 0)
        return -1;
    if (!(gw->metrics = dlc_gateway_metrics_new(gw))) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    dlc_client_opts o = {
        .urls = (const char *const *)cfg->rpc.endpoints.items,
        .n_urls = cfg->rpc.endpoints.count,
        .max_contexts = cfg->server.threads,
        .max_message_bytes = (size_t)cfg->rpc.max_message_bytes,
        .default_timeout_ms = (uint32_t)cfg->server.request_timeout_ms,
        .connect_wait_ms = (uint32_t)(cfg->server.request_timeout_ms < 1000
                                          ? cfg->server.request_timeout_ms
                                          : 1000),
    };
    return dlc_client_open(&o, &gw->client, err, errlen) == 0 ? 0 : -1;
}

void dlc_gateway_free(dlc_gateway *gw)
{
    dlc_client_close(gw->client);
    dlc_tracer_free(gw->tracer); /* exports the spans still queued */
    dlc_gateway_metrics_free(gw->metrics);
    dlc_router_free(gw->router);
    free(gw->routes);
    free(gw->openapi);
    dlc_addr_list_free(gw->trusted);
    dlc_reload_free(gw->live);
    dlc_config_free(&gw->cfg);
}

/* ---- calling the core ---------------------------------------------------- */

void dlc_gateway_call(dlc_gateway *gw, const dlc_http_request *rq, const char *method,
                      const ProtobufCMessage *in, dlc_client_reply *reply)
{
    char ip[64];
    dlc_proxy_client_ip(gw->trusted, rq->remote_addr,
                        dlc_http_header(rq, "X-Forwarded-For"), ip, sizeof ip);
    char tp[DLC_TRACEPARENT_LEN] = "";
    if (rq->trace) /* the gateway's span is the parent of the core's */
        dlc_trace_format(rq->trace, tp);
    dlc_md md[8] = {{"x-request-id", rq->request_id}, {"x-client-ip", ip}, {"traceparent", tp}};
    size_t n = tp[0] ? 3 : 2;
    static const char *const forwarded[][2] = {{"Authorization", "authorization"},
                                               {"tracestate", "tracestate"},
                                               {"Idempotency-Key", "idempotency-key"},
                                               {"X-Admin-Password", "x-admin-password"}};
    for (size_t i = 0; i < sizeof forwarded / sizeof forwarded[0]; i++) {
        const char *v = dlc_http_header(rq, forwarded[i][0]);
        if (v)
            md[n++] = (dlc_md){forwarded[i][1], v};
    }
    dlc_client_request creq = {.method = method, .input = in, .metadata = md, .n_metadata = n,
                               .request_id = rq->request_id};
    dlc_client_call(gw->client, &creq, reply);
}

/* Metadata keys are lower-case; HTTP spells some headers its own way. */
static void header_name(const char *key, char *out, size_t len)
{
    static const char *const special[][2] = {{"ratelimit", "RateLimit"},
                                             {"ratelimit-policy", "RateLimit-Policy"}};
    for (size_t i = 0; i < sizeof special / sizeof special[0]; i++) {
        if (strcmp(key, special[i][0]) == 0) {
            snprintf(out, len, "%s", special[i][1]);
            return;
        }
    }
    bool up = true;
    size_t i = 0;
    for (; key[i] && i + 1 < len; i++) {
        out[i] = up ? (char)toupper((unsigned char)key[i]) : key[i];
        up = key[i] == '-';
    }
    out[i] = '\0';
}

void dlc_gateway_copy_metadata(const dlc_client_reply *reply, dlc_http_response *rs)
{
    const Dlc__Rpc__V1__Response *r = reply->response;
    for (size_t i = 0; r && i < r->n_metadata; i++) {
        if (strcmp(r->metadata[i]->key, DLC_MD_USER_ID) == 0) { /* the access log's, no header */
            snprintf(rs->user_id, sizeof rs->user_id, "%s", r->metadata[i]->value);
            continue;
        }
        char name[64];
        header_name(r->metadata[i]->key, name, sizeof name);
        dlc_http_add_header(rs, name, r->metadata[i]->value);
    }
}

ProtobufCMessage *dlc_gateway_fetch(dlc_gateway *gw, const dlc_http_request *rq,
                                    const char *method, const ProtobufCMessage *in,
                                    const ProtobufCMessageDescriptor *out_desc,
                                    bool connect_style, dlc_http_response *rs)
{
    dlc_client_reply reply;
    dlc_gateway_call(gw, rq, method, in, &reply);
    dlc_gateway_copy_metadata(&reply, rs);
    ProtobufCMessage *out = dlc_client_reply_unpack(&reply, out_desc);
    if (!out)
        dlc_error_respond(rs, &reply.status, connect_style);
    dlc_client_reply_free(&reply);
    return out;
}

void dlc_gateway_invoke(dlc_gateway *gw, const dlc_http_request *rq, const char *method,
                        const ProtobufCMessage *in, int success_status, bool connect_style,
                        dlc_http_response *rs)
{
    /* known: the route table is checked at start, /rpc/… before calling */
    const ProtobufCMethodDescriptor *md = dlc_contract_find(method);
    ProtobufCMessage *out = dlc_gateway_fetch(gw, rq, method, in, md->output, connect_style, rs);
    if (!out)
        return;
    if (success_status == 204)
        rs->status = 204;
    else
        dlc_http_set_json(rs, success_status ? success_status : 200, dlc_transcode_to_json(out));
    /* a bearer token (RFC 6749 5.1) or a reset code must not stay in a
     * cache on the way */
    if (md->output == &dlc__v1__token_response__descriptor ||
        md->output == &dlc__v1__allow_password_reset_response__descriptor)
        dlc_http_add_header(rs, "Cache-Control", "no-store");
    protobuf_c_message_free_unpacked(out, NULL);
}

/* ---- the pipeline ------------------------------------------------------------ */

static void not_routed(dlc_route_result r, const dlc_route_match *m, dlc_http_response *rs)
{
    dlc_status st;
    dlc_status_clear(&st);
    if (r == DLC_ROUTE_METHOD_NOT_ALLOWED) {
        dlc_error_method_not_allowed(rs, m->allow);
        return;
    }
    if (r == DLC_ROUTE_BAD_PATH)
        dlc_status_set(&st, DLC_INVALID_ARGUMENT, NULL, "malformed path");
    else
        dlc_status_set(&st, DLC_NOT_FOUND, NULL, "no route for this path");
    dlc_error_respond(rs, &st, false);
}

static void call_endpoint(dlc_gateway *gw, const dlc_endpoint *ep, const dlc_http_request *rq,
                          const dlc_route_match *m, dlc_http_response *rs)
{
    const ProtobufCMethodDescriptor *md = dlc_contract_find(ep->rpc); /* checked at start */
    dlc_arena arena;
    dlc_arena_init(&arena, 4096);
    ProtobufCMessage *in = dlc_bind_input(rq, md->input, ep->body, m, &arena, false, rs);
    if (in)
        dlc_gateway_invoke(gw, rq, ep->rpc, in, ep->status, false, rs);
    dlc_arena_destroy(&arena);
}

void dlc_gateway_handle(void *app, const dlc_http_request *in, dlc_http_response *rs)
{
    dlc_gateway *gw = app;
    dlc_trace_ctx trace;
    dlc_http_trace_begin(gw->tracer, in, &trace);
    dlc_http_request traced = *in;
    traced.trace = &trace;
    const dlc_http_request *rq = &traced;
    dlc_route_match m;
    dlc_route_result r = dlc_router_match(gw->router, rq->method, rq->path, &m);
    const dlc_endpoint *ep = r == DLC_ROUTE_FOUND ? m.route->target : NULL;
    rs->route = ep ? (int)(ep - gw->endpoints) + 1 : 0; /* access log, metrics */
    if (!ep)
        not_routed(r, &m, rs);
    else if (ep->local)
        ep->local(gw, rq, &m, rs);
    else
        call_endpoint(gw, ep, rq, &m, rs);
    snprintf(rs->trace_id, sizeof rs->trace_id, "%s", trace.trace_id); /* access log */
    snprintf(rs->span_id, sizeof rs->span_id, "%s", trace.span_id);
    dlc_http_trace_end(gw->tracer, rq, ep ? m.route->pattern : NULL, rs);
}
