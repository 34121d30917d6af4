#include "gateway/gateway.h"

#include "dlc/v1/admin.pb-c.h"
#include "dlc/v1/auth.pb-c.h"

#include "common/clock.h"
#include "common/log.h"
#include "gateway/errors.h"
#include "gateway/metrics.h"
#include "gateway/proxy.h"
#include "gateway/transcode.h"
#include "rpc/runtime/contract.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

int dlc_gateway_init(dlc_gateway *gw, const dlc_config *cfg, char *err, size_t errlen)
{
    memset(gw, 0, sizeof *gw);
    gw->start_wall_ms = dlc_clock_wall_ms();
    if (dlc_config_copy(&gw->cfg, cfg) != 0 || !(gw->live = dlc_reload_new(cfg))) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    if (!(gw->trusted = dlc_addr_list_new(&cfg->server.trusted_proxies, "server.trusted_proxies", NULL, err, errlen)))
        return -1;
    for (size_t i = 0; i < dlc_endpoint_count; i++) {
        if (dlc_endpoints[i].rpc && !dlc_contract_find(dlc_endpoints[i].rpc)) {
            snprintf(err, errlen, "route %s %s names an unknown RPC method %s",
                     dlc_endpoints[i].method, dlc_endpoints[i].pattern, dlc_endpoints[i].rpc);
            return -1;
        }
    }
    gw->routes = calloc(dlc_endpoint_count, sizeof *gw->routes);
    for (size_t i = 0; gw->routes && i < dlc_endpoint_count; i++)
        gw->routes[i] = (dlc_route){dlc_endpoints[i].method, dlc_endpoints[i].pattern,
                                    &dlc_endpoints[i]};
    gw->router = gw->routes ? dlc_router_new(gw->routes, dlc_endpoint_count, err, errlen) : NULL;
    if (!gw->router)
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
    dlc_gateway_metrics_free(gw->metrics);
    dlc_router_free(gw->router);
    free(gw->routes);
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
    dlc_md md[8] = {{"x-request-id", rq->request_id}, {"x-client-ip", ip}};
    size_t n = 2;
    static const char *const forwarded[][2] = {{"Authorization", "authorization"},
                                               {"traceparent", "traceparent"},
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

/* ---- building the input ---------------------------------------------------- */

static int hexval(int c)
{
    return isdigit(c) ? c - '0' : isxdigit(c) ? (tolower(c) - 'a' + 10) : -1;
}

/* Decodes a query component in place ('+' is a space). -1 on bad escapes. */
static int query_decode(char *s)
{
    char *w = s;
    for (const char *r = s; *r; r++) {
        if (*r == '+') {
            *w++ = ' ';
        } else if (*r != '%') {
            *w++ = *r;
        } else {
            int hi = hexval((unsigned char)r[1]), lo = hi < 0 ? -1 : hexval((unsigned char)r[2]);
            if (lo < 0 || (hi == 0 && lo == 0))
                return -1;
            *w++ = (char)(hi * 16 + lo);
            r += 2;
        }
    }
    *w = '\0';
    return 0;
}

/* Whether a query parameter is for us: it names a field of msg (by proto
 * name or lowerCamelCase) that no path variable bound. Others are ignored,
 * as grpc-gateway does, so clients' extra parameters (cache busters, …)
 * keep working. */
static bool query_applies(const ProtobufCMessage *msg, const char *name, const dlc_route_match *m)
{
    for (size_t i = 0; m && i < m->n_vars; i++) {
        if (strcmp(m->vars[i].name, name) == 0)
            return false;
    }
    char first[128];
    snprintf(first, sizeof first, "%.*s", (int)strcspn(name, "."), name);
    return dlc_transcode_find_field(msg->descriptor, first) != NULL;
}

static bool apply_query(ProtobufCMessage *msg, const char *query, const dlc_route_match *m,
                        dlc_arena *arena, dlc_status *st)
{
    char *copy = dlc_arena_strdup(arena, query);
    for (char *save = NULL, *pair = strtok_r(copy, "&", &save); pair;
         pair = strtok_r(NULL, "&", &save)) {
        char *eq = strchr(pair, '=');
        /* "?flag" has no value: the empty string at the pair's end, which
         * query_decode may write to (a literal "" it may not). */
        char *value = eq ? eq + 1 : pair + strlen(pair);
        if (eq)
            *eq = '\0';
        if (query_decode(pair) != 0 || query_decode(value) != 0) {
            dlc_status_set(st, DLC_INVALID_ARGUMENT, NULL, "malformed query string");
            dlc_status_violation(st, pair, "invalid percent-encoding");
            return false;
        }
        if (query_applies(msg, pair, m) && dlc_transcode_set_text(msg, pair, value, arena, st) != 0)
            return false;
    }
    return true;
}

static bool is_json_type(const char *ct)
{
    if (!ct)
        return true; /* lenient: clients that send JSON without saying so */
    size_t n = strcspn(ct, ";");
    while (n > 0 && ct[n - 1] == ' ')
        n--;
    return (n == 16 && strncasecmp(ct, "application/json", 16) == 0) ||
           (n > 5 && strncasecmp(ct + n - 5, "+json", 5) == 0);
}

/* jansson parses recursively and civetweb's threads have small stacks: a
 * body nested a thousand levels deep would overflow one. Our messages need
 * a handful of levels, so deeper input is refused before it is parsed. */
#define MAX_JSON_DEPTH 64

static bool too_deep(const char *s, size_t len)
{
    int depth = 0;
    bool in_string = false;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (in_string) {
            if (c == '\\')
                i++;
            else if (c == '"')
                in_string = false;
        } else if (c == '"') {
            in_string = true;
        } else if (c == '{' || c == '[') {
            if (++depth > MAX_JSON_DEPTH)
                return true;
        } else if (c == '}' || c == ']') {
            depth--;
        }
    }
    return false;
}

/* Merges the body into msg per the binding; false with rs answered. */
static bool apply_body(const dlc_http_request *rq, ProtobufCMessage *msg, const char *binding,
                       dlc_arena *arena, bool connect_style, dlc_http_response *rs)
{
    if (!binding || rq->body_len == 0)
        return true;
    if (!is_json_type(dlc_http_header(rq, "Content-Type"))) {
        json_t *e = json_pack("{s:s,s:s}", connect_style ? "code" : "error",
                              connect_style ? "invalid_argument" : "unsupported_media_type",
                              "message", "the body must be application/json");
        dlc_http_set_json(rs, 415, e);
        return false;
    }
    if (too_deep(rq->body, rq->body_len)) {
        dlc_error_invalid(rs, "body", "JSON nested too deeply", connect_style);
        return false;
    }
    json_error_t jerr;
    json_t *doc = json_loadb(rq->body, rq->body_len, JSON_REJECT_DUPLICATES, &jerr);
    if (!doc) {
        char why[256];
        snprintf(why, sizeof why, "malformed JSON at line %d column %d: %s", jerr.line,
                 jerr.column, jerr.text);
        dlc_error_invalid(rs, "body", why, connect_style);
        return false;
    }
    json_t *obj = strcmp(binding, "*") == 0 ? json_incref(doc) : json_pack("{s:O}", binding, doc);
    dlc_status st;
    dlc_status_clear(&st);
    int rc = dlc_transcode_merge_json(msg, obj, arena, &st);
    json_decref(obj);
    json_decref(doc);
    if (rc != 0)
        dlc_error_respond(rs, &st, connect_style);
    return rc == 0;
}

ProtobufCMessage *dlc_gateway_input(const dlc_http_request *rq, const ProtobufCMessageDescriptor *desc,
                                    const char *binding, const dlc_route_match *m,
                                    dlc_arena *arena, bool connect_style, dlc_http_response *rs)
{
    ProtobufCMessage *msg = dlc_transcode_new(desc, arena);
    if (!apply_body(rq, msg, binding, arena, connect_style, rs))
        return NULL;
    dlc_status st;
    dlc_status_clear(&st);
    for (size_t i = 0; m && i < m->n_vars; i++) {
        if (dlc_transcode_set_text(msg, m->vars[i].name, m->vars[i].value, arena, &st) != 0) {
            dlc_error_respond(rs, &st, connect_style);
            return NULL;
        }
    }
    /* google.api.http: with body "*" nothing is left for the query (and
     * credentials must not travel in URLs, where logs keep them). */
    bool body_takes_all = binding && strcmp(binding, "*") == 0;
    if (rq->query[0] && !body_takes_all && !apply_query(msg, rq->query, m, arena, &st)) {
        dlc_error_respond(rs, &st, connect_style);
        return NULL;
    }
    return msg;
}

/* ---- the pipeline ------------------------------------------------------------ */

static void not_routed(dlc_route_result r, const dlc_route_match *m, dlc_http_response *rs)
{
    dlc_status st;
    dlc_status_clear(&st);
    if (r == DLC_ROUTE_METHOD_NOT_ALLOWED) {
        dlc_http_add_header(rs, "Allow", m->allow);
        dlc_http_set_json(rs, 405, json_pack("{s:s,s:s}", "error", "method_not_allowed",
                                             "message", "method not allowed on this route"));
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
    ProtobufCMessage *in = dlc_gateway_input(rq, md->input, ep->body, m, &arena, false, rs);
    if (in)
        dlc_gateway_invoke(gw, rq, ep->rpc, in, ep->status, false, rs);
    dlc_arena_destroy(&arena);
}

void dlc_gateway_handle(void *app, const dlc_http_request *rq, dlc_http_response *rs)
{
    dlc_gateway *gw = app;
    dlc_route_match m;
    dlc_route_result r = dlc_router_match(gw->router, rq->method, rq->path, &m);
    const dlc_endpoint *ep = r == DLC_ROUTE_FOUND ? m.route->target : NULL;
    rs->route = ep ? (int)(ep - dlc_endpoints) + 1 : 0; /* access log, metrics */
    if (!ep)
        not_routed(r, &m, rs);
    else if (ep->local)
        ep->local(gw, rq, &m, rs);
    else
        call_endpoint(gw, ep, rq, &m, rs);
}
