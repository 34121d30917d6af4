/*
 * dlc_reflection: ListServices from the core's dispatch table, and the
 * contract's FileDescriptorSet (see reflection.h). Every string of a
 * ListServices answer points into the dispatch table or the protobuf-c
 * descriptors, which outlive the call; the messages come from its arena.
 */
#include "rpc/core/services/reflection.h"

#include "dlc/v1/system.pb-c.h"
#include "rpc/core/auth/auth.h"
#include "rpc/core/svc.h"
#include "rpc/runtime/contract.h"

#include <string.h>

#define OUT_OF_MEMORY(call) dlc_call_fail(call, DLC_INTERNAL, NULL, "out of memory")

/* rpc.reflection "admin": an admin token, checked as for AdminService.
 * "public": anyone, though a token that is sent must be valid (as for
 * greet: a bad token is an error, not an anonymous call). */
static dlc_code may_reflect(dlc_call *call)
{
    const dlc_config *cfg = dlc_reload_config(dlc_svc_of(call)->live, NULL);
    if (strcmp(cfg->rpc.reflection, "public") != 0)
        return dlc_auth_authorize(call, DLC_ACCESS_ADMIN);
    bool failed = false;
    dlc_auth_optional(call, &failed);
    return failed ? call->status.code : DLC_OK;
}

/* "dlc.v1.GreetService/Greet" → strlen("dlc.v1.GreetService"); the table
 * holds full names only, so the '/' is there. */
static size_t service_len(const char *full_name)
{
    return (size_t)(strchr(full_name, '/') - full_name);
}

static bool same_service(const char *a, const char *b)
{
    size_t n = service_len(a);
    return n == service_len(b) && strncmp(a, b, n) == 0;
}

static Dlc__V1__MethodInfo__Access access_of(dlc_access a)
{
    switch (a) {
    case DLC_ACCESS_PUBLIC:
        return DLC__V1__METHOD_INFO__ACCESS__ACCESS_PUBLIC;
    case DLC_ACCESS_USER:
        return DLC__V1__METHOD_INFO__ACCESS__ACCESS_USER;
    case DLC_ACCESS_ADMIN:
        return DLC__V1__METHOD_INFO__ACCESS__ACCESS_ADMIN;
    }
    return DLC__V1__METHOD_INFO__ACCESS__ACCESS_UNSPECIFIED;
}

static Dlc__V1__MethodInfo *method_info(dlc_call *call, const dlc_method *m)
{
    Dlc__V1__MethodInfo *mi =
        (Dlc__V1__MethodInfo *)dlc_call_message(call, &dlc__v1__method_info__descriptor);
    if (!mi)
        return NULL;
    mi->full_name = (char *)m->full_name;
    mi->name = (char *)m->full_name + service_len(m->full_name) + 1;
    mi->input_type = (char *)m->input->name;
    mi->output_type = (char *)m->output->name;
    mi->access = access_of(m->access);
    mi->writes = (m->flags & DLC_METHOD_WRITES) != 0;
    return mi;
}

/* The service whose methods start at table entry *i (the table is sorted
 * by full name, so they follow each other); moves *i past them. */
static Dlc__V1__ServiceInfo *service_info(dlc_call *call, const dlc_dispatch *d, size_t *i)
{
    const char *first = dlc_dispatch_at(d, *i)->full_name;
    size_t n = 1;
    while (*i + n < dlc_dispatch_count(d) &&
           same_service(first, dlc_dispatch_at(d, *i + n)->full_name))
        n++;
    Dlc__V1__ServiceInfo *si =
        (Dlc__V1__ServiceInfo *)dlc_call_message(call, &dlc__v1__service_info__descriptor);
    Dlc__V1__MethodInfo **methods = dlc_arena_alloc(call->arena, n * sizeof *methods);
    char *name = dlc_arena_printf(call->arena, "%.*s", (int)service_len(first), first);
    if (!si || !methods || !name)
        return NULL;
    for (size_t k = 0; k < n; k++) {
        if (!(methods[k] = method_info(call, dlc_dispatch_at(d, *i + k))))
            return NULL;
    }
    si->name = name;
    si->methods = methods;
    si->n_methods = n;
    *i += n;
    return si;
}

dlc_code dlc_svc_reflection_list_services(dlc_call *call, const ProtobufCMessage *in,
                                          ProtobufCMessage **out)
{
    (void)in;
    if (may_reflect(call) != DLC_OK)
        return call->status.code;
    const dlc_dispatch *d = dlc_svc_of(call)->dispatch;
    size_t count = dlc_dispatch_count(d);
    Dlc__V1__ListServicesResponse *r = (Dlc__V1__ListServicesResponse *)dlc_call_message(
        call, &dlc__v1__list_services_response__descriptor);
    /* at most one service per method */
    Dlc__V1__ServiceInfo **services = dlc_arena_alloc(call->arena, (count + 1) * sizeof *services);
    if (!r || !services)
        return OUT_OF_MEMORY(call);
    for (size_t i = 0; i < count;) {
        if (!(services[r->n_services++] = service_info(call, d, &i)))
            return OUT_OF_MEMORY(call);
    }
    r->services = services;
    *out = &r->base;
    return DLC_OK;
}

dlc_code dlc_svc_reflection_descriptor_set(dlc_call *call, const ProtobufCMessage *in,
                                           ProtobufCMessage **out)
{
    (void)in;
    if (may_reflect(call) != DLC_OK)
        return call->status.code;
    Dlc__V1__GetFileDescriptorSetResponse *r =
        (Dlc__V1__GetFileDescriptorSetResponse *)dlc_call_message(
            call, &dlc__v1__get_file_descriptor_set_response__descriptor);
    if (!r)
        return OUT_OF_MEMORY(call);
    /* read only: packing never writes through data */
    r->file_descriptor_set.data = (uint8_t *)dlc_contract_descriptor_set;
    r->file_descriptor_set.len = dlc_contract_descriptor_set_len;
    *out = &r->base;
    return DLC_OK;
}
