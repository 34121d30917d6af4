/*
 * dlc_status: the error model — code names, setting statuses and field
 * violations, conversion to and from dlc.rpc.v1.Status.
 */
#include "rpc/runtime/status.h"

#include "common/text.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const char *const CODE_NAMES[] = {
    "ok",           "cancelled",         "unknown",        "invalid_argument",
    "deadline_exceeded", "not_found",    "already_exists", "permission_denied",
    "resource_exhausted", "failed_precondition", "aborted", "out_of_range",
    "unimplemented", "internal",         "unavailable",    "data_loss",
    "unauthenticated",
};
#define N_CODES (sizeof CODE_NAMES / sizeof CODE_NAMES[0])

const char *dlc_code_name(dlc_code code)
{
    if ((unsigned)code >= N_CODES)
        return "unknown";
    return CODE_NAMES[code];
}

int dlc_code_from_name(const char *name, dlc_code *out)
{
    for (size_t i = 0; i < N_CODES; i++) {
        if (strcmp(name, CODE_NAMES[i]) == 0) {
            *out = (dlc_code)i;
            return 0;
        }
    }
    return -1;
}

void dlc_status_clear(dlc_status *st)
{
    st->code = DLC_OK;
    st->reason[0] = '\0';
    st->message[0] = '\0';
    st->n_violations = 0;
    st->retry_after_ms = 0;
}

static void copy_str(char *dst, size_t cap, const char *src)
{
    snprintf(dst, cap, "%s", src ? src : "");
    dlc_text_trim_utf8(dst);
}

dlc_code dlc_status_set(dlc_status *st, dlc_code code, const char *reason, const char *fmt, ...)
{
    st->code = code;
    copy_str(st->reason, sizeof st->reason, reason);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(st->message, sizeof st->message, fmt, ap);
    va_end(ap);
    dlc_text_trim_utf8(st->message);
    return code;
}

void dlc_status_violation(dlc_status *st, const char *field, const char *fmt, ...)
{
    if (st->n_violations >= DLC_STATUS_MAX_VIOLATIONS)
        return;
    dlc_violation *v = &st->violations[st->n_violations++];
    copy_str(v->field, sizeof v->field, field);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(v->description, sizeof v->description, fmt, ap);
    va_end(ap);
    dlc_text_trim_utf8(v->description);
}

const char *dlc_status_reason(const dlc_status *st)
{
    return st->reason[0] ? st->reason : dlc_code_name(st->code);
}

void dlc_status_to_proto(const dlc_status *st, Dlc__Rpc__V1__Status *pb,
                         Dlc__Rpc__V1__FieldViolation *vbuf, Dlc__Rpc__V1__FieldViolation **vptrs)
{
    dlc__rpc__v1__status__init(pb);
    pb->code = st->code;
    pb->message = (char *)st->message;
    pb->reason = (char *)dlc_status_reason(st);
    pb->retry_after_ms = st->retry_after_ms;
    for (size_t i = 0; i < st->n_violations; i++) {
        dlc__rpc__v1__field_violation__init(&vbuf[i]);
        vbuf[i].field = (char *)st->violations[i].field;
        vbuf[i].description = (char *)st->violations[i].description;
        vptrs[i] = &vbuf[i];
    }
    pb->n_field_violations = st->n_violations;
    pb->field_violations = st->n_violations ? vptrs : NULL;
}

void dlc_status_from_proto(dlc_status *st, const Dlc__Rpc__V1__Status *pb)
{
    dlc_status_clear(st);
    if (!pb)
        return;
    st->code = pb->code;
    copy_str(st->reason, sizeof st->reason, pb->reason);
    copy_str(st->message, sizeof st->message, pb->message);
    st->retry_after_ms = pb->retry_after_ms;
    for (size_t i = 0; i < pb->n_field_violations && i < DLC_STATUS_MAX_VIOLATIONS; i++) {
        dlc_violation *v = &st->violations[st->n_violations++];
        copy_str(v->field, sizeof v->field, pb->field_violations[i]->field);
        copy_str(v->description, sizeof v->description, pb->field_violations[i]->description);
    }
}
