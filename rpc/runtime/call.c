/*
 * dlc_call: what handlers use of a call — metadata, failing with a status,
 * the time left before the deadline.
 */
#include "rpc/runtime/call.h"

#include "common/clock.h"
#include "common/log.h"

#include <stdarg.h>
#include <stdio.h>

const char *dlc_call_md(const dlc_call *call, const char *key)
{
    return dlc_envelope_md_get(call->request->metadata, call->request->n_metadata, key);
}

void dlc_call_add_md(dlc_call *call, const char *key, const char *value)
{
    if (call->n_response_md >= DLC_CALL_MAX_MD) {
        dlc_log_error("response metadata dropped", "method", call->method, "key", key);
        return;
    }
    dlc_md *m = &call->response_md[call->n_response_md++];
    m->key = dlc_arena_strdup(call->arena, key);
    m->value = dlc_arena_strdup(call->arena, value);
}

dlc_code dlc_call_fail(dlc_call *call, dlc_code code, const char *reason, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char msg[sizeof call->status.message];
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return dlc_status_set(&call->status, code, reason, "%s", msg);
}

int64_t dlc_call_remaining_ms(const dlc_call *call)
{
    return call->deadline_ms - dlc_clock_mono_ms();
}

ProtobufCMessage *dlc_call_message(dlc_call *call, const ProtobufCMessageDescriptor *desc)
{
    return dlc_arena_message(call->arena, desc);
}
