/*
 * dlc_dispatch: the core's method table. Full method name
 * ("dlc.v1.GreetService/Greet") → input/output descriptors, access level,
 * handler. Services are added from their protoc-c service descriptors, so
 * the table can never disagree with the contract: every method of a service
 * must be bound, and every binding must name a method of that service.
 */
#ifndef DLC_DISPATCH_H
#define DLC_DISPATCH_H

#include "rpc/runtime/call.h"

#include <protobuf-c/protobuf-c.h>
#include <stddef.h>

typedef enum {
    DLC_ACCESS_PUBLIC = 0, /* anyone */
    DLC_ACCESS_USER,       /* a valid token of a user (or admin) */
    DLC_ACCESS_ADMIN,      /* a valid admin token */
} dlc_access;

/* A handler fills *out (allocated from the call's arena) and returns OK, or
 * returns a failure code after setting call->status (dlc_call_fail). */
typedef dlc_code (*dlc_handler)(dlc_call *call, const ProtobufCMessage *in, ProtobufCMessage **out);

/* The method changes state: the server's guard (dlc_server_guard) runs
 * around it, so a repeat with the same idempotency key replays the first
 * answer instead of running twice. */
#define DLC_METHOD_WRITES 1u

typedef struct {
    const char *method; /* short name, e.g. "Greet" */
    dlc_access access;
    dlc_handler handler;
    unsigned flags; /* DLC_METHOD_* */
} dlc_binding;

typedef struct {
    const char *full_name; /* owned by the table */
    const ProtobufCMessageDescriptor *input;
    const ProtobufCMessageDescriptor *output;
    dlc_access access;
    dlc_handler handler;
    unsigned flags;
} dlc_method;

typedef struct dlc_dispatch dlc_dispatch;

dlc_dispatch *dlc_dispatch_new(void);
void dlc_dispatch_free(dlc_dispatch *d);

/* Adds every method of svc with its binding. Returns 0, or -1 with err
 * filled (unbound method, binding of an unknown method, duplicate). */
int dlc_dispatch_add_service(dlc_dispatch *d, const ProtobufCServiceDescriptor *svc,
                             const dlc_binding *bindings, size_t n, char *err, size_t errlen);

/* O(log n); NULL when unknown. Safe from many threads once built. */
const dlc_method *dlc_dispatch_find(const dlc_dispatch *d, const char *full_name);

size_t dlc_dispatch_count(const dlc_dispatch *d);
const dlc_method *dlc_dispatch_at(const dlc_dispatch *d, size_t i);

#endif
