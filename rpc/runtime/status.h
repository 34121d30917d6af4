/*
 * dlc_status: the one error model. A handler's outcome, a transport failure
 * and a decoded Response status are all a dlc_status; it maps 1:1 onto
 * dlc.rpc.v1.Status. Fixed-size (no allocation), so it is copied freely.
 */
#ifndef DLC_STATUS_H
#define DLC_STATUS_H

#include "dlc/rpc/v1/envelope.pb-c.h"

#include <stddef.h>
#include <stdint.h>

typedef Dlc__Rpc__V1__Code dlc_code;

#define DLC_OK DLC__RPC__V1__CODE__OK
#define DLC_CANCELLED DLC__RPC__V1__CODE__CANCELLED
#define DLC_UNKNOWN DLC__RPC__V1__CODE__UNKNOWN
#define DLC_INVALID_ARGUMENT DLC__RPC__V1__CODE__INVALID_ARGUMENT
#define DLC_DEADLINE_EXCEEDED DLC__RPC__V1__CODE__DEADLINE_EXCEEDED
#define DLC_NOT_FOUND DLC__RPC__V1__CODE__NOT_FOUND
#define DLC_ALREADY_EXISTS DLC__RPC__V1__CODE__ALREADY_EXISTS
#define DLC_PERMISSION_DENIED DLC__RPC__V1__CODE__PERMISSION_DENIED
#define DLC_RESOURCE_EXHAUSTED DLC__RPC__V1__CODE__RESOURCE_EXHAUSTED
#define DLC_FAILED_PRECONDITION DLC__RPC__V1__CODE__FAILED_PRECONDITION
#define DLC_ABORTED DLC__RPC__V1__CODE__ABORTED
#define DLC_OUT_OF_RANGE DLC__RPC__V1__CODE__OUT_OF_RANGE
#define DLC_UNIMPLEMENTED DLC__RPC__V1__CODE__UNIMPLEMENTED
#define DLC_INTERNAL DLC__RPC__V1__CODE__INTERNAL
#define DLC_UNAVAILABLE DLC__RPC__V1__CODE__UNAVAILABLE
#define DLC_DATA_LOSS DLC__RPC__V1__CODE__DATA_LOSS
#define DLC_UNAUTHENTICATED DLC__RPC__V1__CODE__UNAUTHENTICATED

#define DLC_STATUS_MAX_VIOLATIONS 16

typedef struct {
    char field[64];
    char description[192];
} dlc_violation;

typedef struct {
    dlc_code code;
    char reason[64];   /* stable snake_case; "" means snake_case(code) */
    char message[256]; /* for humans */
    dlc_violation violations[DLC_STATUS_MAX_VIOLATIONS];
    size_t n_violations;
    uint32_t retry_after_ms;
} dlc_status;

/* Back to OK with nothing set. */
void dlc_status_clear(dlc_status *st);

/* Sets code, reason (NULL → snake_case(code)) and a printf message; keeps
 * violations already added. Returns code, so handlers can `return
 * dlc_status_set(…)`. */
dlc_code dlc_status_set(dlc_status *st, dlc_code code, const char *reason, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Adds a field violation (ignored past DLC_STATUS_MAX_VIOLATIONS). */
void dlc_status_violation(dlc_status *st, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* The reason, or snake_case(code) when none was given. */
const char *dlc_status_reason(const dlc_status *st);

/* "invalid_argument", "deadline_exceeded", …; "unknown" for out-of-range. */
const char *dlc_code_name(dlc_code code);
/* Inverse of dlc_code_name; 0 or -1. */
int dlc_code_from_name(const char *name, dlc_code *out);

/* Views st as a protobuf Status. pb, vbuf and vptrs are caller storage
 * (vbuf/vptrs of DLC_STATUS_MAX_VIOLATIONS entries); strings point into st,
 * which must outlive pb. */
void dlc_status_to_proto(const dlc_status *st, Dlc__Rpc__V1__Status *pb,
                         Dlc__Rpc__V1__FieldViolation *vbuf, Dlc__Rpc__V1__FieldViolation **vptrs);
/* Copies a protobuf Status (NULL means OK) into st, truncating long strings. */
void dlc_status_from_proto(dlc_status *st, const Dlc__Rpc__V1__Status *pb);

#endif
