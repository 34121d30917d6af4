/* dlc_transcode's scalars: one field value between protobuf-c and JSON or
 * URL text (transcode_scalar.h). */
#include "gateway/transcode_scalar.h"

#include <float.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- field types ---------------------------------------------------------- */

/* What a field's value is, independent of its wire encoding: sint32, sfixed32
 * and int32 convert alike, and so on. */
typedef enum {
    K_SIGNED,
    K_UNSIGNED,
    K_FLOAT,
    K_BOOL,
    K_ENUM,
    K_STRING,
    K_BYTES,
    K_MESSAGE,
} kind;

typedef struct {
    kind kind;
    size_t size; /* of one value in the message (or in a repeated array) */
    const char *name;
} type_info;

static const type_info TYPES[] = {
    [PROTOBUF_C_TYPE_INT32] = {K_SIGNED, 4, "int32"},
    [PROTOBUF_C_TYPE_SINT32] = {K_SIGNED, 4, "sint32"},
    [PROTOBUF_C_TYPE_SFIXED32] = {K_SIGNED, 4, "sfixed32"},
    [PROTOBUF_C_TYPE_INT64] = {K_SIGNED, 8, "int64"},
    [PROTOBUF_C_TYPE_SINT64] = {K_SIGNED, 8, "sint64"},
    [PROTOBUF_C_TYPE_SFIXED64] = {K_SIGNED, 8, "sfixed64"},
    [PROTOBUF_C_TYPE_UINT32] = {K_UNSIGNED, 4, "uint32"},
    [PROTOBUF_C_TYPE_FIXED32] = {K_UNSIGNED, 4, "fixed32"},
    [PROTOBUF_C_TYPE_UINT64] = {K_UNSIGNED, 8, "uint64"},
    [PROTOBUF_C_TYPE_FIXED64] = {K_UNSIGNED, 8, "fixed64"},
    [PROTOBUF_C_TYPE_FLOAT] = {K_FLOAT, sizeof(float), "float"},
    [PROTOBUF_C_TYPE_DOUBLE] = {K_FLOAT, sizeof(double), "double"},
    [PROTOBUF_C_TYPE_BOOL] = {K_BOOL, sizeof(protobuf_c_boolean), "bool"},
    [PROTOBUF_C_TYPE_ENUM] = {K_ENUM, 4, "enum"},
    [PROTOBUF_C_TYPE_STRING] = {K_STRING, sizeof(char *), "string"},
    [PROTOBUF_C_TYPE_BYTES] = {K_BYTES, sizeof(ProtobufCBinaryData), "bytes"},
    [PROTOBUF_C_TYPE_MESSAGE] = {K_MESSAGE, sizeof(ProtobufCMessage *), "message"},
};

/* Completes "must be …" when a JSON value has the wrong type. */
static const char *const EXPECT[] = {
    [K_SIGNED] = "an integer",     [K_UNSIGNED] = "an integer",         [K_FLOAT] = "a number",
    [K_BOOL] = "true or false",    [K_ENUM] = "an enum name or number", [K_STRING] = "a string",
    [K_BYTES] = "a base64 string", [K_MESSAGE] = "a JSON object",
};

static const type_info *type_of(const ProtobufCFieldDescriptor *f)
{
    return &TYPES[f->type];
}

size_t dlc_tx_size(const ProtobufCFieldDescriptor *f)
{
    return type_of(f)->size;
}

/* ---- errors --------------------------------------------------------------- */

/* Replaces whatever st held, so the caller sees exactly one violation. */
int dlc_tx_bad(dlc_tx_ctx *c, const char *fmt, ...)
{
    char desc[192];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(desc, sizeof desc, fmt, ap);
    va_end(ap);
    dlc_status_clear(c->st);
    dlc_status_violation(c->st, c->path, "%s", desc);
    if (c->path[0])
        dlc_status_set(c->st, DLC_INVALID_ARGUMENT, "invalid_argument", "%s: %s", c->path, desc);
    else
        dlc_status_set(c->st, DLC_INVALID_ARGUMENT, "invalid_argument", "%s", desc);
    return -1;
}

int dlc_tx_oom(dlc_tx_ctx *c)
{
    dlc_status_clear(c->st);
    dlc_status_set(c->st, DLC_INTERNAL, NULL, "out of memory");
    return -1;
}

/* ---- integers ------------------------------------------------------------- */

/* Every integer input is brought to sign + magnitude, so one range check
 * serves all widths and signednesses, including INT64_MIN and UINT64_MAX. */
typedef struct {
    bool neg;
    uint64_t mag;
} wide_int;

typedef enum { INT_OK, INT_SYNTAX, INT_RANGE } int_parse;

/* Strict decimal: optional '-', digits, nothing else (strtoll would take
 * spaces, '+' and wrap "-1" for unsigned). */
static int_parse parse_decimal(const char *s, wide_int *w)
{
    bool neg = *s == '-';
    s += neg;
    if (*s < '0' || *s > '9')
        return INT_SYNTAX;
    bool over = false;
    uint64_t m = 0;
    for (; *s >= '0' && *s <= '9'; s++) {
        unsigned digit = (unsigned)(*s - '0');
        if (m > (UINT64_MAX - digit) / 10)
            over = true;
        else
            m = m * 10 + digit;
    }
    if (*s)
        return INT_SYNTAX;
    *w = (wide_int){neg && m, m};
    return over ? INT_RANGE : INT_OK;
}

/* A JSON number that is an integer: jansson integers, and reals without a
 * fraction (3.0, 1e3), as other JSON encoders write large numbers that way. */
static int_parse json_to_wide(const json_t *v, wide_int *w)
{
    if (json_is_integer(v)) {
        json_int_t x = json_integer_value(v);
        /* 0 - (uint64_t)x is |x| for every negative x, INT64_MIN included */
        *w = (wide_int){x < 0, x < 0 ? 0 - (uint64_t)x : (uint64_t)x};
        return INT_OK;
    }
    double d = json_real_value(v);
    if (!isfinite(d) || d != trunc(d))
        return INT_SYNTAX;
    if (fabs(d) >= 0x1p64)
        return INT_RANGE;
    uint64_t mag = (uint64_t)fabs(d);
    *w = (wide_int){d < 0 && mag, mag};
    return INT_OK;
}

static bool int_fits(const type_info *t, wide_int w)
{
    unsigned bits = (unsigned)t->size * 8 - (t->kind == K_SIGNED);
    uint64_t pos_max = bits == 64 ? UINT64_MAX : (UINT64_C(1) << bits) - 1;
    if (!w.neg)
        return w.mag <= pos_max;
    return t->kind == K_SIGNED && w.mag - 1 <= pos_max;
}

/* Enums are stored as int32 (open enums: unknown numbers are kept). */
static int store_int(dlc_tx_ctx *c, const type_info *t, void *slot, int_parse r, wide_int w)
{
    if (t->kind == K_ENUM)
        t = &TYPES[PROTOBUF_C_TYPE_INT32];
    if (r == INT_SYNTAX)
        return dlc_tx_bad(c, "must be an integer");
    if (r == INT_RANGE || !int_fits(t, w))
        return dlc_tx_bad(c, "out of range for %s", t->name);
    if (t->kind == K_UNSIGNED && t->size == 4)
        *(uint32_t *)slot = (uint32_t)w.mag;
    else if (t->kind == K_UNSIGNED)
        *(uint64_t *)slot = w.mag;
    else {
        /* -(mag - 1) - 1 stays defined for mag = 2^63 */
        int64_t v = w.neg ? -(int64_t)(w.mag - 1) - 1 : (int64_t)w.mag;
        if (t->size == 4)
            *(int32_t *)slot = (int32_t)v;
        else
            *(int64_t *)slot = v;
    }
    return 0;
}

static json_t *int_to_json(const type_info *t, const void *slot)
{
    if (t->kind == K_SIGNED)
        return json_integer(t->size == 4 ? *(const int32_t *)slot : *(const int64_t *)slot);
    uint64_t v = t->size == 4 ? *(const uint32_t *)slot : *(const uint64_t *)slot;
    /* json_int_t is long long: larger values would wrap, so they go out as
     * a decimal string (which the input side takes back). */
    if (v > LLONG_MAX)
        return json_sprintf("%" PRIu64, v);
    return json_integer((json_int_t)v);
}

/* ---- floats --------------------------------------------------------------- */

static bool parse_real(const char *s, double *out)
{
    if (!strcmp(s, "NaN") || !strcmp(s, "Infinity") || !strcmp(s, "-Infinity")) {
        *out = s[0] == 'N' ? NAN : s[0] == '-' ? -INFINITY : INFINITY;
        return true;
    }
    /* strtod would also take spaces, '+', "inf" and "nan(…)" */
    if (!(*s == '-' || *s == '.' || (*s >= '0' && *s <= '9')))
        return false;
    char *end;
    *out = strtod(s, &end);
    return end != s && !*end && isfinite(*out);
}

static int store_real(dlc_tx_ctx *c, const type_info *t, void *slot, double d)
{
    if (t->size == sizeof(double)) {
        *(double *)slot = d;
        return 0;
    }
    if (isfinite(d) && fabs(d) > FLT_MAX)
        return dlc_tx_bad(c, "out of range for float");
    *(float *)slot = (float)d;
    return 0;
}

static json_t *real_to_json(double d)
{
    if (isnan(d))
        return json_string("NaN");
    if (isinf(d))
        return json_string(d < 0 ? "-Infinity" : "Infinity");
    return json_real(d);
}

/* ---- bytes (base64) ------------------------------------------------------- */

static json_t *bytes_to_json(const ProtobufCBinaryData *b)
{
    size_t n = sodium_base64_encoded_len(b->len, sodium_base64_VARIANT_ORIGINAL);
    char *out = malloc(n);
    if (!out)
        return NULL;
    sodium_bin2base64(out, n, b->data, b->len, sodium_base64_VARIANT_ORIGINAL);
    json_t *j = json_string(out);
    free(out);
    return j;
}

/* proto3 JSON: the standard or the URL-safe alphabet, padded or not (with
 * padding, it must complete the last quantum); libsodium decodes, after the
 * URL-safe characters are mapped onto the standard ones. */
static int bytes_from_text(dlc_tx_ctx *c, const char *s, ProtobufCBinaryData *out)
{
    size_t len = strlen(s);
    char *std = dlc_arena_alloc(c->arena, len + 1);
    uint8_t *data = dlc_arena_alloc(c->arena, len / 4 * 3 + 3);
    if (!std || !data)
        return dlc_tx_oom(c);
    for (size_t i = 0; i <= len; i++)
        std[i] = s[i] == '-' ? '+' : s[i] == '_' ? '/' : s[i];
    int variant = len && s[len - 1] == '=' ? sodium_base64_VARIANT_ORIGINAL
                                           : sodium_base64_VARIANT_ORIGINAL_NO_PADDING;
    size_t n = 0;
    const char *end = NULL;
    if (sodium_base642bin(data, len / 4 * 3 + 3, std, len, NULL, &n, &end, variant) != 0 ||
        end != std + len)
        return dlc_tx_bad(c, "must be base64");
    *out = (ProtobufCBinaryData){n, data};
    return 0;
}

/* ---- text in -------------------------------------------------------------- */

static int bool_from_text(dlc_tx_ctx *c, const char *s, protobuf_c_boolean *out)
{
    bool t = !strcmp(s, "true") || !strcmp(s, "1");
    if (!t && strcmp(s, "false") && strcmp(s, "0"))
        return dlc_tx_bad(c, "must be true or false");
    *out = t;
    return 0;
}

static int enum_from_text(dlc_tx_ctx *c, const ProtobufCFieldDescriptor *f, const char *s,
                          void *slot)
{
    const ProtobufCEnumDescriptor *ed = f->descriptor;
    const ProtobufCEnumValue *ev = protobuf_c_enum_descriptor_get_value_by_name(ed, s);
    if (ev) {
        *(int32_t *)slot = ev->value;
        return 0;
    }
    wide_int w = {0};
    int_parse r = parse_decimal(s, &w);
    if (r == INT_SYNTAX)
        return dlc_tx_bad(c, "unknown value \"%.64s\" of enum %s", s, ed->name);
    return store_int(c, type_of(f), slot, r, w);
}

static int string_from_text(dlc_tx_ctx *c, const char *s, char **slot)
{
    char *copy = dlc_arena_strdup(c->arena, s);
    if (!copy)
        return dlc_tx_oom(c);
    *slot = copy;
    return 0;
}

int dlc_tx_scalar_from_text(dlc_tx_ctx *c, const ProtobufCFieldDescriptor *f, const char *s,
                            void *slot)
{
    const type_info *t = type_of(f);
    wide_int w = {0};
    double d;
    switch (t->kind) {
    case K_SIGNED:
    case K_UNSIGNED:
        return store_int(c, t, slot, parse_decimal(s, &w), w);
    case K_FLOAT:
        if (!parse_real(s, &d))
            return dlc_tx_bad(c, "must be a number");
        return store_real(c, t, slot, d);
    case K_BOOL:
        return bool_from_text(c, s, slot);
    case K_ENUM:
        return enum_from_text(c, f, s, slot);
    case K_STRING:
        return string_from_text(c, s, slot);
    case K_BYTES:
        return bytes_from_text(c, s, slot);
    case K_MESSAGE:
        break;
    }
    return dlc_tx_bad(c, "is a message: set one of its fields");
}

/* ---- JSON in -------------------------------------------------------------- */

static int number_from_json(dlc_tx_ctx *c, const type_info *t, const json_t *v, void *slot)
{
    wide_int w = {0};
    switch (t->kind) {
    case K_SIGNED:
    case K_UNSIGNED:
    case K_ENUM:
        return store_int(c, t, slot, json_to_wide(v, &w), w);
    case K_FLOAT:
        return store_real(c, t, slot, json_number_value(v));
    default:
        return dlc_tx_bad(c, "must be %s", EXPECT[t->kind]);
    }
}

int dlc_tx_scalar_from_json(dlc_tx_ctx *c, const ProtobufCFieldDescriptor *f, const json_t *v,
                            void *slot)
{
    const type_info *t = type_of(f);
    if (t->kind == K_BOOL) {
        if (!json_is_boolean(v))
            return dlc_tx_bad(c, "must be %s", EXPECT[t->kind]);
        *(protobuf_c_boolean *)slot = json_is_true(v);
        return 0;
    }
    if (json_is_number(v))
        return number_from_json(c, t, v, slot);
    if (!json_is_string(v) || t->kind == K_MESSAGE)
        return dlc_tx_bad(c, "must be %s", EXPECT[t->kind]);
    if (strlen(json_string_value(v)) != json_string_length(v))
        return dlc_tx_bad(c, "must not contain NUL");
    /* Numbers, enums and bytes written as strings take the URL's syntax. */
    return dlc_tx_scalar_from_text(c, f, json_string_value(v), slot);
}

/* ---- JSON out ------------------------------------------------------------- */

/* protobuf-c does not check UTF-8 when unpacking; rather than fail a whole
 * response over one bad string, non-ASCII bytes become '?'. */
static json_t *string_to_json(const char *s)
{
    json_t *j = json_string(s ? s : "");
    if (j || !s)
        return j;
    char *copy = strdup(s);
    if (!copy)
        return NULL;
    for (char *p = copy; *p; p++)
        if ((unsigned char)*p >= 0x80)
            *p = '?';
    j = json_string(copy);
    free(copy);
    return j;
}

static json_t *enum_to_json(const ProtobufCEnumDescriptor *ed, int32_t v)
{
    const ProtobufCEnumValue *ev = protobuf_c_enum_descriptor_get_value(ed, v);
    return ev ? json_string(ev->name) : json_integer(v);
}

json_t *dlc_tx_scalar_to_json(const ProtobufCFieldDescriptor *f, const void *slot)
{
    const type_info *t = type_of(f);
    switch (t->kind) {
    case K_SIGNED:
    case K_UNSIGNED:
        return int_to_json(t, slot);
    case K_FLOAT:
        return real_to_json(t->size == 4 ? *(const float *)slot : *(const double *)slot);
    case K_BOOL:
        return json_boolean(*(const protobuf_c_boolean *)slot);
    case K_ENUM:
        return enum_to_json(f->descriptor, *(const int32_t *)slot);
    case K_STRING:
        return string_to_json(*(char *const *)slot);
    case K_BYTES:
        return bytes_to_json(slot);
    case K_MESSAGE:
        break;
    }
    return NULL;
}
