/*
 * dlc_call: what a handler sees of one request. Built by the server loop
 * for each request; valid only during the handler. All memory a handler
 * needs comes from call->arena (released after the response is sent).
 */
#ifndef DLC_CALL_H
#define DLC_CALL_H

#include "common/trace.h"
#include "rpc/runtime/arena.h"
#include "rpc/runtime/envelope.h"
#include "rpc/runtime/status.h"

#include <stdint.h>

#define DLC_CALL_MAX_MD 16

typedef struct dlc_call {
    const char *method;     /* full name */
    const char *request_id; /* never NULL: the client's, or generated */
    int64_t deadline_ms;    /* on dlc_clock_mono_ms's clock */
    const Dlc__Rpc__V1__Request *request;
    void *app;              /* the server's application state (the core) */
    void *worker;           /* the serving loop's state (e.g. its DB pool) */
    const void *principal;  /* who calls, set by the authorize hook (or NULL) */
    void *guard;            /* the server guard's state for this call (or NULL) */
    const char *peer;       /* the connection's other end: "tcp:ADDR" (no port),
                               "ipc:pid:N", or "" when unknown; never NULL */
    dlc_trace_ctx trace;    /* this call's span (rpc/runtime/rpc_trace.h) */
    dlc_arena *arena;
    dlc_status status;
    dlc_md response_md[DLC_CALL_MAX_MD];
    size_t n_response_md;
} dlc_call;

/* Request metadata by key (case-insensitive), or NULL. */
const char *dlc_call_md(const dlc_call *call, const char *key);

/* Adds response metadata; key and value are copied into the arena.
 * Silently ignored past DLC_CALL_MAX_MD (a programming error; logged). */
void dlc_call_add_md(dlc_call *call, const char *key, const char *value);

/* Sets call->status and returns code. */
dlc_code dlc_call_fail(dlc_call *call, dlc_code code, const char *reason, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Milliseconds left before the deadline (≤ 0 when passed). */
int64_t dlc_call_remaining_ms(const dlc_call *call);

/* A new output message of desc from the call's arena. */
ProtobufCMessage *dlc_call_message(dlc_call *call, const ProtobufCMessageDescriptor *desc);

#endif
