/*
 * dlc_dispatch: the core's method table, built from protoc-c service
 * descriptors so that it cannot disagree with the contract.
 */
#include "rpc/runtime/dispatch.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct dlc_dispatch {
    dlc_method *methods; /* sorted by full_name once added */
    size_t count;
};

dlc_dispatch *dlc_dispatch_new(void)
{
    return calloc(1, sizeof(dlc_dispatch));
}

void dlc_dispatch_free(dlc_dispatch *d)
{
    if (!d)
        return;
    for (size_t i = 0; i < d->count; i++)
        free((char *)d->methods[i].full_name);
    free(d->methods);
    free(d);
}

static int cmp_method(const void *a, const void *b)
{
    return strcmp(((const dlc_method *)a)->full_name, ((const dlc_method *)b)->full_name);
}

static const dlc_binding *find_binding(const dlc_binding *b, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++) {
        if (strcmp(b[i].method, name) == 0)
            return &b[i];
    }
    return NULL;
}

static void full_name(const ProtobufCServiceDescriptor *svc, unsigned i, char *out, size_t len)
{
    snprintf(out, len, "%s/%s", svc->name, svc->methods[i].name);
}

/* Everything that can be wrong is checked before the table changes, so a
 * refused service leaves the table as it was. */
static int check_bindings(const dlc_dispatch *d, const ProtobufCServiceDescriptor *svc,
                          const dlc_binding *b, size_t n, char *err, size_t errlen)
{
    for (size_t i = 0; i < n; i++) {
        if (!protobuf_c_service_descriptor_get_method_by_name(svc, b[i].method)) {
            snprintf(err, errlen, "%s has no method %s", svc->name, b[i].method);
            return -1;
        }
        if (!b[i].handler || find_binding(b, i, b[i].method)) {
            snprintf(err, errlen, "%s/%s: missing or duplicate handler", svc->name, b[i].method);
            return -1;
        }
    }
    for (unsigned i = 0; i < svc->n_methods; i++) {
        char full[256];
        full_name(svc, i, full, sizeof full);
        if (!find_binding(b, n, svc->methods[i].name) || dlc_dispatch_find(d, full)) {
            snprintf(err, errlen, "%s: %s", full,
                     dlc_dispatch_find(d, full) ? "registered twice" : "no handler bound");
            return -1;
        }
    }
    return 0;
}

int dlc_dispatch_add_service(dlc_dispatch *d, const ProtobufCServiceDescriptor *svc,
                             const dlc_binding *bindings, size_t n, char *err, size_t errlen)
{
    if (check_bindings(d, svc, bindings, n, err, errlen) != 0)
        return -1;
    dlc_method *grown = realloc(d->methods, (d->count + svc->n_methods) * sizeof *grown);
    if (!grown) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    d->methods = grown;
    for (unsigned i = 0; i < svc->n_methods; i++) {
        const ProtobufCMethodDescriptor *md = &svc->methods[i];
        const dlc_binding *b = find_binding(bindings, n, md->name);
        char full[256];
        full_name(svc, i, full, sizeof full);
        d->methods[d->count++] = (dlc_method){strdup(full), md->input, md->output, b->access,
                                              b->handler, b->flags};
    }
    qsort(d->methods, d->count, sizeof *d->methods, cmp_method);
    return 0;
}

const dlc_method *dlc_dispatch_find(const dlc_dispatch *d, const char *full_name)
{
    if (d->count == 0)
        return NULL; /* bsearch may not be given a NULL array */
    dlc_method key = {.full_name = full_name};
    return bsearch(&key, d->methods, d->count, sizeof *d->methods, cmp_method);
}

size_t dlc_dispatch_count(const dlc_dispatch *d)
{
    return d->count;
}

const dlc_method *dlc_dispatch_at(const dlc_dispatch *d, size_t i)
{
    return i < d->count ? &d->methods[i] : NULL;
}
