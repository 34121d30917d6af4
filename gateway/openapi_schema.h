/*
 * dlc_openapi_schema: JSON Schemas (OpenAPI 3.1) of protobuf-c messages as
 * dlc_transcode writes them: proto field names (snake_case; lowerCamelCase
 * is accepted on input too), 64-bit integers as JSON numbers, enums by
 * name, bytes as base64, every field present on output. Descriptions come
 * from the .proto comments (dlc_protodoc). Messages become
 * components.schemas entries named by their short name, referenced with
 * $ref.
 */
#ifndef DLC_OPENAPI_SCHEMA_H
#define DLC_OPENAPI_SCHEMA_H

#include "gateway/protodoc.h"

#include <jansson.h>
#include <protobuf-c/protobuf-c.h>

/* Adds desc and the messages it uses to schemas (a JSON object; doc may be
 * NULL) and returns {"$ref": …} to it (new reference). NULL when another
 * message already took desc's short name. */
json_t *dlc_openapi_schema_ref(json_t *schemas, const dlc_protodoc *doc,
                               const ProtobufCMessageDescriptor *desc);

/* The schema of field f of message owner (repeated: an array), with its
 * comment as description; message types are added as by _ref. New
 * reference, or NULL as for _ref. */
json_t *dlc_openapi_schema_field(json_t *schemas, const dlc_protodoc *doc,
                                 const ProtobufCMessageDescriptor *owner,
                                 const ProtobufCFieldDescriptor *f);

#endif
