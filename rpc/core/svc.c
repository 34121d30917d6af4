/*
 * dlc_svc: the helpers handlers share, on top of the loop's service
 * context: database failures as call statuses, times as messages carry
 * them, and the response cache.
 */
#include "rpc/core/svc.h"

#include "common/clock.h"
#include "common/log.h"
#include "rpc/core/idempotency.h"
#include "storage/system.h"

#include <stdio.h>
#include <stdlib.h>

dlc_svc *dlc_svc_of(const dlc_call *call)
{
    return call->worker;
}

dlc_db *dlc_svc_db(const dlc_call *call)
{
    dlc_db *tx = dlc_idem_db(call);
    return tx ? tx : dlc_svc_of(call)->db;
}

dlc_db *dlc_svc_pool(const dlc_call *call)
{
    return dlc_svc_of(call)->db;
}

char *dlc_svc_time(dlc_call *call, int64_t wall_ms)
{
    char *buf = dlc_arena_alloc(call->arena, 32);
    if (buf && wall_ms == 0)
        buf[0] = '\0';
    else if (buf)
        dlc_clock_rfc3339(wall_ms, buf, 32);
    return buf;
}

const dlc_config *dlc_svc_config(const dlc_call *call)
{
    return dlc_reload_config(dlc_svc_of(call)->live, NULL);
}

/* Lines a second about failed database calls: an outage fails every call. */
#define DB_FAIL_LINES_PER_S 10

dlc_code dlc_svc_db_fail(dlc_call *call, dlc_db_rc rc, const char *what, const char *errmsg)
{
    static dlc_log_limit limit;
    int held;
    if (dlc_log_limit_take(&limit, DB_FAIL_LINES_PER_S, &held)) {
        char n[16];
        snprintf(n, sizeof n, "%d", held);
        dlc_log_warn("database call failed", "request_id", call->request_id, "what", what, "rc",
                     dlc_db_rc_name(rc), "error", errmsg ? errmsg : "", "suppressed", n);
    }
    switch (rc) {
    case DLC_DB_TIMEOUT:
        return dlc_call_fail(call, DLC_DEADLINE_EXCEEDED, NULL, "deadline exceeded");
    case DLC_DB_UNAVAILABLE:
        return dlc_call_fail(call, DLC_UNAVAILABLE, NULL, "the database is unavailable");
    default:
        return dlc_call_fail(call, DLC_INTERNAL, NULL, "internal error");
    }
}

ProtobufCMessage *dlc_svc_cache_get(dlc_call *call, const char *key,
                                    const ProtobufCMessageDescriptor *desc)
{
    dlc_cache *cache = dlc_svc_of(call)->cache;
    if (!cache)
        return NULL;
    void *bytes = NULL;
    size_t len = 0;
    ProtobufCMessage *msg = NULL;
    if (dlc_cache_get(cache, key, dlc_clock_mono_ms(), &bytes, &len))
        msg = protobuf_c_message_unpack(desc, &call->arena->pb, len, bytes);
    free(bytes);
    dlc_call_add_md(call, "x-cache", msg ? "HIT" : "MISS");
    return msg;
}

void dlc_svc_cache_put(dlc_call *call, const char *key, const ProtobufCMessage *msg, int ttl_s)
{
    dlc_cache *cache = dlc_svc_of(call)->cache;
    size_t len = cache ? protobuf_c_message_get_packed_size(msg) : 0;
    uint8_t *bytes = cache ? dlc_arena_alloc(call->arena, len ? len : 1) : NULL;
    if (!bytes)
        return; /* no cache, or no memory: the answer is simply not kept */
    protobuf_c_message_pack(msg, bytes);
    dlc_cache_put(cache, key, bytes, len, (int64_t)ttl_s * 1000, dlc_clock_mono_ms());
}

long dlc_svc_cache_flush(dlc_call *call)
{
    dlc_cache *cache = dlc_svc_of(call)->cache;
    if (!cache)
        return -2;
    /* Here first: our own NOTIFY also reaches this core's housekeeping
     * thread, which would otherwise empty the cache before we count. */
    long n = (long)dlc_cache_flush(cache, dlc_clock_mono_ms());
    dlc_db_rc rc = dlc_system_db_announce_flush(dlc_svc_db(call), call->deadline_ms);
    if (rc != DLC_DB_OK) {
        dlc_svc_db_fail(call, rc, "cache flush", NULL);
        return -1;
    }
    return n;
}
