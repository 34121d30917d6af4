/*
 * dlc_transcode: JSON ⇄ protobuf for any message, driven by protobuf-c
 * descriptors (no JSON code per message). proto3 JSON mapping with the
 * REST API's dialect:
 *  - output keys are proto field names (snake_case); input accepts the
 *    field name or its lowerCamelCase form;
 *  - unpopulated fields are emitted: 0, false, "", [] and, for an absent
 *    sub-message, null;
 *  - int64/uint64/fixed64/sint64/sfixed64 are JSON numbers on output;
 *    input takes a number or a decimal string;
 *  - enums are emitted by name; input takes the name or the number;
 *  - bytes are base64 (standard, padded) both ways; input also takes
 *    URL-safe and unpadded base64;
 *  - oneof members are emitted only for the case that is set;
 *  - float/double: numbers; input also takes "NaN", "Infinity", "-Infinity".
 * Input errors never half-apply: the caller gets INVALID_ARGUMENT with one
 * field violation naming the field by its path ("name", "items[2].id",
 * "profile.goal") and the reason; unknown fields are errors.
 *
 * Memory: decoded messages and their strings come from the given arena
 * (rpc/runtime/arena.h) and need no freeing.
 *
 * Details of the dialect:
 *  - uint64/fixed64 values above INT64_MAX do not fit jansson's integer
 *    (long long): they are emitted as decimal strings, which input takes
 *    back. jansson cannot parse such numbers either, so clients must send
 *    them as strings;
 *  - NaN and ±infinity are emitted as "NaN", "Infinity", "-Infinity";
 *  - an enum value without a name is emitted as its number; input takes any
 *    int32 number for an enum (open enums), but only known names;
 *  - integer input also takes integral reals (3.0, 1e3) and decimal strings
 *    ("-12"); anything outside the field's range is an error; float input
 *    beyond FLT_MAX is an error;
 *  - a string not valid UTF-8 (protobuf-c does not check on unpack) is
 *    emitted with its non-ASCII bytes replaced by '?';
 *  - merge: null for a field means "absent" (the field keeps its value);
 *    null inside an array is an error; a sub-message is merged into an
 *    existing one; a repeated field is replaced by the array; a field given
 *    twice (name and camelCase) or two members of one oneof are errors; a
 *    string containing U+0000 is an error;
 *  - "Input errors never half-apply" is the caller's view: on error (from
 *    merge_json or set_text) msg may be partly changed and must be discarded
 *    (a request decodes into a fresh arena message, so nothing leaks out);
 *  - arena exhaustion gives -1 with st = INTERNAL ("out of memory").
 */
#ifndef DLC_TRANSCODE_H
#define DLC_TRANSCODE_H

#include "rpc/runtime/arena.h"
#include "rpc/runtime/status.h"

#include <jansson.h>
#include <protobuf-c/protobuf-c.h>

/* A new message of desc (defaults) from the arena. */
ProtobufCMessage *dlc_transcode_new(const ProtobufCMessageDescriptor *desc, dlc_arena *arena);

/* Merges a JSON object into msg (fields present in obj are set; others are
 * left as they are). 0, or -1 with st = INVALID_ARGUMENT + violation. */
int dlc_transcode_merge_json(ProtobufCMessage *msg, const json_t *obj, dlc_arena *arena,
                             dlc_status *st);

/* Sets one scalar field, addressed by a dotted path of field names
 * ("name", "page_size", "filter.goal"; intermediate messages are created),
 * from text as found in a URL (path variable or query parameter): numbers
 * in decimal, bools true/false/1/0, enums by name or number, bytes base64.
 * A repeated scalar field gets the value appended. 0, or -1 with st set
 * (unknown field, wrong type, field is a message). */
int dlc_transcode_set_text(ProtobufCMessage *msg, const char *path, const char *text,
                           dlc_arena *arena, dlc_status *st);

/* The message as a JSON object (new reference; caller json_decref()s).
 * NULL only on allocation failure. */
json_t *dlc_transcode_to_json(const ProtobufCMessage *msg);

/* The field of d named key (proto name or lowerCamelCase), or NULL. */
const ProtobufCFieldDescriptor *dlc_transcode_find_field(const ProtobufCMessageDescriptor *d,
                                                         const char *key);

/* lowerCamelCase of a snake_case field name into out (≥ strlen(name)+1). */
void dlc_transcode_camel(const char *name, char *out, size_t len);

#endif
