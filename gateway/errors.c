/* dlc_error: RPC statuses and HTTP-level errors as HTTP answers, one body
 * shape for all (errors.h). */
#include "gateway/errors.h"

#include <stdio.h>
#include <string.h>

static const int HTTP_FOR_CODE[] = {
    [DLC_OK] = 200,
    [DLC_CANCELLED] = 499,
    [DLC_UNKNOWN] = 500,
    [DLC_INVALID_ARGUMENT] = 400,
    [DLC_DEADLINE_EXCEEDED] = 504,
    [DLC_NOT_FOUND] = 404,
    [DLC_ALREADY_EXISTS] = 409,
    [DLC_PERMISSION_DENIED] = 403,
    [DLC_RESOURCE_EXHAUSTED] = 429,
    [DLC_FAILED_PRECONDITION] = 400,
    [DLC_ABORTED] = 409,
    [DLC_OUT_OF_RANGE] = 400,
    [DLC_UNIMPLEMENTED] = 501,
    [DLC_INTERNAL] = 500,
    [DLC_UNAVAILABLE] = 503,
    [DLC_DATA_LOSS] = 500,
    [DLC_UNAUTHENTICATED] = 401,
};

/* Reasons whose HTTP status is not their code's. */
static const struct {
    const char *reason;
    int status;
} HTTP_FOR_REASON[] = {
    /* same key, another request: RFC draft "The Idempotency-Key HTTP
     * Header Field" answers 422 */
    {"idempotency_key_reused", 422},
};

static int http_status(const dlc_status *st)
{
    for (size_t i = 0; i < sizeof HTTP_FOR_REASON / sizeof HTTP_FOR_REASON[0]; i++)
        if (strcmp(st->reason, HTTP_FOR_REASON[i].reason) == 0)
            return HTTP_FOR_REASON[i].status;
    if ((unsigned)st->code >= sizeof HTTP_FOR_CODE / sizeof HTTP_FOR_CODE[0])
        return 500;
    return HTTP_FOR_CODE[st->code];
}

/* Connect spells CANCELLED with one L; every other name is gRPC's. */
static const char *connect_name(dlc_code code)
{
    return code == DLC_CANCELLED ? "canceled" : dlc_code_name(code);
}

static json_t *details(const dlc_status *st)
{
    json_t *arr = json_array();
    for (size_t i = 0; i < st->n_violations; i++)
        json_array_append_new(arr, json_pack("{s:s,s:s}", "field", st->violations[i].field,
                                             "description", st->violations[i].description));
    return arr;
}

/* What an error says when its own text cannot be sent (not UTF-8: a
 * client's bytes echoed in it): never an empty body. */
#define FALLBACK_MESSAGE "the request failed; its error message could not be encoded"

void dlc_error_respond(dlc_http_response *rs, const dlc_status *st, bool connect_style)
{
    const char *name = connect_style ? connect_name(st->code) : dlc_status_reason(st);
    const char *key = connect_style ? "code" : "error";
    json_t *body = json_pack("{s:s,s:s}", key, name, "message", st->message);
    if (!body)
        body = json_pack("{s:s,s:s}", key, dlc_code_name(st->code), "message", FALLBACK_MESSAGE);
    json_t *d = st->n_violations ? details(st) : NULL;
    if (d && json_array_size(d) == st->n_violations)
        json_object_set_new(body, "details", d);
    else
        json_decref(d);
    if (st->retry_after_ms) {
        char secs[16];
        snprintf(secs, sizeof secs, "%u", (st->retry_after_ms + 999) / 1000);
        dlc_http_add_header(rs, "Retry-After", secs);
    }
    dlc_http_set_json(rs, http_status(st), body);
}

void dlc_error_invalid(dlc_http_response *rs, const char *field, const char *message,
                       bool connect_style)
{
    dlc_status st;
    dlc_status_clear(&st);
    dlc_status_set(&st, DLC_INVALID_ARGUMENT, NULL, "%s", message);
    if (field)
        dlc_status_violation(&st, field, "%s", message);
    dlc_error_respond(rs, &st, connect_style);
}

/* The REST (or Connect) body of an error that has no dlc_status. */
static void respond_plain(dlc_http_response *rs, int status, const char *name,
                          const char *message, bool connect_style)
{
    dlc_http_set_json(rs, status,
                      json_pack("{s:s,s:s}", connect_style ? "code" : "error", name, "message",
                                message));
}

void dlc_error_unsupported_media_type(dlc_http_response *rs, bool connect_style)
{
    respond_plain(rs, 415, connect_style ? "invalid_argument" : "unsupported_media_type",
                  "the body must be application/json", connect_style);
}

void dlc_error_method_not_allowed(dlc_http_response *rs, const char *allow)
{
    dlc_http_add_header(rs, "Allow", allow);
    respond_plain(rs, 405, "method_not_allowed", "method not allowed on this route", false);
}
