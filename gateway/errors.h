/*
 * dlc_error: how an RPC status becomes an HTTP answer. Status codes follow
 * google.rpc's mapping (NOT_FOUND → 404, RESOURCE_EXHAUSTED → 429, …).
 * REST body: {"error": reason or snake_case(code), "message": …} plus
 * "details": [{"field","description"}] when there are field violations.
 * /rpc body (Connect unary): {"code": connect name, "message": …}.
 * retry_after_ms becomes Retry-After (whole seconds, rounded up).
 */
#ifndef DLC_ERRORS_H
#define DLC_ERRORS_H

#include "gateway/http.h"
#include "rpc/runtime/status.h"

#include <stdbool.h>

/* Fills rs with st as a REST error (connect_style false) or a Connect one. */
void dlc_error_respond(dlc_http_response *rs, const dlc_status *st, bool connect_style);

/* Shorthand: INVALID_ARGUMENT naming field (NULL: none) → 400. */
void dlc_error_invalid(dlc_http_response *rs, const char *field, const char *message,
                       bool connect_style);

/* Errors of HTTP itself rather than of a call, in the same body shape:
 * 415 when the body is not JSON (Connect style: invalid_argument), and 405
 * with the Allow header naming the route's methods. */
void dlc_error_unsupported_media_type(dlc_http_response *rs, bool connect_style);
void dlc_error_method_not_allowed(dlc_http_response *rs, const char *allow);

#endif
