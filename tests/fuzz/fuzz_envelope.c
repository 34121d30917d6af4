/*
 * Fuzz target: the RPC envelope as dlc-rpcd receives it. The bytes are one
 * nng frame: decoded as a dlc.rpc.v1.Request into an arena (with a size
 * limit), the request id picked as the server does, the payload unpacked
 * as the named method's input (any method of the contract), and a Response
 * packed back. The same bytes are also decoded as
 * a Response, as the gateway's client does with the core's frames.
 */
#include "fuzz_util.h"

#include "common/request_id.h"
#include "rpc/runtime/contract.h"
#include "rpc/runtime/envelope.h"

/* rpc.max_message_bytes at its minimum, so inputs reach the size check. */
#define MAX_MESSAGE_BYTES 1024

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fuzz_quiet();
    return 0;
}

/* What server.c's handle() does with a decoded request, minus the handler. */
static void serve(dlc_arena *arena, const Dlc__Rpc__V1__Request *req, dlc_status *st)
{
    const char *id = req->request_id;
    if (!dlc_request_id_ok(id))
        id = dlc_envelope_md_get(req->metadata, req->n_metadata, "x-request-id");
    const ProtobufCMethodDescriptor *m = dlc_contract_find(req->method);
    if (!m) {
        dlc_status_set(st, DLC_UNIMPLEMENTED, "unknown_method", "unknown method %.200s",
                       req->method);
    } else if (!protobuf_c_message_unpack(m->input, &arena->pb, req->payload.len,
                                          req->payload.data)) {
        dlc_status_set(st, DLC_INVALID_ARGUMENT, "malformed_payload", "payload is not a valid %s",
                       m->input->name);
    }
    nng_msg *reply = NULL;
    dlc_md md = {"x-request-id", dlc_request_id_ok(id) ? id : "none"};
    if (dlc_envelope_pack_response(st, NULL, 0, &md, 1, md.value, &reply) == 0)
        nng_msg_free(reply);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    dlc_arena arena;
    dlc_arena_init(&arena, 4096);
    dlc_status st;
    dlc_status_clear(&st);
    Dlc__Rpc__V1__Request *req =
        dlc_envelope_decode_request(&arena, data, size, MAX_MESSAGE_BYTES, &st);
    if (req)
        serve(&arena, req, &st);
    dlc_arena_destroy(&arena);

    Dlc__Rpc__V1__Response *resp = dlc_envelope_decode_response(data, size);
    if (resp)
        dlc__rpc__v1__response__free_unpacked(resp, NULL);
    return 0;
}
