/* The message walk; scalar conversions live in transcode_scalar.c. */
#include "gateway/transcode.h"
#include "gateway/transcode_scalar.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

/* ---- fields --------------------------------------------------------------- */

static void *member(const ProtobufCMessage *m, unsigned offset)
{
    return (char *)m + offset;
}

static bool is_oneof(const ProtobufCFieldDescriptor *f)
{
    return f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF;
}

static bool is_repeated(const ProtobufCFieldDescriptor *f)
{
    return f->label == PROTOBUF_C_LABEL_REPEATED;
}

static uint32_t *oneof_case(const ProtobufCMessage *m, const ProtobufCFieldDescriptor *f)
{
    return member(m, f->quantifier_offset);
}

/* The storage of a singular field, ready to be written: a oneof slot that
 * holds another member is cleared, so a message member is never "reused"
 * from a pointer that is really a string or an int. */
static void *singular_slot(ProtobufCMessage *m, const ProtobufCFieldDescriptor *f)
{
    void *slot = member(m, f->offset);
    if (is_oneof(f) && *oneof_case(m, f) != f->id)
        memset(slot, 0, dlc_tx_size(f));
    return slot;
}

static void mark_present(ProtobufCMessage *m, const ProtobufCFieldDescriptor *f)
{
    if (is_oneof(f))
        *oneof_case(m, f) = f->id;
    else if (f->label == PROTOBUF_C_LABEL_OPTIONAL && f->quantifier_offset)
        *(protobuf_c_boolean *)member(m, f->quantifier_offset) = 1; /* proto2 has_ */
}

/* ---- names ---------------------------------------------------------------- */

/* The next character of name's lowerCamelCase form (protoc's ToJsonName:
 * drop '_', upper-case the letter after it); 0 at the end. */
static char camel_next(const char **p)
{
    bool upper = false;
    while (**p == '_') {
        upper = true;
        ++*p;
    }
    char ch = **p;
    if (ch)
        ++*p;
    return upper && ch >= 'a' && ch <= 'z' ? (char)(ch - 'a' + 'A') : ch;
}

void dlc_transcode_camel(const char *name, char *out, size_t len)
{
    if (!len)
        return;
    size_t n = 0;
    char ch;
    while (n + 1 < len && (ch = camel_next(&name)))
        out[n++] = ch;
    out[n] = '\0';
}

static bool camel_equals(const char *name, const char *key)
{
    char ch;
    while ((ch = camel_next(&name)))
        if (ch != *key++)
            return false;
    return *key == '\0';
}

const ProtobufCFieldDescriptor *dlc_transcode_find_field(const ProtobufCMessageDescriptor *d,
                                                         const char *key)
{
    const ProtobufCFieldDescriptor *f = protobuf_c_message_descriptor_get_field_by_name(d, key);
    for (unsigned i = 0; !f && i < d->n_fields; i++)
        if (camel_equals(d->fields[i].name, key))
            f = &d->fields[i];
    return f;
}

/* ---- paths ---------------------------------------------------------------- */

static size_t path_push(dlc_tx_ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Returns the length to restore with path_pop; a path too long for the
 * buffer is cut (violations hold 64 characters anyway). */
static size_t path_push(dlc_tx_ctx *c, const char *fmt, ...)
{
    size_t old = c->len;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(c->path + old, sizeof c->path - old, fmt, ap);
    va_end(ap);
    c->len = n < 0 ? old : old + (size_t)n;
    if (c->len >= sizeof c->path)
        c->len = sizeof c->path - 1;
    return old;
}

static void path_pop(dlc_tx_ctx *c, size_t old)
{
    c->len = old;
    c->path[old] = '\0';
}

/* ---- JSON out ------------------------------------------------------------- */

static json_t *value_to_json(const ProtobufCFieldDescriptor *f, const void *slot)
{
    if (f->type != PROTOBUF_C_TYPE_MESSAGE)
        return dlc_tx_scalar_to_json(f, slot);
    const ProtobufCMessage *sub = *(ProtobufCMessage *const *)slot;
    return sub ? dlc_transcode_to_json(sub) : json_null();
}

static json_t *repeated_to_json(const ProtobufCMessage *m, const ProtobufCFieldDescriptor *f)
{
    size_t n = *(const size_t *)member(m, f->quantifier_offset);
    const char *arr = *(char *const *)member(m, f->offset);
    json_t *a = json_array();
    for (size_t i = 0; a && i < n; i++) {
        if (json_array_append_new(a, value_to_json(f, arr + i * dlc_tx_size(f))) < 0) {
            json_decref(a);
            a = NULL;
        }
    }
    return a;
}

json_t *dlc_transcode_to_json(const ProtobufCMessage *msg)
{
    const ProtobufCMessageDescriptor *d = msg->descriptor;
    json_t *obj = json_object();
    for (unsigned i = 0; obj && i < d->n_fields; i++) {
        const ProtobufCFieldDescriptor *f = &d->fields[i];
        if (is_oneof(f) && *oneof_case(msg, f) != f->id)
            continue;
        json_t *v =
            is_repeated(f) ? repeated_to_json(msg, f) : value_to_json(f, member(msg, f->offset));
        /* json_object_set_new takes v even when it fails */
        if (!v || json_object_set_new(obj, f->name, v) < 0) {
            json_decref(obj);
            obj = NULL;
        }
    }
    return obj;
}

/* ---- JSON in -------------------------------------------------------------- */

static int merge_object(dlc_tx_ctx *c, ProtobufCMessage *m, const json_t *obj);

static int value_from_json(dlc_tx_ctx *c, const ProtobufCFieldDescriptor *f, const json_t *v,
                           void *slot)
{
    if (f->type != PROTOBUF_C_TYPE_MESSAGE)
        return dlc_tx_scalar_from_json(c, f, v, slot);
    if (!json_is_object(v))
        return dlc_tx_bad(c, "must be a JSON object");
    /* An existing sub-message is merged into (proto merge semantics), so a
     * field set from the URL survives a body naming the same message. */
    ProtobufCMessage **sub = slot;
    if (!*sub)
        *sub = dlc_arena_message(c->arena, f->descriptor);
    if (!*sub)
        return dlc_tx_oom(c);
    return merge_object(c, *sub, v);
}

static int repeated_from_json(dlc_tx_ctx *c, ProtobufCMessage *m, const ProtobufCFieldDescriptor *f,
                              const json_t *v)
{
    if (!json_is_array(v))
        return dlc_tx_bad(c, "must be a JSON array");
    size_t n = json_array_size(v), size = dlc_tx_size(f);
    /* zeroed: message elements start as NULL, i.e. "create" */
    char *arr = n ? dlc_arena_zalloc(c->arena, n * size) : NULL;
    if (n && !arr)
        return dlc_tx_oom(c);
    for (size_t i = 0; i < n; i++) {
        size_t mark = path_push(c, "[%zu]", i);
        const json_t *e = json_array_get(v, i);
        if (json_is_null(e))
            return dlc_tx_bad(c, "must not be null");
        if (value_from_json(c, f, e, arr + i * size) < 0)
            return -1;
        path_pop(c, mark);
    }
    /* the array replaces the field's elements: "set", not append */
    *(size_t *)member(m, f->quantifier_offset) = n;
    *(void **)member(m, f->offset) = arr;
    return 0;
}

/* A field given twice (as name and camelCase) or two members of one oneof
 * would make the result depend on key order. */
static int check_unique(dlc_tx_ctx *c, const ProtobufCMessageDescriptor *d, unsigned char *seen,
                        const ProtobufCFieldDescriptor *f)
{
    size_t i = (size_t)(f - d->fields);
    if (seen[i])
        return dlc_tx_bad(c, "duplicate field");
    for (unsigned j = 0; is_oneof(f) && j < d->n_fields; j++) {
        const ProtobufCFieldDescriptor *o = &d->fields[j];
        if (seen[j] && is_oneof(o) && o->quantifier_offset == f->quantifier_offset)
            return dlc_tx_bad(c, "only one field of a oneof may be set; %s is set too", o->name);
    }
    seen[i] = 1;
    return 0;
}

static int merge_field(dlc_tx_ctx *c, ProtobufCMessage *m, const ProtobufCFieldDescriptor *f,
                       const json_t *v)
{
    if (is_repeated(f))
        return repeated_from_json(c, m, f, v);
    if (value_from_json(c, f, v, singular_slot(m, f)) < 0)
        return -1;
    mark_present(m, f);
    return 0;
}

static int merge_object(dlc_tx_ctx *c, ProtobufCMessage *m, const json_t *obj)
{
    const ProtobufCMessageDescriptor *d = m->descriptor;
    unsigned char *seen = dlc_arena_zalloc(c->arena, d->n_fields);
    if (!seen)
        return dlc_tx_oom(c);
    /* jansson's iteration API is not const-qualified; obj is only read */
    json_t *o = (json_t *)obj;
    for (void *it = json_object_iter(o); it; it = json_object_iter_next(o, it)) {
        const char *key = json_object_iter_key(it);
        json_t *v = json_object_iter_value(it);
        if (json_is_null(v))
            continue; /* as if absent: the field keeps its value */
        size_t mark = path_push(c, "%s%s", c->len ? "." : "", key);
        const ProtobufCFieldDescriptor *f = dlc_transcode_find_field(d, key);
        if (!f)
            return dlc_tx_bad(c, "unknown field");
        if (check_unique(c, d, seen, f) < 0 || merge_field(c, m, f, v) < 0)
            return -1;
        path_pop(c, mark);
    }
    return 0;
}

/* ---- text in -------------------------------------------------------------- */

/* The message field f of m, created when absent. */
static ProtobufCMessage *descend(dlc_tx_ctx *c, ProtobufCMessage *m,
                                 const ProtobufCFieldDescriptor *f)
{
    if (f->type != PROTOBUF_C_TYPE_MESSAGE || is_repeated(f)) {
        dlc_tx_bad(c, "%s is not a singular message field", f->name);
        return NULL;
    }
    ProtobufCMessage **slot = singular_slot(m, f);
    if (!*slot)
        *slot = dlc_arena_message(c->arena, f->descriptor);
    if (!*slot) {
        dlc_tx_oom(c);
        return NULL;
    }
    mark_present(m, f);
    return *slot;
}

static int append_text(dlc_tx_ctx *c, ProtobufCMessage *m, const ProtobufCFieldDescriptor *f,
                       const char *text)
{
    size_t *n = member(m, f->quantifier_offset), size = dlc_tx_size(f);
    void **arr = member(m, f->offset);
    char *grown = dlc_arena_alloc(c->arena, (*n + 1) * size);
    if (!grown)
        return dlc_tx_oom(c);
    if (*n)
        memcpy(grown, *arr, *n * size);
    if (dlc_tx_scalar_from_text(c, f, text, grown + *n * size) < 0)
        return -1;
    *arr = grown;
    ++*n;
    return 0;
}

static int field_from_text(dlc_tx_ctx *c, ProtobufCMessage *m, const ProtobufCFieldDescriptor *f,
                           const char *text)
{
    if (f->type == PROTOBUF_C_TYPE_MESSAGE)
        return dlc_tx_bad(c, "is a message: set one of its fields");
    if (is_repeated(f))
        return append_text(c, m, f, text);
    if (dlc_tx_scalar_from_text(c, f, text, singular_slot(m, f)) < 0)
        return -1;
    mark_present(m, f);
    return 0;
}

/* ---- public --------------------------------------------------------------- */

ProtobufCMessage *dlc_transcode_new(const ProtobufCMessageDescriptor *desc, dlc_arena *arena)
{
    return dlc_arena_message(arena, desc);
}

int dlc_transcode_merge_json(ProtobufCMessage *msg, const json_t *obj, dlc_arena *arena,
                             dlc_status *st)
{
    dlc_tx_ctx c = {.arena = arena, .st = st};
    if (!json_is_object(obj))
        return dlc_tx_bad(&c, "body must be a JSON object");
    return merge_object(&c, msg, obj);
}

/* Errors name the whole path as given: that is what the caller knows. */
int dlc_transcode_set_text(ProtobufCMessage *msg, const char *path, const char *text,
                           dlc_arena *arena, dlc_status *st)
{
    dlc_tx_ctx c = {.arena = arena, .st = st};
    path_push(&c, "%s", path);
    char *segs = dlc_arena_strdup(arena, path);
    if (!segs)
        return dlc_tx_oom(&c);
    for (char *seg = segs;;) {
        char *dot = strchr(seg, '.');
        if (dot)
            *dot = '\0';
        const ProtobufCFieldDescriptor *f = dlc_transcode_find_field(msg->descriptor, seg);
        if (!f)
            return dlc_tx_bad(&c, "unknown field");
        if (!dot)
            return field_from_text(&c, msg, f, text);
        if (!(msg = descend(&c, msg, f)))
            return -1;
        seg = dot + 1;
    }
}
