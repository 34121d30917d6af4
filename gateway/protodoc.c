/*
 * dlc_protodoc: a minimal protobuf wire-format reader over a
 * FileDescriptorSet. Each SourceCodeInfo location's path is a list of
 * (field number, index) pairs from the FileDescriptorProto down to one
 * element ([4, 2, 2, 0] = message_type[2].field[0]); it is resolved by
 * walking the same pairs through the file's bytes and reading each
 * element's `name` (field 1 of every named descriptor). Comments are kept
 * in a jansson object: full name → text.
 */
#include "gateway/protodoc.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct dlc_protodoc {
    json_t *comments; /* full name → comment (string) */
};

/* ---- wire format ------------------------------------------------------ */

typedef struct {
    const unsigned char *p, *end;
} span;

typedef struct {
    uint32_t field;
    int wire;  /* 0 varint, 1 fixed64, 2 length-delimited, 5 fixed32 */
    uint64_t v; /* varint value */
    span sub;   /* length-delimited bytes */
} wire_tag;

static bool read_varint(span *s, uint64_t *v)
{
    *v = 0;
    for (int shift = 0; shift < 64 && s->p < s->end; shift += 7) {
        unsigned char b = *s->p++;
        *v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80))
            return true;
    }
    return false;
}

/* 1: *t read; 0: end of s; -1: malformed. */
static int next_tag(span *s, wire_tag *t)
{
    if (s->p == s->end)
        return 0;
    uint64_t key, len;
    if (!read_varint(s, &key) || key >> 32)
        return -1;
    t->field = (uint32_t)(key >> 3);
    t->wire = (int)(key & 7);
    size_t left = (size_t)(s->end - s->p);
    switch (t->wire) {
    case 0:
        return read_varint(s, &t->v) ? 1 : -1;
    case 1:
    case 5: {
        size_t n = t->wire == 1 ? 8 : 4;
        if (left < n)
            return -1;
        s->p += n;
        return 1;
    }
    case 2:
        if (!read_varint(s, &len) || len > left)
            return -1;
        t->sub = (span){s->p, s->p + len};
        s->p += len;
        return 1;
    default:
        return -1; /* groups: not in descriptor.proto's messages we read */
    }
}

/* The index-th length-delimited occurrence of field in msg. */
static bool nth_field(span msg, uint32_t field, uint64_t index, span *out)
{
    wire_tag t;
    int rc;
    while ((rc = next_tag(&msg, &t)) == 1) {
        if (t.field == field && t.wire == 2 && index-- == 0) {
            *out = t.sub;
            return true;
        }
    }
    return false;
}

/* ---- names and comments ------------------------------------------------ */

/* What a path step can lead to: every kind below has `name` as field 1. */
typedef enum { K_FILE, K_MESSAGE, K_ENUM, K_SERVICE, K_LEAF, K_NONE } kind;

static kind child_kind(kind parent, uint64_t field)
{
    switch (parent) {
    case K_FILE:
        return field == 4 ? K_MESSAGE : field == 5 ? K_ENUM : field == 6 ? K_SERVICE : K_NONE;
    case K_MESSAGE: /* field, nested_type, enum_type, oneof_decl */
        return field == 2 || field == 8 ? K_LEAF : field == 3 ? K_MESSAGE
                                                   : field == 4 ? K_ENUM
                                                                : K_NONE;
    case K_ENUM:    /* value */
    case K_SERVICE: /* method */
        return field == 2 ? K_LEAF : K_NONE;
    default:
        return K_NONE;
    }
}

/* Appends ".name" of element elem (its field 1) to out. */
static bool append_name(span elem, char *out, size_t len)
{
    span name;
    if (!nth_field(elem, 1, 0, &name))
        return false;
    size_t k = strlen(out);
    int n = snprintf(out + k, len - k, "%s%.*s", k ? "." : "", (int)(name.end - name.p),
                     (const char *)name.p);
    return n > 0 && (size_t)n < len - k;
}

/* The full name a location path designates (out starts as the package),
 * or false when it designates no named element. */
static bool resolve(span file, const uint64_t *path, size_t n, char *out, size_t len)
{
    if (n == 0 || n % 2)
        return false;
    kind k = K_FILE;
    span cur = file;
    for (size_t i = 0; i < n; i += 2) {
        k = child_kind(k, path[i]);
        if (k == K_NONE || !nth_field(cur, (uint32_t)path[i], path[i + 1], &cur) ||
            !append_name(cur, out, len))
            return false;
    }
    return true;
}

/* Appends a protoc comment to out: each line without the one space after
 * "//", the whole trimmed of white space at both ends. */
static void append_comment(char *out, size_t len, span c)
{
    size_t k = strlen(out);
    bool line_start = true;
    for (const unsigned char *p = c.p; p < c.end && k + 1 < len; p++) {
        if (line_start && *p == ' ') {
            line_start = false;
            continue;
        }
        line_start = *p == '\n';
        out[k++] = (char)*p;
    }
    out[k] = '\0';
    while (k > 0 && strchr(" \n\t", out[k - 1]))
        out[--k] = '\0';
}

typedef struct {
    uint64_t path[16];
    size_t n_path;
    span leading, trailing;
} location;

static bool read_path(span packed, location *loc)
{
    uint64_t v;
    while (packed.p < packed.end) {
        if (!read_varint(&packed, &v) || loc->n_path == sizeof loc->path / sizeof loc->path[0])
            return false;
        loc->path[loc->n_path++] = v;
    }
    return true;
}

static int read_location(span s, location *loc)
{
    memset(loc, 0, sizeof *loc);
    wire_tag t;
    int rc;
    while ((rc = next_tag(&s, &t)) == 1) {
        if (t.field == 1 && t.wire == 2 && !read_path(t.sub, loc))
            return -1;
        if (t.field == 1 && t.wire == 0 && loc->n_path < sizeof loc->path / sizeof loc->path[0])
            loc->path[loc->n_path++] = t.v; /* unpacked encoding */
        if (t.field == 3 && t.wire == 2)
            loc->leading = t.sub;
        if (t.field == 4 && t.wire == 2)
            loc->trailing = t.sub;
    }
    return rc;
}

/* The comment text of loc, or "" (out has room for both comments). */
static void location_text(const location *loc, char *out, size_t len)
{
    out[0] = '\0';
    if (loc->leading.p)
        append_comment(out, len, loc->leading);
    if (loc->trailing.p) {
        if (out[0])
            strncat(out, "\n\n", len - strlen(out) - 1);
        append_comment(out, len, loc->trailing);
    }
}

static void put(dlc_protodoc *d, const char *name, const char *text)
{
    if (text[0] && !json_object_get(d->comments, name))
        json_object_set_new(d->comments, name, json_string(text)); /* NULL: not UTF-8, skipped */
}

/* Records the comment of one location; the file header (path [12],
 * `syntax`) goes to *header. */
static int add_location(dlc_protodoc *d, span file, const char *package, span s, char **header)
{
    location loc;
    if (read_location(s, &loc) != 0)
        return -1;
    if (!loc.leading.p && !loc.trailing.p)
        return 0;
    size_t size = (size_t)(loc.leading.end - loc.leading.p) +
                  (size_t)(loc.trailing.end - loc.trailing.p) + 4;
    char *text = malloc(size), name[512];
    if (!text)
        return -1;
    location_text(&loc, text, size);
    snprintf(name, sizeof name, "%s", package);
    if (loc.n_path == 1 && loc.path[0] == 12 && !*header)
        *header = text, text = NULL;
    else if (resolve(file, loc.path, loc.n_path, name, sizeof name))
        put(d, name, text);
    free(text);
    return 0;
}

/* Services without a comment of their own get the file's header. */
static void default_services(dlc_protodoc *d, span file, const char *package, const char *header)
{
    span svc;
    for (uint64_t i = 0; header && nth_field(file, 6, i, &svc); i++) {
        char name[512];
        snprintf(name, sizeof name, "%s", package);
        if (append_name(svc, name, sizeof name))
            put(d, name, header);
    }
}

static int add_file(dlc_protodoc *d, span file)
{
    char package[256] = "";
    span pkg, info, loc;
    if (nth_field(file, 2, 0, &pkg))
        snprintf(package, sizeof package, "%.*s", (int)(pkg.end - pkg.p), (const char *)pkg.p);
    if (!nth_field(file, 9, 0, &info))
        return 0; /* no source info: no comments */
    char *header = NULL;
    int rc = 0;
    for (uint64_t i = 0; rc == 0 && nth_field(info, 1, i, &loc); i++)
        rc = add_location(d, file, package, loc, &header);
    default_services(d, file, package, header);
    free(header);
    return rc;
}

dlc_protodoc *dlc_protodoc_new(const unsigned char *set, size_t len, char *err, size_t errlen)
{
    dlc_protodoc *d = calloc(1, sizeof *d);
    if (!d || !(d->comments = json_object())) {
        free(d);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    span s = {set, set + len};
    wire_tag t;
    int rc;
    while ((rc = next_tag(&s, &t)) == 1) {
        if (t.field == 1 && t.wire == 2 && add_file(d, t.sub) != 0)
            rc = -1;
        if (rc < 0)
            break;
    }
    if (rc < 0) {
        snprintf(err, errlen, "malformed FileDescriptorSet");
        dlc_protodoc_free(d);
        return NULL;
    }
    return d;
}

void dlc_protodoc_free(dlc_protodoc *d)
{
    if (!d)
        return;
    json_decref(d->comments);
    free(d);
}

const char *dlc_protodoc_comment(const dlc_protodoc *d, const char *full_name)
{
    return json_string_value(json_object_get(d->comments, full_name));
}
