/*
 * AdminService/FlushCache: empties the response cache of every core, for an
 * admin token or the master password.
 */
#include "rpc/core/services/admin/cache.h"

#include "common/clock.h"
#include "dlc/v1/admin.pb-c.h"
#include "rpc/core/auth/auth.h"
#include "rpc/core/services/account.h"
#include "rpc/core/svc.h"

/* An admin token, or the master password (as AdminLogin checks it). */
static dlc_code check_admin(dlc_call *call)
{
    bool failed = false;
    const dlc_principal *who = dlc_auth_optional(call, &failed);
    if (failed)
        return call->status.code;
    if (who && who->is_admin)
        return DLC_OK;
    if (who)
        return dlc_call_fail(call, DLC_PERMISSION_DENIED, "forbidden", "admin access required");
    const char *password = dlc_call_md(call, "x-admin-password");
    if (!password)
        return dlc_call_fail(call, DLC_UNAUTHENTICATED, "unauthorized",
                             "an admin token or X-Admin-Password is required");
    return dlc_account_check_master(call, password);
}

dlc_code dlc_svc_admin_cache_flush(dlc_call *call, const ProtobufCMessage *in,
                                   ProtobufCMessage **out)
{
    (void)in;
    if (check_admin(call) != DLC_OK)
        return call->status.code;
    long n = dlc_svc_cache_flush(call);
    if (n == -2)
        return dlc_call_fail(call, DLC_UNAVAILABLE, "cache_disabled", "the cache is disabled");
    if (n < 0)
        return call->status.code;
    Dlc__V1__FlushCacheResponse *r = (Dlc__V1__FlushCacheResponse *)dlc_call_message(
        call, &dlc__v1__flush_cache_response__descriptor);
    char *when = dlc_arena_alloc(call->arena, 32);
    if (!r || !when)
        return dlc_call_fail(call, DLC_INTERNAL, NULL, "out of memory");
    r->flushed = true;
    r->items_flushed = n;
    r->timestamp = dlc_clock_rfc3339(dlc_clock_wall_ms(), when, 32);
    *out = &r->base;
    return DLC_OK;
}
