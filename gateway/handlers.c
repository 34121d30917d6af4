/* dlc_handlers: the routes the gateway answers with code of its own (handlers.h). */
#include "gateway/handlers.h"

#include "common/clock.h"
#include "dlc/v1/system.pb-c.h"
#include "dlc_version.h"
#include "gateway/bind.h"
#include "gateway/errors.h"
#include "gateway/transcode.h"
#include "rpc/runtime/contract.h"

#include <stdio.h>
#include <string.h>

#define CHECK "dlc.v1.SystemService/Check"
#define GET_INFO "dlc.v1.SystemService/GetInfo"

void dlc_handlers_health(dlc_gateway *gw, const dlc_http_request *rq, const dlc_route_match *m,
                      dlc_http_response *rs)
{
    (void)gw, (void)rq, (void)m;
    dlc_http_set_json(rs, 200, json_pack("{s:s}", "status", "healthy"));
}

/* Liveness of this gateway process: answers without the core. */
void dlc_handlers_healthz(dlc_gateway *gw, const dlc_http_request *rq, const dlc_route_match *m,
                       dlc_http_response *rs)
{
    (void)rq, (void)m;
    char now[32];
    int64_t wall = dlc_clock_wall_ms();
    dlc_http_set_json(rs, 200,
                      json_pack("{s:s,s:s,s:I,s:s}", "status", "healthy", "version", DLC_VERSION,
                                "uptime_seconds", (json_int_t)((wall - gw->start_wall_ms) / 1000),
                                "timestamp", dlc_clock_rfc3339(wall, now, sizeof now)));
}

static json_t *conn_status(const char *status, const char *error)
{
    json_t *j = json_pack("{s:s}", "status", status);
    if (error && error[0])
        json_object_set_new(j, "error", json_string(error));
    return j;
}

/* Readiness: the core answers Check and says SERVING. While draining the
 * answer is 503 at once, without asking a core that may be stalled. */
void dlc_handlers_ready(dlc_gateway *gw, const dlc_http_request *rq, const dlc_route_match *m,
                     dlc_http_response *rs)
{
    (void)m;
    if (atomic_load(&gw->draining)) {
        dlc_http_set_json(rs, 503,
                          json_pack("{s:b,s:s,s:{s:o,s:o}}", "ready", 0, "reason", "shutting_down",
                                    "connections", "rpc", conn_status("unknown", NULL),
                                    "database", conn_status("unknown", NULL)));
        return;
    }
    Dlc__V1__HealthCheckRequest in = DLC__V1__HEALTH_CHECK_REQUEST__INIT;
    dlc_client_reply reply;
    dlc_gateway_call(gw, rq, CHECK, &in.base, &reply);
    Dlc__V1__HealthCheckResponse *out = (Dlc__V1__HealthCheckResponse *)dlc_client_reply_unpack(
        &reply, &dlc__v1__health_check_response__descriptor);
    bool rpc_ok = out != NULL;
    bool db_ok = out && out->status == DLC__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__SERVING;
    bool draining = atomic_load(&gw->draining); /* it may have begun meanwhile */
    json_t *conns = json_pack(
        "{s:o,s:o}", "rpc", conn_status(rpc_ok ? "healthy" : "unhealthy", rpc_ok ? NULL : reply.status.message),
        "database", rpc_ok ? conn_status(db_ok ? "healthy" : "unhealthy", out->error)
                           : conn_status("unknown", NULL));
    /* the core says why it is not serving (database_unhealthy, shutting_down) */
    const char *core_reason = rpc_ok && out->reason[0] ? out->reason : "database_unhealthy";
    const char *reason = draining ? "shutting_down" : !rpc_ok ? "rpc_unavailable"
                                                   : !db_ok   ? core_reason
                                                              : NULL;
    json_t *body = json_pack("{s:b,s:o}", "ready", reason == NULL, "connections", conns);
    if (reason)
        json_object_set_new(body, "reason", json_string(reason));
    dlc_http_set_json(rs, reason ? 503 : 200, body);
    if (out)
        protobuf_c_message_free_unpacked(&out->base, NULL);
    dlc_client_reply_free(&reply);
}

void dlc_handlers_version(dlc_gateway *gw, const dlc_http_request *rq, const dlc_route_match *m,
                       dlc_http_response *rs)
{
    (void)gw, (void)m;
    char format[16], text[512];
    if (dlc_bind_query_param(rq->query, "format", format, sizeof format) < 0)
        snprintf(format, sizeof format, "?"); /* unreadable: refused below */
    if (!format[0] || strcmp(format, "json") == 0) {
        dlc_http_set_json(rs, 200, json_pack("{s:s,s:s,s:s,s:s}", "version", DLC_VERSION, "commit",
                                             DLC_COMMIT, "build_date", DLC_BUILD_DATE, "compiler",
                                             DLC_COMPILER));
    } else if (strcmp(format, "plain") == 0 || strcmp(format, "short") == 0) {
        dlc_http_set_text(rs, 200, DLC_VERSION);
    } else if (strcmp(format, "full") == 0) {
        snprintf(text, sizeof text, "Version: %s\nCommit: %s\nBuilt: %s\nCompiler: %s",
                 DLC_VERSION, DLC_COMMIT, DLC_BUILD_DATE, DLC_COMPILER);
        dlc_http_set_text(rs, 200, text);
    } else {
        dlc_error_invalid(rs, "format", "format must be json, plain, short or full", false);
    }
}

/* GetInfo from the core; NULL with rs answered on failure. Caller frees. */
static Dlc__V1__GetInfoResponse *get_info(dlc_gateway *gw, const dlc_http_request *rq,
                                          dlc_http_response *rs)
{
    Dlc__V1__GetInfoRequest in = DLC__V1__GET_INFO_REQUEST__INIT;
    return (Dlc__V1__GetInfoResponse *)dlc_gateway_fetch(
        gw, rq, GET_INFO, &in.base, &dlc__v1__get_info_response__descriptor, false, rs);
}

void dlc_handlers_info(dlc_gateway *gw, const dlc_http_request *rq, const dlc_route_match *m,
                    dlc_http_response *rs)
{
    (void)m;
    Dlc__V1__GetInfoResponse *info = get_info(gw, rq, rs);
    if (!info)
        return;
    uint64_t gateway_gen;
    dlc_reload_config(gw->live, &gateway_gen);
    dlc_http_set_json(rs, 200,
                      json_pack("{s:s,s:s%,s:s,s:I,s:b,s:s,s:s,s:I,s:I}", "version", info->version,
                                "commit_short", info->commit, strlen(info->commit) < 7 ? strlen(info->commit) : (size_t)7,
                                "build_date", info->build_date, "uptime_seconds",
                                (json_int_t)info->uptime_seconds, "cache_enabled",
                                info->cache_enabled, "healthz_status", "healthy", "compiler",
                                info->compiler, "config_generation",
                                (json_int_t)info->config_generation, "gateway_config_generation",
                                (json_int_t)gateway_gen));
    protobuf_c_message_free_unpacked(&info->base, NULL);
}

void dlc_handlers_uptime(dlc_gateway *gw, const dlc_http_request *rq, const dlc_route_match *m,
                      dlc_http_response *rs)
{
    (void)m;
    Dlc__V1__GetInfoResponse *info = get_info(gw, rq, rs);
    if (!info)
        return;
    dlc_http_set_json(rs, 200, json_pack("{s:s,s:I}", "start_time", info->start_time,
                                         "uptime_seconds", (json_int_t)info->uptime_seconds));
    protobuf_c_message_free_unpacked(&info->base, NULL);
}

static const char *var(const dlc_route_match *m, const char *name)
{
    for (size_t i = 0; i < m->n_vars; i++) {
        if (strcmp(m->vars[i].name, name) == 0)
            return m->vars[i].value;
    }
    return "";
}

void dlc_handlers_rpc(dlc_gateway *gw, const dlc_http_request *rq, const dlc_route_match *m,
                   dlc_http_response *rs)
{
    char method[512];
    snprintf(method, sizeof method, "%s/%s", var(m, "service"), var(m, "method"));
    const ProtobufCMethodDescriptor *md = dlc_contract_find(method);
    if (!md) {
        dlc_status st;
        dlc_status_clear(&st);
        dlc_status_set(&st, DLC_UNIMPLEMENTED, NULL, "unknown method %.400s", method);
        dlc_error_respond(rs, &st, true);
        return;
    }
    dlc_arena arena;
    dlc_arena_init(&arena, 4096);
    /* Connect unary POST: the body ("*") is the whole input, the query is ignored */
    ProtobufCMessage *in = dlc_bind_input(rq, md->input, "*", NULL, &arena, true, rs);
    if (in)
        dlc_gateway_invoke(gw, rq, method, in, 200, true, rs);
    dlc_arena_destroy(&arena);
}
