/*
 * dlc_status: the one error model. A handler's outcome, a transport failure
 * and a decoded Response status are all a dlc_status; it maps 1:1 onto
 * dlc.rpc.v1.Status. The types are public (include/dlc/status.h); the
 * functions that build and convert statuses are dlc's own.
 */
#ifndef DLC_STATUS_H
#define DLC_STATUS_H

#include "dlc/status.h"

#include <stddef.h>
#include <stdint.h>

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

/* Views st as a protobuf Status. pb, vbuf and vptrs are caller storage
 * (vbuf/vptrs of DLC_STATUS_MAX_VIOLATIONS entries); strings point into st,
 * which must outlive pb. */
void dlc_status_to_proto(const dlc_status *st, Dlc__Rpc__V1__Status *pb,
                         Dlc__Rpc__V1__FieldViolation *vbuf, Dlc__Rpc__V1__FieldViolation **vptrs);
/* Copies a protobuf Status (NULL means OK) into st, truncating long strings. */
void dlc_status_from_proto(dlc_status *st, const Dlc__Rpc__V1__Status *pb);

#endif
