/*
 * dlc/client.h — libdlc-client's public API (pkg-config dlc-client, or
 * CMake find_package(dlc-client)): call the dlc RPC core from C. The
 * gateway, dlcctl and the tests use the same client.
 *
 * dlc_client: the REQ side. Thread-safe:
 * one client serves many threads. It opens `sockets` REQ sockets, each
 * dialling every URL (nng spreads requests over connected cores and resends
 * to another when one disconnects), and keeps a bounded pool of REQ contexts
 * spread over them: a call borrows one, and waits (within its deadline) when
 * all are busy.
 *
 * Transport failures become statuses like any other: no core connected →
 * UNAVAILABLE (reason "unavailable") after at most connect_wait_ms; no answer
 * within the timeout → DEADLINE_EXCEEDED; an undecodable answer → INTERNAL.
 */
#ifndef DLC_PUBLIC_CLIENT_H
#define DLC_PUBLIC_CLIENT_H

#include <dlc/status.h>

#include <protobuf-c/protobuf-c.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    const char *const *urls;
    size_t n_urls;
    int sockets;              /* 0 → 4 */
    int max_contexts;         /* 0 → 64 */
    size_t max_message_bytes; /* 0 → 1 MiB (+64 KiB slack, as the server) */
    uint32_t default_timeout_ms; /* 0 → 5000 */
    uint32_t connect_wait_ms;    /* 0 → 1000: how long to wait for a first core */
} dlc_client_opts;

typedef struct {
    const char *method;             /* "dlc.v1.GreetService/Greet" */
    const ProtobufCMessage *input;  /* packed for you; or NULL and: */
    const void *payload;            /*   already-serialised input */
    size_t payload_len;
    const dlc_md *metadata;
    size_t n_metadata;
    /* 0 → default_timeout_ms. The core enforces it, whatever its length;
     * the client itself waits at least DLC_CLIENT_MIN_WAIT_MS for the
     * answer (see client.c), so a deadline shorter than that comes back as
     * the core's DEADLINE_EXCEEDED, or as the client's when no core
     * answers in that time. */
    uint32_t timeout_ms;
    const char *request_id;         /* NULL → the server generates one */
    /* Exactly-once writes: a repeat with the same key gets the first
     * answer (metadata "idempotency-key"; NULL: none). */
    const char *idempotency_key;
} dlc_client_request;

#define DLC_CLIENT_MIN_WAIT_MS 100

typedef struct {
    dlc_status status;
    Dlc__Rpc__V1__Response *response; /* NULL on transport failure; owned */
} dlc_client_reply;

typedef struct dlc_client dlc_client;

/* Returns 0, or an nng error code (err filled). Dialling is asynchronous:
 * cores that are not up yet are connected when they come. */
int dlc_client_open(const dlc_client_opts *opts, dlc_client **out, char *err, size_t errlen);
void dlc_client_close(dlc_client *c);

/* Always fills reply (free with dlc_client_reply_free). */
void dlc_client_call(dlc_client *c, const dlc_client_request *rq, dlc_client_reply *reply);

/* Decodes the payload of an OK reply as desc (heap; caller frees with
 * protobuf_c_message_free_unpacked(m, NULL)). NULL on failure; an OK reply
 * whose payload does not decode becomes INTERNAL in reply->status, so the
 * status always says why there is no message. */
ProtobufCMessage *dlc_client_reply_unpack(dlc_client_reply *reply,
                                          const ProtobufCMessageDescriptor *desc);
void dlc_client_reply_free(dlc_client_reply *reply);

/* Cores currently connected (pipes over all sockets). */
int dlc_client_connected(const dlc_client *c);

/* The value of metadata key in an answer (NULL: none, or no answer). */
const char *dlc_client_reply_md(const dlc_client_reply *reply, const char *key);

#ifdef __cplusplus
}
#endif

#endif
