/*
 * dlc_envelope: the wire codec. One nng message each way carries a
 * protobuf dlc.rpc.v1.Request or Response (proto/dlc/rpc/v1/envelope.proto).
 * Decoding never trusts the bytes: size is checked first, a failure yields
 * an INVALID_ARGUMENT status, never a crash.
 */
#ifndef DLC_ENVELOPE_H
#define DLC_ENVELOPE_H

#include "rpc/runtime/arena.h"
#include "rpc/runtime/status.h"

#include <nng/nng.h>
#include <stdbool.h>

/* Response metadata naming the calling user's id (decimal), which the core
 * adds to every call a user token authenticated: the gateway logs it and
 * does not turn it into a header. */
#define DLC_MD_USER_ID "x-user-id"

/* Decodes a Request from buf into the arena. max_bytes 0 = no limit.
 * On failure returns NULL and sets st (INVALID_ARGUMENT, reason
 * "message_too_large" or "malformed_request"). */
Dlc__Rpc__V1__Request *dlc_envelope_decode_request(dlc_arena *arena, const void *buf, size_t len,
                                                   size_t max_bytes, dlc_status *st);

/* Decodes a Response (heap; free with dlc__rpc__v1__response__free_unpacked
 * (r, NULL)). NULL on malformed bytes. */
Dlc__Rpc__V1__Response *dlc_envelope_decode_response(const void *buf, size_t len);

/* Packs any protobuf message into a new nng message (*out; the caller owns
 * it until sent). Returns 0 or an nng error. */
int dlc_envelope_pack(const ProtobufCMessage *msg, nng_msg **out);

/* Builds and packs a Response: status, payload (used only when st is OK),
 * metadata, request id. */
int dlc_envelope_pack_response(const dlc_status *st, const void *payload, size_t payload_len,
                               const dlc_md *md, size_t n_md, const char *request_id,
                               nng_msg **out);

/* Builds and packs a Request. */
int dlc_envelope_pack_request(const char *method, const void *payload, size_t payload_len,
                              const dlc_md *md, size_t n_md, uint32_t timeout_ms,
                              const char *request_id, nng_msg **out);

/* Value of metadata key (ASCII case-insensitive), or NULL. */
const char *dlc_envelope_md_get(Dlc__Rpc__V1__Metadata *const *md, size_t n, const char *key);

/* Serialises msg into the arena; *len gets its size. NULL on OOM. */
void *dlc_envelope_pack_arena(dlc_arena *arena, const ProtobufCMessage *msg, size_t *len);

#endif
