/*
 * libdlc-client: the RPC client of include/dlc/client.h — envelopes over a
 * pool of nng REQ sockets, each call bounded by its deadline.
 */
#include "dlc/client.h"

#include "common/clock.h"
#include "rpc/runtime/envelope.h"
#include "rpc/runtime/status.h"

#include <nng/protocol/reqrep0/req.h>
#include <nng/supplemental/util/platform.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define RECV_SLACK (64 * 1024)

typedef struct slot {
    nng_ctx ctx;
    nng_aio *aio;      /* receive */
    nng_aio *send_aio; /* posted together with aio: one wake-up per call */
    struct slot *next_free;
} slot;

typedef struct {
    nng_socket sock;
    atomic_int pipes;
} req_socket;

struct dlc_client {
    dlc_client_opts opts;
    req_socket *socks;
    int n_socks;
    slot *slots;
    int n_slots;   /* created so far (lazily, up to max_contexts) */
    slot *free_list;
    pthread_mutex_t mu;
    pthread_cond_t cv;
};

static void on_pipe(nng_pipe p, nng_pipe_ev ev, void *arg)
{
    (void)p;
    req_socket *rs = arg;
    atomic_fetch_add(&rs->pipes, ev == NNG_PIPE_EV_ADD_POST ? 1 : -1);
}

static int open_socket(dlc_client *c, req_socket *rs, char *err, size_t errlen)
{
    int rv = nng_req0_open(&rs->sock);
    if (rv == 0)
        rv = nng_socket_set_size(rs->sock, NNG_OPT_RECVMAXSZ, c->opts.max_message_bytes + RECV_SLACK);
    if (rv == 0)
        rv = nng_socket_set_ms(rs->sock, NNG_OPT_RECONNMINT, 10);
    /* A call lands on one socket's context: while that socket redials, the
     * call waits even if others are connected, so redials stay frequent
     * (every 100 ms at most: a core that starts after its gateway is found
     * within that; a refused connect on the way costs next to nothing). */
    if (rv == 0)
        rv = nng_socket_set_ms(rs->sock, NNG_OPT_RECONNMAXT, 100);
    if (rv == 0)
        rv = nng_pipe_notify(rs->sock, NNG_PIPE_EV_ADD_POST, on_pipe, rs);
    if (rv == 0)
        rv = nng_pipe_notify(rs->sock, NNG_PIPE_EV_REM_POST, on_pipe, rs);
    for (size_t i = 0; rv == 0 && i < c->opts.n_urls; i++) {
        rv = nng_dial(rs->sock, c->opts.urls[i], NULL, NNG_FLAG_NONBLOCK);
        if (rv != 0)
            snprintf(err, errlen, "dial %s: %s", c->opts.urls[i], nng_strerror(rv));
    }
    if (rv != 0 && err[0] == '\0')
        snprintf(err, errlen, "req socket: %s", nng_strerror(rv));
    return rv;
}

static void apply_defaults(dlc_client_opts *o)
{
    if (o->sockets <= 0)
        o->sockets = 4;
    if (o->max_contexts <= 0)
        o->max_contexts = 64;
    if (!o->max_message_bytes)
        o->max_message_bytes = 1048576;
    if (!o->default_timeout_ms)
        o->default_timeout_ms = 5000;
    if (!o->connect_wait_ms)
        o->connect_wait_ms = 1000;
}

int dlc_client_open(const dlc_client_opts *opts, dlc_client **out, char *err, size_t errlen)
{
    err[0] = '\0';
    dlc_client *c = calloc(1, sizeof *c);
    if (!c)
        return NNG_ENOMEM;
    c->opts = *opts;
    apply_defaults(&c->opts);
    pthread_mutex_init(&c->mu, NULL);
    pthread_cond_init(&c->cv, NULL);
    c->socks = calloc((size_t)c->opts.sockets, sizeof *c->socks);
    c->slots = calloc((size_t)c->opts.max_contexts, sizeof *c->slots);
    int rv = c->socks && c->slots ? 0 : NNG_ENOMEM;
    for (int i = 0; rv == 0 && i < c->opts.sockets; i++, c->n_socks++)
        rv = open_socket(c, &c->socks[i], err, errlen);
    if (rv != 0) {
        dlc_client_close(c);
        return rv;
    }
    *out = c;
    return 0;
}

void dlc_client_close(dlc_client *c)
{
    if (!c)
        return;
    /* The aios first: nng_aio_free waits for nng's expiry thread to be done
     * with one (nng_aio_stop does not), and that thread may still be
     * cancelling a timed-out call on its context; closing the socket first
     * frees the contexts under it (nng 1.5.2: "pthread_mutex_lock: Invalid
     * argument" panics after calls with 1 ms deadlines). */
    for (int i = 0; i < c->n_slots; i++) {
        nng_aio_free(c->slots[i].aio);
        nng_aio_free(c->slots[i].send_aio);
    }
    for (int i = 0; i < c->n_socks; i++)
        nng_close(c->socks[i].sock);
    pthread_mutex_destroy(&c->mu);
    pthread_cond_destroy(&c->cv);
    free(c->socks);
    free(c->slots);
    free(c);
}

int dlc_client_connected(const dlc_client *c)
{
    int n = 0;
    for (int i = 0; i < c->n_socks; i++)
        n += atomic_load(&c->socks[i].pipes);
    return n;
}

/* A new context on the next socket, round robin. Called with mu held. */
static slot *create_slot(dlc_client *c)
{
    slot *s = &c->slots[c->n_slots];
    if (nng_ctx_open(&s->ctx, c->socks[c->n_slots % c->n_socks].sock) != 0)
        return NULL;
    if (nng_aio_alloc(&s->aio, NULL, NULL) != 0) {
        nng_ctx_close(s->ctx);
        return NULL;
    }
    if (nng_aio_alloc(&s->send_aio, NULL, NULL) != 0) {
        nng_aio_free(s->aio);
        nng_ctx_close(s->ctx);
        return NULL;
    }
    c->n_slots++;
    return s;
}

static void abs_deadline(int64_t deadline_mono, struct timespec *ts)
{
    int64_t left = deadline_mono - dlc_clock_mono_ms();
    clock_gettime(CLOCK_REALTIME, ts);
    if (left < 0)
        left = 0;
    ts->tv_sec += left / 1000;
    ts->tv_nsec += (left % 1000) * 1000000;
    if (ts->tv_nsec >= 1000000000) {
        ts->tv_sec++;
        ts->tv_nsec -= 1000000000;
    }
}

static slot *borrow(dlc_client *c, int64_t deadline)
{
    struct timespec ts;
    abs_deadline(deadline, &ts);
    pthread_mutex_lock(&c->mu);
    slot *s = NULL;
    for (;;) {
        if (c->free_list) {
            s = c->free_list;
            c->free_list = s->next_free;
            break;
        }
        if (c->n_slots < c->opts.max_contexts) {
            s = create_slot(c);
            break;
        }
        if (pthread_cond_timedwait(&c->cv, &c->mu, &ts) != 0)
            break;
    }
    pthread_mutex_unlock(&c->mu);
    return s;
}

static void give_back(dlc_client *c, slot *s)
{
    pthread_mutex_lock(&c->mu);
    s->next_free = c->free_list;
    c->free_list = s;
    pthread_cond_signal(&c->cv);
    pthread_mutex_unlock(&c->mu);
}

/* Waits (bounded) until at least one core is connected. */
static bool wait_for_core(dlc_client *c, int64_t deadline)
{
    int64_t until = dlc_clock_mono_ms() + c->opts.connect_wait_ms;
    if (until > deadline)
        until = deadline;
    while (dlc_client_connected(c) == 0) {
        if (dlc_clock_mono_ms() >= until)
            return false;
        nng_msleep(5);
    }
    return true;
}

static nng_msg *build_request(const dlc_client_request *rq, uint32_t timeout_ms)
{
    void *packed = NULL;
    const void *payload = rq->payload;
    size_t len = rq->payload_len;
    if (rq->input) {
        len = protobuf_c_message_get_packed_size(rq->input);
        packed = malloc(len ? len : 1);
        if (!packed)
            return NULL;
        protobuf_c_message_pack(rq->input, packed);
        payload = packed;
    }
    /* the metadata, and the idempotency key as one more entry */
    size_t n = rq->n_metadata;
    dlc_md *md = malloc((n + 1) * sizeof *md);
    nng_msg *msg = NULL;
    if (md) {
        if (n)
            memcpy(md, rq->metadata, n * sizeof *md);
        if (rq->idempotency_key)
            md[n++] = (dlc_md){"idempotency-key", rq->idempotency_key};
        if (dlc_envelope_pack_request(rq->method, payload, len, md, n, timeout_ms,
                                      rq->request_id, &msg) != 0)
            msg = NULL;
    }
    free(md);
    free(packed);
    return msg;
}

/* nng reads negative durations as "default"/"infinite": never pass one. */
static nng_duration left_ms(int64_t deadline)
{
    int64_t left = deadline - dlc_clock_mono_ms();
    return (nng_duration)(left > 0 ? left : 1);
}

/* One round trip on a borrowed context; fills reply. The receive is posted
 * once the send has completed: nng 1.5.2 crashes when a receive posted
 * behind a send still queued is cancelled or times out (nng issue #1702,
 * fixed in 1.7). A send completes at once when a connection to a core is
 * free, so the caller still sleeps once, until the answer. */
static void round_trip(dlc_client *c, slot *s, nng_msg *msg, int64_t deadline,
                       dlc_client_reply *reply)
{
    nng_aio_set_timeout(s->send_aio, left_ms(deadline));
    nng_aio_set_msg(s->send_aio, msg);
    nng_ctx_send(s->ctx, s->send_aio);
    nng_aio_wait(s->send_aio);
    int rv = nng_aio_result(s->send_aio);
    if (rv != 0) {
        nng_msg_free(msg); /* never handed over */
    } else {
        nng_aio_set_timeout(s->aio, left_ms(deadline));
        nng_ctx_recv(s->ctx, s->aio);
        nng_aio_wait(s->aio);
        rv = nng_aio_result(s->aio);
    }
    if (rv != 0) {
        bool down = rv != NNG_ETIMEDOUT || dlc_client_connected(c) == 0;
        dlc_status_set(&reply->status, down ? DLC_UNAVAILABLE : DLC_DEADLINE_EXCEEDED, NULL,
                       "rpc: %s", down ? "no core reachable" : "deadline exceeded");
        return;
    }
    nng_msg *in = nng_aio_get_msg(s->aio);
    reply->response = dlc_envelope_decode_response(nng_msg_body(in), nng_msg_len(in));
    nng_msg_free(in);
    if (!reply->response)
        dlc_status_set(&reply->status, DLC_INTERNAL, NULL, "rpc: undecodable response");
    else
        dlc_status_from_proto(&reply->status, reply->response->status);
}

void dlc_client_call(dlc_client *c, const dlc_client_request *rq, dlc_client_reply *reply)
{
    dlc_status_clear(&reply->status);
    reply->response = NULL;
    uint32_t timeout = rq->timeout_ms ? rq->timeout_ms : c->opts.default_timeout_ms;
    /* nng 1.5.2's aio expiry races a completing call (it may cancel the
     * next call on the same context, or leave a context referenced so that
     * closing its socket never returns): the local wait is never so short
     * that an answering core routinely meets it. The core enforces the
     * caller's deadline (the envelope carries it). */
    int64_t deadline =
        dlc_clock_mono_ms() + (timeout > DLC_CLIENT_MIN_WAIT_MS ? timeout : DLC_CLIENT_MIN_WAIT_MS);
    if (!wait_for_core(c, deadline)) {
        dlc_status_set(&reply->status, DLC_UNAVAILABLE, NULL, "rpc: no core reachable");
        return;
    }
    slot *s = borrow(c, deadline);
    if (!s) {
        dlc_status_set(&reply->status, DLC_DEADLINE_EXCEEDED, NULL,
                       "rpc: no free context before the deadline");
        return;
    }
    nng_msg *msg = build_request(rq, timeout);
    if (!msg)
        dlc_status_set(&reply->status, DLC_INTERNAL, NULL, "rpc: cannot build request");
    else
        round_trip(c, s, msg, deadline, reply);
    give_back(c, s);
}

ProtobufCMessage *dlc_client_reply_unpack(dlc_client_reply *reply,
                                          const ProtobufCMessageDescriptor *desc)
{
    if (!reply->response || reply->status.code != DLC_OK)
        return NULL;
    ProtobufCMessage *m = protobuf_c_message_unpack(desc, NULL, reply->response->payload.len,
                                                    reply->response->payload.data);
    if (!m)
        dlc_status_set(&reply->status, DLC_INTERNAL, NULL, "the core sent an undecodable answer");
    return m;
}

void dlc_client_reply_free(dlc_client_reply *reply)
{
    if (reply->response)
        dlc__rpc__v1__response__free_unpacked(reply->response, NULL);
    reply->response = NULL;
}

const char *dlc_client_reply_md(const dlc_client_reply *reply, const char *key)
{
    const Dlc__Rpc__V1__Response *r = reply->response;
    return r ? dlc_envelope_md_get(r->metadata, r->n_metadata, key) : NULL;
}
