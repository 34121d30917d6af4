/*
 * dlcctl_contract: describing the compiled-in contract (see contract.h).
 * Messages are found by walking from every method's input and output
 * through their message fields, so only what the services use is known.
 */
#include "tools/dlcctl/contract.h"

#include "dlc/v1/system.pb-c.h"
#include "gateway/transcode.h"
#include "rpc/runtime/arena.h"
#include "rpc/runtime/contract.h"

#include <stdio.h>
#include <string.h>

#define DEFAULT_PACKAGE "dlc.v1."

static const char *const TYPE_NAMES[] = {
    [PROTOBUF_C_TYPE_INT32] = "int32",       [PROTOBUF_C_TYPE_SINT32] = "sint32",
    [PROTOBUF_C_TYPE_SFIXED32] = "sfixed32", [PROTOBUF_C_TYPE_INT64] = "int64",
    [PROTOBUF_C_TYPE_SINT64] = "sint64",     [PROTOBUF_C_TYPE_SFIXED64] = "sfixed64",
    [PROTOBUF_C_TYPE_UINT32] = "uint32",     [PROTOBUF_C_TYPE_FIXED32] = "fixed32",
    [PROTOBUF_C_TYPE_UINT64] = "uint64",     [PROTOBUF_C_TYPE_FIXED64] = "fixed64",
    [PROTOBUF_C_TYPE_FLOAT] = "float",       [PROTOBUF_C_TYPE_DOUBLE] = "double",
    [PROTOBUF_C_TYPE_BOOL] = "bool",         [PROTOBUF_C_TYPE_ENUM] = "enum",
    [PROTOBUF_C_TYPE_STRING] = "string",     [PROTOBUF_C_TYPE_BYTES] = "bytes",
    [PROTOBUF_C_TYPE_MESSAGE] = "message",
};

/* ---- lookup ---------------------------------------------------------------- */

static const ProtobufCServiceDescriptor *find_service(const char *name)
{
    for (size_t i = 0; i < dlc_contract_service_count; i++)
        if (strcmp(dlc_contract_services[i]->name, name) == 0)
            return dlc_contract_services[i];
    return NULL;
}

/* name's message among d and the messages d reaches (depth-bounded: the
 * contract nests a few levels, and recursive messages must end). */
static const ProtobufCMessageDescriptor *find_in(const ProtobufCMessageDescriptor *d,
                                                 const char *name, int depth)
{
    if (strcmp(d->name, name) == 0)
        return d;
    for (unsigned i = 0; depth > 0 && i < d->n_fields; i++) {
        const ProtobufCFieldDescriptor *f = &d->fields[i];
        const ProtobufCMessageDescriptor *hit =
            f->type == PROTOBUF_C_TYPE_MESSAGE ? find_in(f->descriptor, name, depth - 1) : NULL;
        if (hit)
            return hit;
    }
    return NULL;
}

static const ProtobufCMessageDescriptor *find_message(const char *name)
{
    for (size_t i = 0; i < dlc_contract_service_count; i++) {
        const ProtobufCServiceDescriptor *s = dlc_contract_services[i];
        for (unsigned k = 0; k < s->n_methods; k++) {
            const ProtobufCMessageDescriptor *hit = find_in(s->methods[k].input, name, 8);
            if (hit || (hit = find_in(s->methods[k].output, name, 8)))
                return hit;
        }
    }
    return NULL;
}

/* ---- JSON ----------------------------------------------------------------- */

static json_t *enum_values(const ProtobufCEnumDescriptor *e)
{
    json_t *values = json_array();
    for (unsigned i = 0; i < e->n_values; i++)
        json_array_append_new(values, json_string(e->values[i].name));
    return values;
}

static json_t *field_json(const ProtobufCFieldDescriptor *f)
{
    const char *type = TYPE_NAMES[f->type];
    if (f->type == PROTOBUF_C_TYPE_MESSAGE)
        type = ((const ProtobufCMessageDescriptor *)f->descriptor)->name;
    else if (f->type == PROTOBUF_C_TYPE_ENUM)
        type = ((const ProtobufCEnumDescriptor *)f->descriptor)->name;
    json_t *o = json_pack("{s:s,s:i,s:s,s:b}", "name", f->name, "number", (int)f->id, "type",
                          type, "repeated", f->label == PROTOBUF_C_LABEL_REPEATED);
    if (o && (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF))
        json_object_set_new(o, "oneof", json_true());
    if (o && f->type == PROTOBUF_C_TYPE_ENUM)
        json_object_set_new(o, "values", enum_values(f->descriptor));
    return o;
}

static json_t *message_json(const ProtobufCMessageDescriptor *d)
{
    json_t *fields = json_array();
    for (unsigned i = 0; i < d->n_fields; i++)
        json_array_append_new(fields, field_json(&d->fields[i]));
    return json_pack("{s:s,s:o}", "message", d->name, "fields", fields);
}

static json_t *service_json(const ProtobufCServiceDescriptor *s)
{
    json_t *methods = json_array();
    for (unsigned i = 0; i < s->n_methods; i++)
        json_array_append_new(methods, json_pack("{s:s,s:s,s:s}", "name", s->methods[i].name,
                                                 "input_type", s->methods[i].input->name,
                                                 "output_type", s->methods[i].output->name));
    return json_pack("{s:s,s:o}", "service", s->name, "methods", methods);
}

static json_t *method_json(const char *full_name, const ProtobufCMethodDescriptor *m)
{
    return json_pack("{s:s,s:o,s:o}", "method", full_name, "input", message_json(m->input),
                     "output", message_json(m->output));
}

static json_t *describe_full(const char *name)
{
    const ProtobufCMethodDescriptor *m = strchr(name, '/') ? dlc_contract_find(name) : NULL;
    if (m)
        return method_json(name, m);
    const ProtobufCServiceDescriptor *s = find_service(name);
    if (s)
        return service_json(s);
    const ProtobufCMessageDescriptor *d = find_message(name);
    return d ? message_json(d) : NULL;
}

json_t *dlcctl_contract_describe(const char *name, dlc_status *st)
{
    json_t *v = describe_full(name);
    if (!v && !strchr(name, '.')) {
        char full[256];
        snprintf(full, sizeof full, DEFAULT_PACKAGE "%s", name);
        v = describe_full(full);
    }
    dlc_status_clear(st);
    if (!v)
        dlc_status_set(st, DLC_NOT_FOUND, "not_found",
                       "no service, method or message %.200s in the contract", name);
    return v;
}

/* ---- list ----------------------------------------------------------------- */

static Dlc__V1__MethodInfo *method_info(dlc_arena *a, const ProtobufCServiceDescriptor *s,
                                        unsigned k)
{
    Dlc__V1__MethodInfo *mi =
        (Dlc__V1__MethodInfo *)dlc_arena_message(a, &dlc__v1__method_info__descriptor);
    if (!mi)
        return NULL;
    mi->name = (char *)s->methods[k].name;
    mi->full_name = dlc_arena_printf(a, "%s/%s", s->name, s->methods[k].name);
    mi->input_type = (char *)s->methods[k].input->name;
    mi->output_type = (char *)s->methods[k].output->name;
    return mi->full_name ? mi : NULL;
}

static Dlc__V1__ServiceInfo *service_info(dlc_arena *a, const ProtobufCServiceDescriptor *s)
{
    Dlc__V1__ServiceInfo *si =
        (Dlc__V1__ServiceInfo *)dlc_arena_message(a, &dlc__v1__service_info__descriptor);
    Dlc__V1__MethodInfo **methods = dlc_arena_alloc(a, (s->n_methods + 1) * sizeof *methods);
    if (!si || !methods)
        return NULL;
    si->name = (char *)s->name;
    si->methods = methods;
    for (; si->n_methods < s->n_methods; si->n_methods++)
        if (!(methods[si->n_methods] = method_info(a, s, (unsigned)si->n_methods)))
            return NULL;
    return si;
}

/* The ListServicesResponse the contract implies, in a; NULL on OOM. */
static Dlc__V1__ListServicesResponse *contract_response(dlc_arena *a)
{
    Dlc__V1__ListServicesResponse *r = (Dlc__V1__ListServicesResponse *)dlc_arena_message(
        a, &dlc__v1__list_services_response__descriptor);
    Dlc__V1__ServiceInfo **services =
        dlc_arena_alloc(a, dlc_contract_service_count * sizeof *services);
    if (!r || !services)
        return NULL;
    r->services = services;
    for (; r->n_services < dlc_contract_service_count; r->n_services++)
        if (!(services[r->n_services] = service_info(a, dlc_contract_services[r->n_services])))
            return NULL;
    return r;
}

json_t *dlcctl_contract_services(void)
{
    dlc_arena a;
    dlc_arena_init(&a, 16 * 1024);
    Dlc__V1__ListServicesResponse *r = contract_response(&a);
    json_t *v = r ? dlc_transcode_to_json(&r->base) : NULL;
    dlc_arena_destroy(&a);
    return v;
}
