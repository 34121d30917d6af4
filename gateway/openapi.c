/*
 * dlc_openapi: assembles the document. Per route: local routes take their
 * operation from dlc_openapi_locals; RPC routes get theirs from the method
 * (input → path, query and body parameters; output → the success schema;
 * the method's comment → description) and its row of dlc_openapi_methods
 * (security, Idempotency-Key, the error answers it can give).
 */
#include "gateway/openapi.h"

#include "dlc_version.h"
#include "gateway/openapi_schema.h"
#include "gateway/protodoc.h"
#include "gateway/transcode.h"
#include "rpc/runtime/contract.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ERROR_CONTENT "'content':{'application/json':{'schema':{'$ref':'#/components/schemas/Error'}}}"
#define ERROR_RESPONSE(name, text) "'" name "':{'description':'" text "'," ERROR_CONTENT "}"

static const char BASE[] =
    "{'openapi':'3.1.0',"
    "'info':{'title':'dlc REST API','version':'" DLC_VERSION "',"
    "'description':'The REST API of dlc-gateway, generated at its start from its route table and "
    "the .proto files of the contract. JSON bodies use the proto field names (snake_case; "
    "lowerCamelCase is accepted on input), 64-bit integers are JSON numbers, enums are their "
    "names, and every field of an answer is present (0, false, empty string, empty array or null "
    "when unset). Errors are {error, message, details}. The reference page is /api/docs.'},"
    "'servers':[{'url':'/'}],"
    "'paths':{},"
    "'components':{"
    "'schemas':{"
    "'Error':{'type':'object','required':['error','message'],'properties':{"
    "'error':{'type':'string','description':'the reason: the status code in snake_case "
    "(invalid_argument, not_found, …) or a more precise one (invalid_credentials, "
    "idempotency_key_reused, …)'},"
    "'message':{'type':'string'},"
    "'details':{'type':'array','description':'field violations','items':{'type':'object',"
    "'properties':{'field':{'type':'string'},'description':{'type':'string'}}}}}},"
    "'ConnectError':{'type':'object','required':['code','message'],'properties':{"
    "'code':{'type':'string','description':'Connect code: invalid_argument, unauthenticated, …'},"
    "'message':{'type':'string'}}}},"
    "'responses':{"
    ERROR_RESPONSE("BadRequest", "Invalid input") ","
    ERROR_RESPONSE("Unauthorized", "Missing, invalid, expired or revoked token") ","
    ERROR_RESPONSE("InvalidCredentials", "Wrong credentials (invalid_credentials)") ","
    ERROR_RESPONSE("Forbidden", "The caller may not do this") ","
    ERROR_RESPONSE("NotFound", "No such resource") ","
    ERROR_RESPONSE("Conflict", "Already exists, or the Idempotency-Key is in use by a running request") ","
    ERROR_RESPONSE("KeyReused", "The Idempotency-Key was used for a different request") ","
    ERROR_RESPONSE("UnsupportedMediaType", "The body is not application/json") ","
    ERROR_RESPONSE("Unavailable", "No core answered, or it is not serving") ","
    ERROR_RESPONSE("Error", "Any other error") ","
    "'TooManyRequests':{'description':'Rate limited','headers':{'Retry-After':"
    "{'description':'seconds to wait before retrying','schema':{'type':'integer'}}},"
    ERROR_CONTENT "}},"
    "'parameters':{'IdempotencyKey':{'name':'Idempotency-Key','in':'header','required':false,"
    "'description':'Runs the write exactly once: a repeat with the same key gets the first "
    "answer again (Idempotent-Replayed: true).','schema':{'type':'string','minLength':1,"
    "'maxLength':255}}},"
    "'securitySchemes':{"
    "'bearerAuth':{'type':'http','scheme':'bearer','bearerFormat':'JWT','description':'A token "
    "from /api/v1/auth/login (user) or /api/v1/auth/admin/login (admin)'},"
    "'adminPassword':{'type':'apiKey','in':'header','name':'X-Admin-Password','description':"
    "'The master password (auth.admin_master_password)'}}}}";

json_t *dlc_openapi_json(const char *quoted)
{
    char *text = strdup(quoted);
    if (!text)
        return NULL;
    for (char *p = text; *p; p++)
        if (*p == '\'')
            *p = '"';
    json_error_t e;
    json_t *j = json_loads(text, 0, &e);
    free(text);
    return j;
}

typedef struct {
    json_t *doc, *schemas, *tags;
    dlc_protodoc *pd;
    char *err;
    size_t errlen;
} builder;

static int fail(builder *b, const dlc_endpoint *ep, const char *fmt, ...)
{
    int k = snprintf(b->err, b->errlen, "openapi: %s %s: ", ep->method, ep->pattern);
    va_list ap;
    va_start(ap, fmt);
    if (k >= 0 && (size_t)k < b->errlen)
        vsnprintf(b->err + k, b->errlen - (size_t)k, fmt, ap);
    va_end(ap);
    return -1;
}

static json_t *ref(const char *kind, const char *name)
{
    char r[128];
    snprintf(r, sizeof r, "#/components/%s/%s", kind, name);
    return json_pack("{s:s}", "$ref", r);
}

/* The tags of local routes (those of RPC routes are their services'). */
static const char *const LOCAL_TAGS[][2] = {
    {"System", "The gateway's own routes: health, readiness, version, the core's info"},
    {"Documentation", "This document and its reference page"},
    {"RPC", "Every RPC method of the contract, Connect style"},
};

/* Adds tag to the document's tag list once (description may be NULL). */
static void add_tag(builder *b, const char *tag, const char *description)
{
    for (size_t i = 0; !description && i < sizeof LOCAL_TAGS / sizeof LOCAL_TAGS[0]; i++)
        if (strcmp(LOCAL_TAGS[i][0], tag) == 0)
            description = LOCAL_TAGS[i][1];
    size_t i;
    json_t *t;
    json_array_foreach(b->tags, i, t)
        if (strcmp(json_string_value(json_object_get(t, "name")), tag) == 0)
            return;
    t = json_pack("{s:s}", "name", tag);
    if (description)
        json_object_set_new(t, "description", json_string(description));
    json_array_append_new(b->tags, t);
}

/* ---- RPC routes ------------------------------------------------------------ */

/* The variables of a pattern, in order: "{name}" or "{name=*}" → "name". */
static size_t path_vars(const char *pattern, char vars[][64], size_t max)
{
    size_t n = 0;
    for (const char *p = strchr(pattern, '{'); p && n < max; p = strchr(p + 1, '{'))
        snprintf(vars[n++], 64, "%.*s", (int)strcspn(p + 1, "=}"), p + 1);
    return n;
}

static bool bound(char vars[][64], size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(vars[i], name) == 0)
            return true;
    return false;
}

/* A parameter for field f of the input; its description moves from the
 * schema to the parameter. */
static json_t *parameter(builder *b, const ProtobufCMessageDescriptor *in,
                         const ProtobufCFieldDescriptor *f, const char *where)
{
    json_t *s = dlc_openapi_schema_field(b->schemas, b->pd, in, f);
    if (!s)
        return NULL;
    json_t *p = json_pack("{s:s,s:s,s:b}", "name", f->name, "in", where, "required",
                          strcmp(where, "path") == 0);
    json_t *d = json_object_get(s, "description");
    if (d) {
        json_object_set(p, "description", d);
        json_object_del(s, "description");
    }
    json_object_set_new(p, "schema", s);
    return p;
}

/* Path variables, then (unless the body takes the whole input) the
 * scalar fields left as query parameters, then Idempotency-Key. */
static int parameters(builder *b, const dlc_endpoint *ep, const ProtobufCMessageDescriptor *in,
                      bool writes, json_t *op)
{
    char vars[8][64];
    size_t n = path_vars(ep->pattern, vars, 8);
    json_t *list = json_array();
    json_object_set_new(op, "parameters", list);
    for (size_t i = 0; i < n; i++) {
        const ProtobufCFieldDescriptor *f = dlc_transcode_find_field(in, vars[i]);
        json_t *p = f && f->type != PROTOBUF_C_TYPE_MESSAGE ? parameter(b, in, f, "path") : NULL;
        if (!p)
            return fail(b, ep, "path variable %s is no scalar field of %s", vars[i], in->name);
        json_array_append_new(list, p);
    }
    bool body_all = ep->body && strcmp(ep->body, "*") == 0;
    for (unsigned i = 0; !body_all && i < in->n_fields; i++) {
        const ProtobufCFieldDescriptor *f = &in->fields[i];
        if (f->type == PROTOBUF_C_TYPE_MESSAGE || bound(vars, n, f->name) ||
            (ep->body && strcmp(ep->body, f->name) == 0))
            continue;
        json_array_append_new(list, parameter(b, in, f, "query"));
    }
    if (writes)
        json_array_append_new(list, ref("parameters", "IdempotencyKey"));
    if (json_array_size(list) == 0)
        json_object_del(op, "parameters");
    return 0;
}

static int request_body(builder *b, const dlc_endpoint *ep, const ProtobufCMessageDescriptor *in,
                        json_t *op)
{
    if (!ep->body)
        return 0;
    json_t *s;
    if (strcmp(ep->body, "*") == 0) {
        s = dlc_openapi_schema_ref(b->schemas, b->pd, in);
    } else {
        const ProtobufCFieldDescriptor *f = dlc_transcode_find_field(in, ep->body);
        s = f ? dlc_openapi_schema_field(b->schemas, b->pd, in, f) : NULL;
    }
    if (!s)
        return fail(b, ep, "no schema for the body of %s", in->name);
    json_object_set_new(op, "requestBody",
                        json_pack("{s:b,s:{s:{s:o}}}", "required", 0, "content",
                                  "application/json", "schema", s));
    return 0;
}

static int responses(builder *b, const dlc_endpoint *ep, const ProtobufCMethodDescriptor *md,
                     const dlc_openapi_method *m, json_t *op)
{
    int status = ep->status ? ep->status : 200;
    char code[8];
    snprintf(code, sizeof code, "%d", status);
    json_t *ok = json_pack("{s:s}", "description",
                           status == 201 ? "Created" : status == 204 ? "No Content" : "OK");
    if (status != 204) {
        json_t *s = dlc_openapi_schema_ref(b->schemas, b->pd, md->output);
        if (!s)
            return fail(b, ep, "no schema for %s", md->output->name);
        json_object_set_new(ok, "content", json_pack("{s:{s:o}}", "application/json", "schema", s));
    }
    bool admin = m->auth == DLC_OPENAPI_ADMIN || m->auth == DLC_OPENAPI_ADMIN_OR_PASSWORD;
    const struct {
        bool when;
        const char *code, *name;
    } errors[] = {
        {true, "400", "BadRequest"},
        {m->auth == DLC_OPENAPI_CREDENTIALS, "401", "InvalidCredentials"},
        {m->auth > DLC_OPENAPI_CREDENTIALS, "401", "Unauthorized"},
        {admin, "403", "Forbidden"},
        {strchr(ep->pattern, '{') != NULL, "404", "NotFound"},
        {m->writes, "409", "Conflict"},
        {ep->body != NULL, "415", "UnsupportedMediaType"},
        {m->writes, "422", "KeyReused"},
        {true, "429", "TooManyRequests"},
        {true, "503", "Unavailable"},
        {true, "default", "Error"},
    };
    json_t *rs = json_object();
    json_object_set_new(rs, code, ok);
    for (size_t i = 0; i < sizeof errors / sizeof errors[0]; i++)
        if (errors[i].when)
            json_object_set_new(rs, errors[i].code, ref("responses", errors[i].name));
    json_object_set_new(op, "responses", rs);
    return 0;
}

static json_t *security(dlc_openapi_auth auth)
{
    switch (auth) {
    case DLC_OPENAPI_TOKEN_OPTIONAL:
        return json_pack("[{},{s:[]}]", "bearerAuth");
    case DLC_OPENAPI_USER:
    case DLC_OPENAPI_ADMIN:
        return json_pack("[{s:[]}]", "bearerAuth");
    case DLC_OPENAPI_ADMIN_OR_PASSWORD:
        return json_pack("[{s:[]},{s:[]}]", "bearerAuth", "adminPassword");
    default:
        return json_array();
    }
}

/* "dlc.v1.GreetService/Greet" → service "dlc.v1.GreetService", short
 * service "GreetService", method "Greet". */
typedef struct {
    char service[256], short_service[256], method[256];
} rpc_name;

static void split_rpc(const char *rpc, rpc_name *n)
{
    snprintf(n->service, sizeof n->service, "%.*s", (int)strcspn(rpc, "/"), rpc);
    const char *dot = strrchr(n->service, '.');
    snprintf(n->short_service, sizeof n->short_service, "%s", dot ? dot + 1 : n->service);
    snprintf(n->method, sizeof n->method, "%s", strchr(rpc, '/') + 1);
}

/* The method's short name, unique in the document: a second route of one
 * method is told apart by its variables ("Greet", "GreetByName"). */
static void operation_id(const dlc_endpoint *ep, const rpc_name *n, char *out, size_t len)
{
    char vars[8][64];
    size_t nv = path_vars(ep->pattern, vars, 8);
    size_t k = (size_t)snprintf(out, len, "%s", n->method);
    for (size_t i = 0; i < nv && k + 4 < len; i++) {
        k += (size_t)snprintf(out + k, len - k, "%s", i ? "And" : "By");
        char camel[64];
        dlc_transcode_camel(vars[i], camel, sizeof camel);
        camel[0] = (char)toupper((unsigned char)camel[0]);
        k += (size_t)snprintf(out + k, len - k, "%s", camel);
    }
}

static json_t *rpc_operation(builder *b, const dlc_endpoint *ep)
{
    const ProtobufCMethodDescriptor *md = dlc_contract_find(ep->rpc);
    const dlc_openapi_method *m = dlc_openapi_method_find(ep->rpc);
    if (!md || !m) {
        fail(b, ep, "%s has no row in dlc_openapi_methods (gateway/openapi_table.c)", ep->rpc);
        return NULL;
    }
    rpc_name n;
    split_rpc(ep->rpc, &n);
    char id[512], full[1024];
    operation_id(ep, &n, id, sizeof id);
    snprintf(full, sizeof full, "%s.%s", n.service, n.method);
    add_tag(b, n.short_service, b->pd ? dlc_protodoc_comment(b->pd, n.service) : NULL);
    json_t *op = json_pack("{s:s,s:s,s:[s],s:o}", "operationId", id, "summary", ep->rpc, "tags",
                           n.short_service, "security", security(m->auth));
    const char *comment = b->pd ? dlc_protodoc_comment(b->pd, full) : NULL;
    if (comment)
        json_object_set_new(op, "description", json_string(comment));
    if (parameters(b, ep, md->input, m->writes, op) != 0 || request_body(b, ep, md->input, op) != 0 ||
        responses(b, ep, md, m, op) != 0) {
        json_decref(op);
        return NULL;
    }
    return op;
}

/* ---- local routes ------------------------------------------------------------ */

static const dlc_openapi_local *find_local(const dlc_endpoint *ep)
{
    for (size_t i = 0; i < dlc_openapi_local_count; i++)
        if (strcmp(dlc_openapi_locals[i].method, ep->method) == 0 &&
            strcmp(dlc_openapi_locals[i].pattern, ep->pattern) == 0)
            return &dlc_openapi_locals[i];
    return NULL;
}

/* more's keys replace op's, but responses merge: the success answer's
 * (code) recursively, any other replaces op's answer of that code. */
static void merge(json_t *op, json_t *more, const char *code)
{
    json_t *rs = json_object_get(op, "responses"), *more_rs = json_object_get(more, "responses");
    const char *key;
    json_t *v;
    json_object_foreach(more_rs, key, v) {
        if (strcmp(key, code) == 0)
            json_object_update_recursive(json_object_get(rs, key), v);
        else
            json_object_set(rs, key, v);
    }
    json_object_del(more, "responses");
    json_object_update(op, more);
}

static json_t *local_operation(builder *b, const dlc_endpoint *ep)
{
    const dlc_openapi_local *l = find_local(ep);
    if (!l) {
        fail(b, ep, "a local route without a row in dlc_openapi_locals (gateway/openapi_table.c)");
        return NULL;
    }
    char code[8];
    snprintf(code, sizeof code, "%d", l->status);
    add_tag(b, l->tag, NULL);
    json_t *schema = dlc_openapi_json(l->schema);
    json_t *more = l->more ? dlc_openapi_json(l->more) : json_object();
    json_t *op = schema && more ? json_pack("{s:s,s:s,s:s,s:[s],s:[],s:{s:{s:s,s:{s:{s:O}}},s:o}}",
                                            "operationId", l->operation_id, "summary", l->summary,
                                            "description", l->description, "tags", l->tag,
                                            "security", "responses", code, "description", "OK",
                                            "content", l->content_type, "schema", schema,
                                            "default", ref("responses", "Error"))
                                : NULL;
    if (op)
        merge(op, more, code);
    else
        fail(b, ep, "invalid JSON in its dlc_openapi_locals row");
    json_decref(schema);
    json_decref(more);
    return op;
}

/* ---- the document -------------------------------------------------------------- */

static int add_operation(builder *b, const dlc_endpoint *ep)
{
    json_t *op = ep->rpc ? rpc_operation(b, ep) : local_operation(b, ep);
    if (!op)
        return -1;
    json_t *paths = json_object_get(b->doc, "paths");
    json_t *item = json_object_get(paths, ep->pattern);
    if (!item)
        json_object_set_new(paths, ep->pattern, item = json_object());
    char method[16];
    size_t i = 0;
    for (; ep->method[i] && i + 1 < sizeof method; i++)
        method[i] = (char)tolower((unsigned char)ep->method[i]);
    method[i] = '\0';
    json_object_set_new(item, method, op);
    return 0;
}

json_t *dlc_openapi_build(const dlc_endpoint *eps, size_t n, char *err, size_t errlen)
{
    builder b = {.doc = dlc_openapi_json(BASE), .tags = json_array(), .err = err, .errlen = errlen};
    b.pd = dlc_protodoc_new(dlc_contract_descriptor_set, dlc_contract_descriptor_set_len, err,
                            errlen);
    int rc = b.doc && b.tags && b.pd ? 0 : -1;
    if (rc == 0) {
        b.schemas = json_object_get(json_object_get(b.doc, "components"), "schemas");
        json_object_set(b.doc, "tags", b.tags);
    } else if (b.pd) {
        snprintf(err, errlen, "openapi: out of memory");
    }
    for (size_t i = 0; rc == 0 && i < n; i++)
        rc = add_operation(&b, &eps[i]);
    dlc_protodoc_free(b.pd);
    json_decref(b.tags);
    if (rc != 0) {
        json_decref(b.doc);
        return NULL;
    }
    return b.doc;
}
