#include "rpc/core/services/greet.h"

#include "common/text.h"
#include "dlc/v1/greet.pb-c.h"
#include "rpc/core/core.h"

#include <string.h>

/* A name is optional; when given it must be short printable UTF-8. */
static dlc_code check_name(dlc_call *call, const char *name)
{
    dlc_text_rc rc = dlc_text_check(name, strlen(name), DLC_GREET_NAME_MAX_CHARS, false);
    if (rc == DLC_TEXT_OK)
        return DLC_OK;
    if (rc == DLC_TEXT_TOO_LONG)
        dlc_status_violation(&call->status, "name", "must be at most %d characters",
                             DLC_GREET_NAME_MAX_CHARS);
    else
        dlc_status_violation(&call->status, "name", "%s", dlc_text_rc_describe(rc));
    return dlc_call_fail(call, DLC_INVALID_ARGUMENT, "invalid_argument", "invalid name");
}

static dlc_code reply(dlc_call *call, ProtobufCMessage **out, char *message)
{
    Dlc__V1__GreetResponse *resp =
        (Dlc__V1__GreetResponse *)dlc_call_message(call, &dlc__v1__greet_response__descriptor);
    if (!resp || !message)
        return dlc_call_fail(call, DLC_INTERNAL, NULL, "out of memory");
    resp->message = message;
    *out = &resp->base;
    return DLC_OK;
}

static dlc_code greet_v1(dlc_call *call, const ProtobufCMessage *in, ProtobufCMessage **out)
{
    const Dlc__V1__GreetRequest *req = (const Dlc__V1__GreetRequest *)in;
    if (check_name(call, req->name) != DLC_OK)
        return call->status.code;
    const char *who = req->name[0] ? req->name : "world";
    return reply(call, out, dlc_arena_printf(call->arena, "Hello %s!", who));
}

static dlc_code greet_v2(dlc_call *call, const ProtobufCMessage *in, ProtobufCMessage **out)
{
    const Dlc__V1__GreetRequest *req = (const Dlc__V1__GreetRequest *)in;
    if (!dlc_core_config(call)->api.v2_enabled)
        return dlc_call_fail(call, DLC_NOT_FOUND, "not_found", "v2 API is currently disabled");
    if (check_name(call, req->name) != DLC_OK)
        return call->status.code;
    char *msg = req->name[0] ? dlc_arena_printf(call->arena, "Hello my friend %s!", req->name)
                             : dlc_arena_strdup(call->arena, "Hello my friend!");
    return reply(call, out, msg);
}

int dlc_greet_register(dlc_dispatch *d, char *err, size_t errlen)
{
    static const dlc_binding bindings[] = {
        {"Greet", DLC_ACCESS_PUBLIC, greet_v1},
        {"GreetV2", DLC_ACCESS_PUBLIC, greet_v2},
    };
    return dlc_dispatch_add_service(d, &dlc__v1__greet_service__descriptor, bindings, 2, err,
                                    errlen);
}
