/*
 * dlc_openapi_schema: protobuf-c descriptors → JSON Schema, following
 * gateway/transcode.h's dialect. A message's schema carries its full proto
 * name as title, which also tells two messages of one short name apart.
 */
#include "gateway/openapi_schema.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

static json_t *integer(const char *format, bool unsigned_)
{
    json_t *s = json_pack("{s:s,s:s}", "type", "integer", "format", format);
    if (unsigned_)
        json_object_set_new(s, "minimum", json_integer(0));
    return s;
}

static json_t *enum_schema(const ProtobufCEnumDescriptor *e, const dlc_protodoc *doc)
{
    json_t *names = json_array();
    for (unsigned i = 0; i < e->n_values; i++)
        json_array_append_new(names, json_string(e->values[i].name));
    json_t *s = json_pack("{s:s,s:o,s:s}", "type", "string", "enum", names, "title", e->name);
    const char *comment = doc ? dlc_protodoc_comment(doc, e->name) : NULL;
    if (comment)
        json_object_set_new(s, "description", json_string(comment));
    return s;
}

/* The schema of one value of f (not the array of a repeated field). */
static json_t *value_schema(json_t *schemas, const dlc_protodoc *doc,
                            const ProtobufCFieldDescriptor *f)
{
    switch (f->type) {
    case PROTOBUF_C_TYPE_INT32:
    case PROTOBUF_C_TYPE_SINT32:
    case PROTOBUF_C_TYPE_SFIXED32:
        return integer("int32", false);
    case PROTOBUF_C_TYPE_UINT32:
    case PROTOBUF_C_TYPE_FIXED32:
        return integer("uint32", true);
    case PROTOBUF_C_TYPE_INT64:
    case PROTOBUF_C_TYPE_SINT64:
    case PROTOBUF_C_TYPE_SFIXED64:
        return integer("int64", false);
    case PROTOBUF_C_TYPE_UINT64:
    case PROTOBUF_C_TYPE_FIXED64:
        return integer("uint64", true);
    case PROTOBUF_C_TYPE_FLOAT:
        return json_pack("{s:s,s:s}", "type", "number", "format", "float");
    case PROTOBUF_C_TYPE_DOUBLE:
        return json_pack("{s:s,s:s}", "type", "number", "format", "double");
    case PROTOBUF_C_TYPE_BOOL:
        return json_pack("{s:s}", "type", "boolean");
    case PROTOBUF_C_TYPE_STRING:
        return json_pack("{s:s}", "type", "string");
    case PROTOBUF_C_TYPE_BYTES:
        return json_pack("{s:s,s:s}", "type", "string", "contentEncoding", "base64");
    case PROTOBUF_C_TYPE_ENUM:
        return enum_schema(f->descriptor, doc);
    case PROTOBUF_C_TYPE_MESSAGE:
        return dlc_openapi_schema_ref(schemas, doc, f->descriptor);
    }
    return NULL;
}

json_t *dlc_openapi_schema_field(json_t *schemas, const dlc_protodoc *doc,
                                 const ProtobufCMessageDescriptor *owner,
                                 const ProtobufCFieldDescriptor *f)
{
    json_t *v = value_schema(schemas, doc, f);
    if (!v)
        return NULL;
    bool message = f->type == PROTOBUF_C_TYPE_MESSAGE;
    json_t *s = f->label == PROTOBUF_C_LABEL_REPEATED ? json_pack("{s:s,s:o}", "type", "array", "items", v)
                : message ? json_pack("{s:[o,{s:s}]}", "anyOf", v, "type", "null") /* absent: null */
                          : v;
    char name[512];
    snprintf(name, sizeof name, "%s.%s", owner->name, f->name);
    const char *comment = doc ? dlc_protodoc_comment(doc, name) : NULL;
    char text[2048];
    if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
        snprintf(text, sizeof text, "%s%s(omitted when not set)", comment ? comment : "",
                 comment ? " " : "");
        comment = text;
    }
    if (comment && !json_object_get(s, "description"))
        json_object_set_new(s, "description", json_string(comment));
    return s;
}

/* Fills the placeholder s with desc's properties. */
static int fill(json_t *s, json_t *schemas, const dlc_protodoc *doc,
                const ProtobufCMessageDescriptor *desc)
{
    json_t *props = json_object();
    json_object_set_new(s, "type", json_string("object"));
    json_object_set_new(s, "properties", props);
    const char *comment = doc ? dlc_protodoc_comment(doc, desc->name) : NULL;
    if (comment)
        json_object_set_new(s, "description", json_string(comment));
    for (unsigned i = 0; i < desc->n_fields; i++) {
        json_t *f = dlc_openapi_schema_field(schemas, doc, desc, &desc->fields[i]);
        if (!f)
            return -1;
        json_object_set_new(props, desc->fields[i].name, f);
    }
    return 0;
}

json_t *dlc_openapi_schema_ref(json_t *schemas, const dlc_protodoc *doc,
                               const ProtobufCMessageDescriptor *desc)
{
    json_t *s = json_object_get(schemas, desc->short_name);
    const char *title = s ? json_string_value(json_object_get(s, "title")) : NULL;
    if (s && (!title || strcmp(title, desc->name) != 0))
        return NULL; /* two messages of one short name */
    if (!s) {
        /* in place before the fields, so a recursive message finds itself */
        s = json_pack("{s:s}", "title", desc->name);
        json_object_set_new(schemas, desc->short_name, s);
        if (fill(s, schemas, doc, desc) != 0)
            return NULL;
    }
    char ref[256];
    snprintf(ref, sizeof ref, "#/components/schemas/%s", desc->short_name);
    return json_pack("{s:s}", "$ref", ref);
}
