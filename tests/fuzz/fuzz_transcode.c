/*
 * Fuzz target: the gateway's JSON ⇄ protobuf transcoder (gateway/transcode.c)
 * over a few real messages. The first byte picks the message (dlc.v1
 * RegisterRequest, UpdateMeRequest with its oneofs, Profile, and the test
 * message AllTypes with every field kind) and the direction:
 *  - even: the rest is a JSON body, parsed as the gateway parses bodies and
 *    merged into a new message; what merges is emitted as JSON and must
 *    merge back to the same JSON (the dialect round-trips);
 *  - odd: the rest is protobuf bytes (as a core's reply payload), unpacked
 *    and emitted as JSON.
 */
#include "fuzz_util.h"

#include "dlc/test/v1/types.pb-c.h"
#include "dlc/v1/auth.pb-c.h"
#include "dlc/v1/user.pb-c.h"
#include "gateway/transcode.h"

static const ProtobufCMessageDescriptor *const messages[] = {
    &dlc__v1__register_request__descriptor,
    &dlc__v1__update_me_request__descriptor,
    &dlc__v1__profile__descriptor,
    &dlc__test__v1__all_types__descriptor,
};
#define N_MESSAGES (sizeof messages / sizeof messages[0])

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fuzz_quiet();
    return 0;
}

/* A new message of desc merged from obj, or NULL when the transcoder refuses. */
static ProtobufCMessage *merge(const ProtobufCMessageDescriptor *desc, const json_t *obj,
                               dlc_arena *arena)
{
    ProtobufCMessage *msg = dlc_transcode_new(desc, arena);
    dlc_status st;
    dlc_status_clear(&st);
    if (!msg || dlc_transcode_merge_json(msg, obj, arena, &st) != 0)
        return NULL;
    return msg;
}

/* Merges obj; what merged must come back the same through its own JSON. */
static void json_round_trip(const ProtobufCMessageDescriptor *desc, const json_t *obj,
                            dlc_arena *arena)
{
    ProtobufCMessage *msg = merge(desc, obj, arena);
    json_t *out = msg ? dlc_transcode_to_json(msg) : NULL;
    if (!out)
        return;
    char *text = json_dumps(out, JSON_COMPACT);
    json_t *again = text ? json_loads(text, JSON_REJECT_DUPLICATES, NULL) : NULL;
    ProtobufCMessage *msg2 = again ? merge(desc, again, arena) : NULL;
    json_t *out2 = msg2 ? dlc_transcode_to_json(msg2) : NULL;
    if (!out2 || !json_equal(out, out2))
        abort(); /* the transcoder refuses or changes its own output */
    json_decref(out2);
    json_decref(again);
    free(text);
    json_decref(out);
}

static void from_json(const ProtobufCMessageDescriptor *desc, const uint8_t *data, size_t size)
{
    json_t *doc = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, NULL);
    if (!doc)
        return;
    dlc_arena arena;
    dlc_arena_init(&arena, 4096);
    json_round_trip(desc, doc, &arena);
    dlc_arena_destroy(&arena);
    json_decref(doc);
}

static void from_protobuf(const ProtobufCMessageDescriptor *desc, const uint8_t *data, size_t size)
{
    ProtobufCMessage *msg = protobuf_c_message_unpack(desc, NULL, size, data);
    if (!msg)
        return;
    json_t *out = dlc_transcode_to_json(msg);
    char *text = out ? json_dumps(out, JSON_COMPACT) : NULL;
    free(text);
    json_decref(out);
    protobuf_c_message_free_unpacked(msg, NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    const ProtobufCMessageDescriptor *desc = messages[(data[0] >> 1) % N_MESSAGES];
    if (data[0] & 1)
        from_protobuf(desc, data + 1, size - 1);
    else
        from_json(desc, data + 1, size - 1);
    return 0;
}
