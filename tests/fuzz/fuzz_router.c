/*
 * Fuzz target: the gateway's routing and request binding, over the real
 * route table (gateway/routes.c). The input is an HTTP request in short:
 * "METHOD PATH[?QUERY]\nBODY". The path is matched by dlc_router_match;
 * on a route to an RPC (or the Connect route /rpc/{service}/{method}) the
 * input message is built from body, path variables and query by
 * dlc_bind_input, exactly as the gateway does before calling the core
 * (which it never does here: no network).
 */
#include "fuzz_util.h"

#include "gateway/gateway.h"
#include "gateway/bind.h"
#include "gateway/handlers.h"
#include "gateway/routes.h"
#include "rpc/runtime/contract.h"

#include <stdio.h>

static dlc_router *router; /* read-only once built: no state between runs */
static dlc_route *routes;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fuzz_quiet();
    char err[256];
    router = dlc_routes_compile(dlc_endpoints, dlc_endpoint_count, &routes, err, sizeof err);
    if (!router) {
        fprintf(stderr, "fuzz_router: %s\n", err);
        abort();
    }
    return 0;
}

static const char *var(const dlc_route_match *m, const char *name)
{
    for (size_t i = 0; i < m->n_vars; i++) {
        if (strcmp(m->vars[i].name, name) == 0)
            return m->vars[i].value;
    }
    return "";
}

/* Builds the input of a matched route, as dlc_gateway_handle and
 * dlc_handlers_rpc do; local routes other than /rpc build nothing. */
static void build_input(const dlc_http_request *rq, const dlc_route_match *m)
{
    const dlc_endpoint *ep = m->route->target;
    const ProtobufCMethodDescriptor *md = NULL;
    bool connect = ep->local == dlc_handlers_rpc;
    if (connect) {
        char method[512];
        snprintf(method, sizeof method, "%s/%s", var(m, "service"), var(m, "method"));
        md = dlc_contract_find(method);
    } else if (ep->rpc) {
        md = dlc_contract_find(ep->rpc);
    }
    if (!md)
        return;
    dlc_arena arena;
    dlc_arena_init(&arena, 4096);
    dlc_http_response rs = {0};
    dlc_bind_input(rq, md->input, connect ? "*" : ep->body, connect ? NULL : m, &arena,
                      connect, &rs);
    free(rs.body);
    dlc_arena_destroy(&arena);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fuzz_strndup(data, size);
    size_t line = fuzz_find(data, size, '\n');
    text[line] = '\0';
    char *body = line < size ? text + line + 1 : text + size;
    char *path = strchr(text, ' ');
    if (path) {
        *path++ = '\0';
        char *query = strchr(path, '?');
        if (query)
            *query++ = '\0';
        dlc_http_request rq = {.method = text, .path = path, .query = query ? query : "",
                               .body = body, .body_len = size - (size_t)(body - text),
                               .remote_addr = "127.0.0.1", .request_id = "fuzz"};
        dlc_route_match m;
        if (dlc_router_match(router, rq.method, rq.path, &m) == DLC_ROUTE_FOUND)
            build_input(&rq, &m);
    }
    free(text);
    return 0;
}
