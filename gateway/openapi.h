/*
 * dlc_openapi: the OpenAPI 3.1 document of the REST API, built once at
 * gateway start from the route table (gateway/routes.c), the contract's
 * protobuf-c descriptors (schemas) and the comments of its .proto files
 * (descriptions, through dlc_protodoc). What neither says lives in the two
 * tables of gateway/openapi_table.c: each RPC method's access and whether
 * it writes (both mirrored from the core's dispatch bindings; a unit test
 * compares them), and the documentation of the gateway's local routes.
 * Served as GET /api/openapi.json.
 */
#ifndef DLC_OPENAPI_H
#define DLC_OPENAPI_H

#include "gateway/gateway.h"

#include <jansson.h>
#include <stdbool.h>

/* Who may call an RPC method, as the document says it. */
typedef enum {
    DLC_OPENAPI_PUBLIC,            /* anyone, no token */
    DLC_OPENAPI_CREDENTIALS,       /* anyone, no token; wrong credentials in the body: 401 */
    DLC_OPENAPI_TOKEN_OPTIONAL,    /* anyone; a token, if sent, must be valid */
    DLC_OPENAPI_USER,              /* a user (or admin) token */
    DLC_OPENAPI_ADMIN,             /* an admin token */
    DLC_OPENAPI_ADMIN_OR_PASSWORD, /* an admin token or X-Admin-Password */
} dlc_openapi_auth;

typedef struct {
    const char *rpc; /* "dlc.v1.UserService/GetMe" */
    dlc_openapi_auth auth;
    bool writes; /* takes Idempotency-Key (the core's DLC_METHOD_WRITES) */
} dlc_openapi_method;

extern const dlc_openapi_method dlc_openapi_methods[];
extern const size_t dlc_openapi_method_count;
/* The row of rpc, or NULL. */
const dlc_openapi_method *dlc_openapi_method_find(const char *rpc);

/* The documentation of a local route (one the gateway answers itself).
 * The JSON texts are written with ' for " (they live in C strings). */
typedef struct {
    const char *method, *pattern;
    const char *operation_id, *tag, *summary, *description;
    int status;               /* on success */
    const char *content_type; /* of the success body */
    const char *schema;       /* JSON Schema of the success body */
    const char *more;         /* JSON merged into the operation (parameters, responses), or NULL */
} dlc_openapi_local;

extern const dlc_openapi_local dlc_openapi_locals[];
extern const size_t dlc_openapi_local_count;

/* The document (new reference) for the n endpoints. NULL with err filled
 * when a route lacks what the document needs (a local route without its
 * documentation, an RPC method without its access row) or on bad input. */
json_t *dlc_openapi_build(const dlc_endpoint *eps, size_t n, char *err, size_t errlen);

/* JSON text from a C string written with ' for " (new reference), or NULL. */
json_t *dlc_openapi_json(const char *quoted);

#endif
