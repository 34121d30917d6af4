/*
 * dlc_envelope: encoding and (distrustfully) decoding the Request and
 * Response envelopes of the wire.
 */
#include "rpc/runtime/envelope.h"

#include <strings.h>

Dlc__Rpc__V1__Request *dlc_envelope_decode_request(dlc_arena *arena, const void *buf, size_t len,
                                                   size_t max_bytes, dlc_status *st)
{
    if (max_bytes && len > max_bytes) {
        dlc_status_set(st, DLC_INVALID_ARGUMENT, "message_too_large",
                       "request of %zu bytes exceeds rpc.max_message_bytes (%zu)", len, max_bytes);
        return NULL;
    }
    Dlc__Rpc__V1__Request *req = dlc__rpc__v1__request__unpack(&arena->pb, len, buf);
    if (!req) {
        dlc_status_set(st, DLC_INVALID_ARGUMENT, "malformed_request",
                       "the message is not a dlc.rpc.v1.Request");
        return NULL;
    }
    if (req->method[0] == '\0') {
        dlc_status_set(st, DLC_INVALID_ARGUMENT, "malformed_request", "request names no method");
        dlc_status_violation(st, "method", "must not be empty");
        return NULL;
    }
    return req;
}

Dlc__Rpc__V1__Response *dlc_envelope_decode_response(const void *buf, size_t len)
{
    return dlc__rpc__v1__response__unpack(NULL, len, buf);
}

int dlc_envelope_pack(const ProtobufCMessage *msg, nng_msg **out)
{
    size_t size = protobuf_c_message_get_packed_size(msg);
    int rv = nng_msg_alloc(out, size);
    if (rv != 0)
        return rv;
    protobuf_c_message_pack(msg, nng_msg_body(*out));
    return 0;
}

void *dlc_envelope_pack_arena(dlc_arena *arena, const ProtobufCMessage *msg, size_t *len)
{
    *len = protobuf_c_message_get_packed_size(msg);
    void *buf = dlc_arena_alloc(arena, *len);
    if (buf)
        protobuf_c_message_pack(msg, buf);
    return buf;
}

/* Metadata pairs as protobuf messages, in caller storage (n ≤ cap). */
static size_t md_view(const dlc_md *md, size_t n, Dlc__Rpc__V1__Metadata *buf,
                      Dlc__Rpc__V1__Metadata **ptrs, size_t cap)
{
    if (n > cap)
        n = cap;
    for (size_t i = 0; i < n; i++) {
        dlc__rpc__v1__metadata__init(&buf[i]);
        buf[i].key = (char *)md[i].key;
        buf[i].value = (char *)md[i].value;
        ptrs[i] = &buf[i];
    }
    return n;
}

#define MD_CAP 32

int dlc_envelope_pack_response(const dlc_status *st, const void *payload, size_t payload_len,
                               const dlc_md *md, size_t n_md, const char *request_id,
                               nng_msg **out)
{
    Dlc__Rpc__V1__Status pb_status;
    Dlc__Rpc__V1__FieldViolation vbuf[DLC_STATUS_MAX_VIOLATIONS];
    Dlc__Rpc__V1__FieldViolation *vptrs[DLC_STATUS_MAX_VIOLATIONS];
    dlc_status_to_proto(st, &pb_status, vbuf, vptrs);

    Dlc__Rpc__V1__Metadata mbuf[MD_CAP];
    Dlc__Rpc__V1__Metadata *mptrs[MD_CAP];
    Dlc__Rpc__V1__Response resp = DLC__RPC__V1__RESPONSE__INIT;
    resp.status = &pb_status;
    if (st->code == DLC_OK && payload_len) {
        resp.payload.data = (uint8_t *)payload;
        resp.payload.len = payload_len;
    }
    resp.n_metadata = md_view(md, n_md, mbuf, mptrs, MD_CAP);
    resp.metadata = resp.n_metadata ? mptrs : NULL;
    if (request_id)
        resp.request_id = (char *)request_id;
    return dlc_envelope_pack(&resp.base, out);
}

int dlc_envelope_pack_request(const char *method, const void *payload, size_t payload_len,
                              const dlc_md *md, size_t n_md, uint32_t timeout_ms,
                              const char *request_id, nng_msg **out)
{
    Dlc__Rpc__V1__Metadata mbuf[MD_CAP];
    Dlc__Rpc__V1__Metadata *mptrs[MD_CAP];
    Dlc__Rpc__V1__Request req = DLC__RPC__V1__REQUEST__INIT;
    req.method = (char *)method;
    req.payload.data = (uint8_t *)payload;
    req.payload.len = payload_len;
    req.n_metadata = md_view(md, n_md, mbuf, mptrs, MD_CAP);
    req.metadata = req.n_metadata ? mptrs : NULL;
    req.timeout_ms = timeout_ms;
    if (request_id)
        req.request_id = (char *)request_id;
    return dlc_envelope_pack(&req.base, out);
}

const char *dlc_envelope_md_get(Dlc__Rpc__V1__Metadata *const *md, size_t n, const char *key)
{
    for (size_t i = 0; i < n; i++) {
        if (md[i]->key && strcasecmp(md[i]->key, key) == 0)
            return md[i]->value;
    }
    return NULL;
}
