#include "rpc/runtime/server.h"

#include "common/clock.h"
#include "common/log.h"
#include "common/request_id.h"

#include <arpa/inet.h>
#include <nng/protocol/reqrep0/rep.h>
#include <nng/supplemental/util/platform.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

/* How often an idle worker wakes to look at the stop flag. */
#define IDLE_POLL_MS 200
/* Frames up to this much over max_message_bytes still get an answer. */
#define RECV_SLACK (64 * 1024)

typedef struct worker {
    struct dlc_server *server;
    int index;
    nng_ctx ctx;
    nng_aio *aio;
    dlc_arena arena;
    void *state;
    pthread_t thread;
    bool started;
    int init_rc; /* 0 ok, -1 worker_init failed */
} worker;

struct dlc_server {
    dlc_server_opts opts;
    nng_socket sock;
    worker *workers;
    atomic_bool stopping;
    atomic_int in_flight;
    atomic_int ready; /* workers that finished worker_init */
};

static const char *pick_request_id(worker *w, const Dlc__Rpc__V1__Request *req)
{
    if (req && dlc_request_id_ok(req->request_id))
        return req->request_id;
    const char *md = req ? dlc_envelope_md_get(req->metadata, req->n_metadata, "x-request-id")
                         : NULL;
    if (dlc_request_id_ok(md))
        return md;
    char *id = dlc_arena_alloc(&w->arena, 33);
    if (id)
        dlc_request_id_new(id);
    return id ? id : "";
}

static dlc_code authorize(worker *w, dlc_call *call, const dlc_method *m)
{
    if (m->access == DLC_ACCESS_PUBLIC)
        return DLC_OK;
    if (!w->server->opts.authorize)
        return dlc_call_fail(call, DLC_UNAUTHENTICATED, "unauthorized",
                             "this method requires authentication");
    return w->server->opts.authorize(call, m->access);
}

/* Decodes the input, runs the handler, packs the output into *payload. */
static void invoke(dlc_call *call, const dlc_method *m, void **payload, size_t *payload_len)
{
    const ProtobufCBinaryData *in_bytes = &call->request->payload;
    ProtobufCMessage *in = protobuf_c_message_unpack(m->input, &call->arena->pb, in_bytes->len,
                                                     in_bytes->data);
    if (!in) {
        dlc_call_fail(call, DLC_INVALID_ARGUMENT, "malformed_payload",
                      "payload is not a valid %s", m->input->name);
        return;
    }
    ProtobufCMessage *out = NULL;
    dlc_code code = m->handler(call, in, &out);
    if (code != DLC_OK) {
        if (call->status.code == DLC_OK) /* handler forgot to say why */
            dlc_call_fail(call, code, NULL, "%s failed", call->method);
        return;
    }
    if (dlc_clock_mono_ms() >= call->deadline_ms) {
        dlc_call_fail(call, DLC_DEADLINE_EXCEEDED, NULL, "deadline exceeded");
        return;
    }
    if (!out || out->descriptor != m->output) {
        dlc_log_error("handler returned no or wrong output", "method", call->method);
        dlc_call_fail(call, DLC_INTERNAL, NULL, "internal error");
        return;
    }
    *payload = dlc_envelope_pack_arena(call->arena, out, payload_len);
    if (!*payload && *payload_len) {
        *payload_len = 0;
        dlc_call_fail(call, DLC_INTERNAL, NULL, "out of memory");
    }
}

static void log_outcome(const dlc_call *call)
{
    dlc_log_level lvl = call->status.code == DLC_INTERNAL ? DLC_LOG_ERROR : DLC_LOG_DEBUG;
    dlc_log_kv(lvl, "rpc", "method", call->method ? call->method : "", "request_id",
               call->request_id, "code", dlc_code_name(call->status.code), "reason",
               dlc_status_reason(&call->status), (const char *)0);
}

/* Who is at the other end of msg's connection (see dlc_call.peer). */
static void peer_of(nng_msg *msg, char *buf, size_t len)
{
    nng_pipe p = nng_msg_get_pipe(msg);
    nng_sockaddr sa;
    char addr[INET6_ADDRSTRLEN] = "";
    int pid = 0;
    buf[0] = '\0';
    if (nng_pipe_get_addr(p, NNG_OPT_REMADDR, &sa) != 0)
        return;
    if (sa.s_family == NNG_AF_INET && inet_ntop(AF_INET, &sa.s_in.sa_addr, addr, sizeof addr))
        snprintf(buf, len, "tcp:%s", addr);
    else if (sa.s_family == NNG_AF_INET6 &&
             inet_ntop(AF_INET6, sa.s_in6.sa_addr, addr, sizeof addr))
        snprintf(buf, len, "tcp:%s", addr);
    else if (sa.s_family == NNG_AF_IPC && nng_pipe_get_int(p, NNG_OPT_IPC_PEER_PID, &pid) == 0)
        snprintf(buf, len, "ipc:pid:%d", pid);
}

/* Turns one received frame into one response frame (NULL only on OOM). */
static nng_msg *handle(worker *w, nng_msg *msg)
{
    dlc_server *s = w->server;
    char peer[INET6_ADDRSTRLEN + 8];
    peer_of(msg, peer, sizeof peer);
    dlc_call call = {.app = s->opts.app, .worker = w->state, .arena = &w->arena, .peer = peer};
    dlc_status_clear(&call.status);
    int64_t now = dlc_clock_mono_ms();
    Dlc__Rpc__V1__Request *req = dlc_envelope_decode_request(
        &w->arena, nng_msg_body(msg), nng_msg_len(msg), s->opts.max_message_bytes, &call.status);
    call.request = req;
    call.request_id = pick_request_id(w, req);
    void *payload = NULL;
    size_t payload_len = 0;
    if (req) {
        call.method = req->method;
        /* A caller may ask for less time than the default, never more: one
         * client must not pin a worker (or a shutdown) for days. */
        int64_t budget = s->opts.default_timeout_ms;
        if (req->timeout_ms && (int64_t)req->timeout_ms < budget)
            budget = req->timeout_ms;
        call.deadline_ms = now + budget;
        const dlc_method *m = dlc_dispatch_find(s->opts.dispatch, req->method);
        if (!m)
            dlc_call_fail(&call, DLC_UNIMPLEMENTED, "unknown_method", "unknown method %.200s",
                          req->method);
        else if (authorize(w, &call, m) == DLC_OK)
            invoke(&call, m, &payload, &payload_len);
    }
    log_outcome(&call);
    nng_msg *reply = NULL;
    if (dlc_envelope_pack_response(&call.status, payload, payload_len, call.response_md,
                                   call.n_response_md, call.request_id, &reply) != 0)
        reply = NULL;
    return reply;
}

static void serve_one(worker *w, nng_msg *msg)
{
    atomic_fetch_add(&w->server->in_flight, 1);
    nng_msg *reply = handle(w, msg);
    nng_msg_free(msg);
    dlc_arena_reset(&w->arena);
    if (reply) {
        nng_aio_set_timeout(w->aio, 5000);
        nng_aio_set_msg(w->aio, reply);
        nng_ctx_send(w->ctx, w->aio);
        nng_aio_wait(w->aio);
        if (nng_aio_result(w->aio) != 0)
            nng_msg_free(reply);
    }
    atomic_fetch_sub(&w->server->in_flight, 1);
}

static void *worker_main(void *arg)
{
    worker *w = arg;
    dlc_server *s = w->server;
    if (s->opts.worker_init) {
        w->state = s->opts.worker_init(s->opts.app, w->index);
        w->init_rc = w->state ? 0 : -1;
    }
    atomic_fetch_add(&s->ready, 1);
    while (w->init_rc == 0 && !atomic_load(&s->stopping)) {
        nng_aio_set_timeout(w->aio, IDLE_POLL_MS);
        nng_ctx_recv(w->ctx, w->aio);
        nng_aio_wait(w->aio);
        int rv = nng_aio_result(w->aio);
        if (rv == NNG_ETIMEDOUT)
            continue;
        if (rv != 0)
            break; /* socket closed */
        serve_one(w, nng_aio_get_msg(w->aio));
    }
    return NULL;
}

static int open_socket(dlc_server *s, char *err, size_t errlen)
{
    int rv = nng_rep0_open(&s->sock);
    if (rv == 0)
        rv = nng_socket_set_size(s->sock, NNG_OPT_RECVMAXSZ,
                                 s->opts.max_message_bytes + RECV_SLACK);
    if (rv != 0) {
        snprintf(err, errlen, "rep socket: %s", nng_strerror(rv));
        return -1;
    }
    for (size_t i = 0; i < s->opts.n_urls; i++) {
        rv = nng_listen(s->sock, s->opts.urls[i], NULL, 0);
        if (rv != 0) {
            snprintf(err, errlen, "listen %s: %s", s->opts.urls[i], nng_strerror(rv));
            return -1;
        }
    }
    return 0;
}

static int start_workers(dlc_server *s, char *err, size_t errlen)
{
    for (int i = 0; i < s->opts.workers; i++) {
        worker *w = &s->workers[i];
        w->server = s;
        w->index = i;
        dlc_arena_init(&w->arena, 16384);
        int rv = nng_ctx_open(&w->ctx, s->sock);
        if (rv == 0)
            rv = nng_aio_alloc(&w->aio, NULL, NULL);
        if (rv == 0)
            rv = pthread_create(&w->thread, NULL, worker_main, w) == 0 ? 0 : NNG_ENOMEM;
        if (rv != 0) {
            snprintf(err, errlen, "worker %d: %s", i, nng_strerror(rv));
            return -1;
        }
        w->started = true;
    }
    while (atomic_load(&s->ready) < s->opts.workers)
        nng_msleep(5);
    for (int i = 0; i < s->opts.workers; i++) {
        if (s->workers[i].init_rc != 0) {
            snprintf(err, errlen, "worker %d: state initialisation failed", i);
            return -1;
        }
    }
    return 0;
}

static void release(dlc_server *s)
{
    atomic_store(&s->stopping, true);
    nng_close(s->sock); /* wakes every worker still waiting */
    for (int i = 0; s->workers && i < s->opts.workers; i++) {
        worker *w = &s->workers[i];
        if (w->started)
            pthread_join(w->thread, NULL);
        if (w->state && s->opts.worker_fini)
            s->opts.worker_fini(s->opts.app, w->state);
        if (w->aio)
            nng_aio_free(w->aio);
        dlc_arena_destroy(&w->arena);
    }
    free(s->workers);
    free(s);
}

int dlc_server_start(const dlc_server_opts *opts, dlc_server **out, char *err, size_t errlen)
{
    dlc_server *s = calloc(1, sizeof *s);
    if (!s) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    s->opts = *opts;
    s->workers = calloc((size_t)opts->workers, sizeof *s->workers);
    if (!s->workers || open_socket(s, err, errlen) != 0 || start_workers(s, err, errlen) != 0) {
        release(s);
        return -1;
    }
    *out = s;
    return 0;
}

void dlc_server_stop(dlc_server *s, int64_t timeout_ms)
{
    atomic_store(&s->stopping, true);
    int64_t until = dlc_clock_mono_ms() + timeout_ms;
    while (atomic_load(&s->in_flight) > 0 && dlc_clock_mono_ms() < until)
        nng_msleep(10);
    release(s);
}
