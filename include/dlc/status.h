/*
 * dlc/status.h — part of libdlc-client's public API (and the one error
 * model inside dlc): status codes (google.rpc's, as dlc.rpc.v1.Code), the
 * status of a call with its stable reason and field violations, and call
 * metadata. Fixed-size, no allocation: copy freely.
 */
#ifndef DLC_PUBLIC_STATUS_H
#define DLC_PUBLIC_STATUS_H

#include <dlc/rpc/v1/envelope.pb-c.h>

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

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

/* One metadata entry of a call (keys lower-case: "authorization",
 * "idempotency-key", "x-request-id", "traceparent", …). */
typedef struct {
    const char *key;
    const char *value;
} dlc_md;

/* The reason, or snake_case(code) when none was given. */
const char *dlc_status_reason(const dlc_status *st);

/* "invalid_argument", "deadline_exceeded", …; "unknown" for out-of-range. */
const char *dlc_code_name(dlc_code code);
/* Inverse of dlc_code_name; 0 or -1. */
int dlc_code_from_name(const char *name, dlc_code *out);

#ifdef __cplusplus
}
#endif

#endif
