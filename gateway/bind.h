/*
 * dlc_bind: request binding — an RPC input message from an HTTP request's
 * body, path variables and query (see bind.c).
 */
#ifndef DLC_BIND_H
#define DLC_BIND_H

#include "gateway/http.h"
#include "gateway/router.h"
#include "rpc/runtime/arena.h"

#include <protobuf-c/protobuf-c.h>
#include <stdbool.h>
#include <stddef.h>

/* Builds desc's input from the request: the body (binding NULL: none; "*":
 * whole message; else that field), then the path variables of m (may be
 * NULL), then the query parameters. On failure answers rs (400/415, REST or
 * Connect style) and returns NULL. The message lives in arena. */
ProtobufCMessage *dlc_bind_input(const dlc_http_request *rq, const ProtobufCMessageDescriptor *desc,
                                 const char *binding, const dlc_route_match *m, dlc_arena *arena,
                                 bool connect_style, dlc_http_response *rs);

/* The percent-decoded value of query parameter name into out (len bytes):
 * 1; 0 when absent (out ""); -1 when malformed or longer than out. */
int dlc_bind_query_param(const char *query, const char *name, char *out, size_t len);

#endif
