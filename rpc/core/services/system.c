/*
 * SystemService: Check (health) and GetInfo, with the reflection methods
 * of reflection.c bound alongside.
 */
#include "rpc/core/services/system.h"

#include "common/clock.h"
#include "dlc/v1/system.pb-c.h"
#include "dlc_version.h"
#include "rpc/core/services/reflection.h"
#include "rpc/core/svc.h"
#include "storage/system.h"

#include <string.h>

#define SERVING DLC__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__SERVING
#define NOT_SERVING DLC__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__NOT_SERVING

/* grpc.health.v1: "" is the server as a whole; services are named fully. */
static bool known_service(const dlc_call *call, const char *name)
{
    if (name[0] == '\0')
        return true;
    const dlc_dispatch *d = dlc_svc_of(call)->dispatch;
    size_t len = strlen(name);
    for (size_t i = 0; i < dlc_dispatch_count(d); i++) {
        const char *full = dlc_dispatch_at(d, i)->full_name;
        if (strncmp(full, name, len) == 0 && full[len] == '/')
            return true;
    }
    return false;
}

/* Fills resp from the database probe; the deadline bounds the probe, and a
 * probe cut short by it fails the call rather than blaming the database. */
static dlc_code probe_database(dlc_call *call, Dlc__V1__HealthCheckResponse *resp)
{
    char errbuf[256] = "";
    dlc_db_rc rc = dlc_system_db_health(dlc_svc_db(call), call->deadline_ms, errbuf, sizeof errbuf);
    if (rc == DLC_DB_TIMEOUT && dlc_call_remaining_ms(call) <= 0)
        return dlc_svc_db_fail(call, rc, "health probe", errbuf);
    resp->status = rc == DLC_DB_OK ? SERVING : NOT_SERVING;
    if (rc != DLC_DB_OK) {
        resp->reason = "database_unhealthy";
        resp->error = dlc_arena_printf(call->arena, "database %s", dlc_db_rc_name(rc));
    }
    return DLC_OK;
}

static dlc_code check(dlc_call *call, const ProtobufCMessage *in, ProtobufCMessage **out)
{
    const Dlc__V1__HealthCheckRequest *req = (const Dlc__V1__HealthCheckRequest *)in;
    if (!known_service(call, req->service))
        return dlc_call_fail(call, DLC_NOT_FOUND, "not_found", "unknown service %.100s",
                             req->service);
    Dlc__V1__HealthCheckResponse *resp = (Dlc__V1__HealthCheckResponse *)dlc_call_message(
        call, &dlc__v1__health_check_response__descriptor);
    if (!resp)
        return dlc_call_fail(call, DLC_INTERNAL, NULL, "out of memory");
    *out = &resp->base;
    if (!atomic_load(dlc_svc_of(call)->shutting_down))
        return probe_database(call, resp);
    resp->status = NOT_SERVING;
    resp->reason = "shutting_down";
    return DLC_OK;
}

/* Cached (cache.default_ttl_seconds) under the config generation, so a
 * reload is visible at once; the uptime is always the current one. */
static dlc_code get_info(dlc_call *call, const ProtobufCMessage *in, ProtobufCMessage **out)
{
    (void)in;
    const dlc_svc *svc = dlc_svc_of(call);
    uint64_t gen;
    const dlc_config *cfg = dlc_reload_config(svc->live, &gen);
    char *key = dlc_arena_printf(call->arena, "info:%llu", (unsigned long long)gen);
    int64_t uptime_s = (dlc_clock_wall_ms() - svc->start_wall_ms) / 1000;
    if (key && (*out = dlc_svc_cache_get(call, key, &dlc__v1__get_info_response__descriptor))) {
        ((Dlc__V1__GetInfoResponse *)*out)->uptime_seconds = uptime_s; /* a clock, not data */
        return DLC_OK;
    }
    Dlc__V1__GetInfoResponse *resp =
        (Dlc__V1__GetInfoResponse *)dlc_call_message(call, &dlc__v1__get_info_response__descriptor);
    char *start = dlc_arena_alloc(call->arena, 32);
    if (!resp || !start)
        return dlc_call_fail(call, DLC_INTERNAL, NULL, "out of memory");
    resp->version = DLC_VERSION;
    resp->commit = DLC_COMMIT;
    resp->build_date = DLC_BUILD_DATE;
    resp->compiler = DLC_COMPILER;
    resp->start_time = dlc_clock_rfc3339(svc->start_wall_ms, start, 32);
    resp->uptime_seconds = uptime_s;
    resp->cache_enabled = cfg->cache.enabled;
    resp->config_generation = gen;
    *out = &resp->base;
    if (key)
        dlc_svc_cache_put(call, key, *out, cfg->cache.default_ttl_seconds);
    return DLC_OK;
}

int dlc_svc_system_register(dlc_dispatch *d, char *err, size_t errlen)
{
    static const dlc_binding bindings[] = {
        {"Check", DLC_ACCESS_PUBLIC, check, 0},
        {"GetInfo", DLC_ACCESS_PUBLIC, get_info, 0},
        /* admin or public by rpc.reflection: the handlers check */
        {"ListServices", DLC_ACCESS_PUBLIC, dlc_svc_reflection_list_services, 0},
        {"GetFileDescriptorSet", DLC_ACCESS_PUBLIC, dlc_svc_reflection_descriptor_set, 0},
    };
    return dlc_dispatch_add_service(d, &dlc__v1__system_service__descriptor, bindings,
                                    sizeof bindings / sizeof bindings[0], err, errlen);
}
