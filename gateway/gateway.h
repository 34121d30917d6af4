/*
 * dlc_gateway: the state of one dlc-gateway and its request pipeline:
 * route → build the input message (body, path variables, query) →
 * call the core → answer with the output as JSON, or the error.
 * It holds no business rule and no database handle.
 */
#ifndef DLC_GATEWAY_H
#define DLC_GATEWAY_H

#include "common/config.h"
#include "common/reload.h"
#include "common/tracer.h"
#include "gateway/http.h"
#include "gateway/proxy.h"
#include "gateway/router.h"
#include "dlc/client.h"
#include "rpc/runtime/arena.h"

#include <stdatomic.h>

typedef struct dlc_gateway dlc_gateway;

/* A route answered by the gateway itself (health, version, …). */
typedef void dlc_local_fn(dlc_gateway *gw, const dlc_http_request *rq, const dlc_route_match *m,
                          dlc_http_response *rs);
typedef dlc_local_fn *dlc_local_handler;

/* One row of the route table (gateway/routes.c). */
typedef struct {
    const char *method;
    const char *pattern;
    const char *rpc;         /* full RPC method name; or NULL and: */
    dlc_local_handler local; /*   a local handler */
    const char *body;        /* NULL: no body; "*": the whole input; else one field */
    int status;              /* on success; 0 → 200 */
} dlc_endpoint;

struct dlc_gateway {
    dlc_config cfg;   /* owned copy of the start-up configuration: restart-only keys */
    dlc_reload *live; /* the running configuration, hot-reloaded */
    dlc_tracer *tracer;     /* spans of HTTP requests (sampler, exporter) */
    dlc_addr_list *trusted; /* server.trusted_proxies, parsed */
    dlc_client *client;
    dlc_router *router;
    const dlc_endpoint *endpoints; /* the route table (borrowed; static) */
    size_t n_endpoints;
    dlc_route *routes; /* built from endpoints */
    int64_t start_wall_ms;
    atomic_bool draining;
    char *openapi; /* the OpenAPI document (JSON text), built at start (gateway/docs.h) */
    struct dlc_gateway_metrics *metrics; /* owned (gateway/metrics.h) */
};

/* endpoints (n of them: the route table, gateway/routes.h) must outlive
 * gw. 0, or -1 with err filled. */
int dlc_gateway_init(dlc_gateway *gw, const dlc_config *cfg, const dlc_endpoint *endpoints,
                     size_t n, char *err, size_t errlen);
void dlc_gateway_free(dlc_gateway *gw);

/* The dlc_http handler (app = the gateway). */
void dlc_gateway_handle(void *app, const dlc_http_request *rq, dlc_http_response *rs);

/* Calls method on the core with the request's metadata (request id, client
 * IP, authorization, …) within server.request_timeout. in may be NULL
 * (empty input). reply must be freed with dlc_client_reply_free. */
void dlc_gateway_call(dlc_gateway *gw, const dlc_http_request *rq, const char *method,
                      const ProtobufCMessage *in, dlc_client_reply *reply);

/* Response metadata of a reply as HTTP headers (x-cache → X-Cache, …). */
void dlc_gateway_copy_metadata(const dlc_client_reply *reply, dlc_http_response *rs);


/* Calls method with in and decodes its output as out_desc (caller frees
 * with protobuf_c_message_free_unpacked(m, NULL)); on failure answers rs
 * with the error (REST or Connect style) and returns NULL. The reply's
 * metadata becomes headers either way. */
ProtobufCMessage *dlc_gateway_fetch(dlc_gateway *gw, const dlc_http_request *rq,
                                    const char *method, const ProtobufCMessage *in,
                                    const ProtobufCMessageDescriptor *out_desc,
                                    bool connect_style, dlc_http_response *rs);

/* Calls method with in and answers rs: the output as JSON with
 * success_status (204: no body), or the error (REST or Connect style). */
void dlc_gateway_invoke(dlc_gateway *gw, const dlc_http_request *rq, const char *method,
                        const ProtobufCMessage *in, int success_status, bool connect_style,
                        dlc_http_response *rs);

#endif
