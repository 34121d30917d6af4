/*
 * dlc_server: the REP side as a state machine per nng context (the pattern
 * of nng's async demo) feeding event-loop fibers.
 *
 *   RECV --frame--> (posted to the context's loop; a fiber decodes,
 *                    authorizes, runs the handler, packs the reply) --> SEND
 *   SEND --sent or failed--> RECV
 *
 * nng's callbacks only move frames and post tasks: they never block. The
 * handler's waits (database, hashing) suspend its fiber, not a thread.
 */
#include "rpc/runtime/server.h"

#include "common/clock.h"
#include "common/log.h"
#include "common/loop.h"
#include "common/request_id.h"
#include "rpc/runtime/rpc_trace.h"

#include <arpa/inet.h>
#include <nng/protocol/reqrep0/rep.h>
#include <nng/supplemental/util/platform.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <unistd.h>

/* Frames up to this much over max_message_bytes still get an answer. */
#define RECV_SLACK (64 * 1024)
/* A reply the peer does not take within this long is dropped. */
#define SEND_TIMEOUT_MS 5000
/* Idle fiber stacks each loop keeps mapped (the rest are unmapped). */
#define KEEP_IDLE_FIBERS 64

typedef enum { PHASE_RECV, PHASE_SERVE, PHASE_SEND } phase;

/* One nng context and the request it serves. */
typedef struct slot {
    struct dlc_server *server;
    dlc_loop *loop;
    void *state; /* the loop's application state (call->worker) */
    nng_ctx ctx;
    nng_aio *aio;
    phase phase;
    nng_msg *msg; /* the request being served */
    dlc_loop_task task;
    dlc_arena arena;
} slot;

struct dlc_server {
    dlc_server_opts opts;
    nng_socket sock;
    bool sock_open;
    int n_loops;
    dlc_loop **loops;
    void **states; /* one per loop */
    int n_slots;
    slot *slots;
    atomic_bool stopping;
    atomic_int in_flight; /* frames received and not yet answered */
    atomic_int live;      /* slots that will still call back */
};

static const char *pick_request_id(slot *w, const Dlc__Rpc__V1__Request *req)
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

static dlc_code authorize(slot *w, dlc_call *call, const dlc_method *m)
{
    if (m->access == DLC_ACCESS_PUBLIC)
        return DLC_OK;
    if (!w->server->opts.authorize)
        return dlc_call_fail(call, DLC_UNAUTHENTICATED, "unauthorized",
                             "this method requires authentication");
    return w->server->opts.authorize(call, m->access);
}

/* Runs the handler on in and packs its output into *payload. */
static void run_handler(dlc_call *call, const dlc_method *m, const ProtobufCMessage *in,
                        void **payload, size_t *payload_len)
{
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

/* Decodes the input and runs the handler (inside the guard for methods
 * that write); the answer's bytes go to *payload. */
static void invoke(const dlc_server *s, dlc_call *call, const dlc_method *m, void **payload,
                   size_t *payload_len)
{
    const ProtobufCBinaryData *in_bytes = &call->request->payload;
    ProtobufCMessage *in = protobuf_c_message_unpack(m->input, &call->arena->pb, in_bytes->len,
                                                     in_bytes->data);
    if (!in) {
        dlc_call_fail(call, DLC_INVALID_ARGUMENT, "malformed_payload",
                      "payload is not a valid %s", m->input->name);
        return;
    }
    const dlc_server_guard *g = (m->flags & DLC_METHOD_WRITES) ? s->opts.guard : NULL;
    if (g && g->before(call, in, payload, payload_len) == DLC_GUARD_ANSWERED)
        return;
    run_handler(call, m, in, payload, payload_len);
    if (g)
        g->after(call, payload, payload_len);
}

static void log_outcome(const dlc_call *call, int64_t us)
{
    dlc_log_level lvl = call->status.code == DLC_INTERNAL ? DLC_LOG_ERROR
                        : dlc_log_access_enabled()       ? DLC_LOG_INFO
                                                         : DLC_LOG_DEBUG;
    const dlc_log_field f[] = {
        DLC_LOG_STR("method", call->method),
        DLC_LOG_STR("code", dlc_code_name(call->status.code)),
        DLC_LOG_NUM("duration_ms", (double)us / 1000.0),
        DLC_LOG_STR("request_id", call->request_id),
        DLC_LOG_STR("peer", call->peer),
        DLC_LOG_STR("trace_id", call->trace.trace_id),
        DLC_LOG_STR("span_id", call->trace.span_id),
        DLC_LOG_STR("reason", dlc_status_reason(&call->status)),
    };
    dlc_log_fields(lvl, "rpc", f, sizeof f / sizeof f[0]);
}

/* Who is at the other end of msg's connection (see dlc_call.peer). */
static void peer_of(nng_msg *msg, char *buf, size_t len)
{
    nng_pipe p = nng_msg_get_pipe(msg);
    nng_sockaddr sa;
    char addr[INET6_ADDRSTRLEN] = "";
    uint64_t pid = 0;
    buf[0] = '\0';
    /* an ipc pipe: its peer's pid (a uint64_t option) */
    if (nng_pipe_get_uint64(p, NNG_OPT_IPC_PEER_PID, &pid) == 0)
        snprintf(buf, len, "ipc:pid:%llu", (unsigned long long)pid);
    else if (nng_pipe_get_addr(p, NNG_OPT_REMADDR, &sa) != 0)
        return;
    else if (sa.s_family == NNG_AF_INET && inet_ntop(AF_INET, &sa.s_in.sa_addr, addr, sizeof addr))
        snprintf(buf, len, "tcp:%s", addr);
    else if (sa.s_family == NNG_AF_INET6 &&
             inet_ntop(AF_INET6, sa.s_in6.sa_addr, addr, sizeof addr))
        snprintf(buf, len, "tcp:%s", addr);
}

/* Turns one received frame into one response frame (NULL only on OOM). */
static nng_msg *handle(slot *w, nng_msg *msg)
{
    dlc_server *s = w->server;
    char peer[INET6_ADDRSTRLEN + 8];
    peer_of(msg, peer, sizeof peer);
    dlc_call call = {.app = s->opts.app, .worker = w->state, .arena = &w->arena, .peer = peer};
    dlc_status_clear(&call.status);
    int64_t t0 = dlc_clock_mono_us();
    int64_t now = t0 / 1000;
    const dlc_method *m = NULL;
    Dlc__Rpc__V1__Request *req = dlc_envelope_decode_request(
        &w->arena, nng_msg_body(msg), nng_msg_len(msg), s->opts.max_message_bytes, &call.status);
    call.request = req;
    call.request_id = pick_request_id(w, req);
    dlc_rpc_trace_begin(s->opts.tracer, &call);
    void *payload = NULL;
    size_t payload_len = 0;
    if (req) {
        call.method = req->method;
        /* A caller may ask for less time than the default, never more: one
         * client must not pin a fiber (or a shutdown) for days. */
        int64_t budget = s->opts.default_timeout_ms;
        if (req->timeout_ms && (int64_t)req->timeout_ms < budget)
            budget = req->timeout_ms;
        call.deadline_ms = now + budget;
        m = dlc_dispatch_find(s->opts.dispatch, req->method);
        if (!m)
            dlc_call_fail(&call, DLC_UNIMPLEMENTED, "unknown_method", "unknown method %.200s",
                          req->method);
        else if (authorize(w, &call, m) == DLC_OK)
            invoke(s, &call, m, &payload, &payload_len);
    }
    int64_t us = dlc_clock_mono_us() - t0;
    log_outcome(&call, us);
    if (s->opts.on_done)
        s->opts.on_done(s->opts.app, &call, m, us);
    dlc_rpc_trace_end(s->opts.tracer, &call);
    nng_msg *reply = NULL;
    if (dlc_envelope_pack_response(&call.status, payload, payload_len, call.response_md,
                                   call.n_response_md, call.request_id, &reply) != 0)
        reply = NULL;
    return reply;
}

/* Waits for the next frame, unless the server is stopping: then the slot
 * is done (it calls back no more). */
static void post_recv(slot *w)
{
    if (atomic_load(&w->server->stopping)) {
        atomic_fetch_sub(&w->server->live, 1);
        return;
    }
    w->phase = PHASE_RECV;
    /* The aio carried the send's timeout: an idle context must not wake
     * every few seconds for nothing. */
    nng_aio_set_timeout(w->aio, NNG_DURATION_INFINITE);
    nng_ctx_recv(w->ctx, w->aio);
}

/* The fiber of one request. */
static void serve(void *arg)
{
    slot *w = arg;
    nng_msg *reply = handle(w, w->msg);
    nng_msg_free(w->msg);
    w->msg = NULL;
    dlc_arena_reset(&w->arena);
    atomic_fetch_sub(&w->server->in_flight, 1);
    if (!reply) {
        post_recv(w); /* out of memory: the caller's REQ resends or times out */
        return;
    }
    w->phase = PHASE_SEND;
    nng_aio_set_timeout(w->aio, SEND_TIMEOUT_MS);
    nng_aio_set_msg(w->aio, reply);
    nng_ctx_send(w->ctx, w->aio);
}

/* nng's callback (on nng's threads): never blocks. */
static void on_aio(void *arg)
{
    slot *w = arg;
    int rv = nng_aio_result(w->aio);
    if (w->phase == PHASE_SEND) {
        if (rv != 0)
            nng_msg_free(nng_aio_get_msg(w->aio));
        post_recv(w);
        return;
    }
    if (rv != 0) {
        if (rv == NNG_ECLOSED || rv == NNG_ECANCELED || atomic_load(&w->server->stopping))
            atomic_fetch_sub(&w->server->live, 1);
        else
            post_recv(w); /* a transient failure of one pipe */
        return;
    }
    w->msg = nng_aio_get_msg(w->aio);
    w->phase = PHASE_SERVE;
    atomic_fetch_add(&w->server->in_flight, 1);
    dlc_loop_post(w->loop, &w->task);
}

/* An ipc socket file is created owner and group only (0660): whoever may
 * connect to it is believed about x-client-ip (rpc.trusted_peers: ipc). */
#define IPC_MODE 0660

static int listen_on(nng_socket sock, const char *url)
{
    nng_listener l = NNG_LISTENER_INITIALIZER;
    int rv = nng_listener_create(&l, sock, url);
    if (rv == 0 && strncmp(url, "ipc://", 6) == 0)
        rv = nng_listener_set_int(l, NNG_OPT_IPC_PERMISSIONS, IPC_MODE);
    if (rv == 0)
        rv = nng_listener_start(l, 0);
    if (rv != 0 && nng_listener_id(l) > 0)
        nng_listener_close(l);
    return rv;
}

static int open_socket(dlc_server *s, char *err, size_t errlen)
{
    int rv = nng_rep0_open(&s->sock);
    if (rv == 0) {
        s->sock_open = true;
        rv = nng_socket_set_size(s->sock, NNG_OPT_RECVMAXSZ,
                                 s->opts.max_message_bytes + RECV_SLACK);
    }
    if (rv != 0) {
        snprintf(err, errlen, "rep socket: %s", nng_strerror(rv));
        return -1;
    }
    for (size_t i = 0; i < s->opts.n_urls; i++) {
        rv = listen_on(s->sock, s->opts.urls[i]);
        if (rv != 0) {
            snprintf(err, errlen, "listen %s: %s", s->opts.urls[i], nng_strerror(rv));
            return -1;
        }
    }
    return 0;
}

/* The loops, each with the application's state for its fibers. */
static int start_loops(dlc_server *s, char *err, size_t errlen)
{
    for (int i = 0; i < s->n_loops; i++) {
        s->loops[i] = dlc_loop_new(0, KEEP_IDLE_FIBERS);
        if (!s->loops[i] || dlc_loop_start(s->loops[i]) != 0) {
            snprintf(err, errlen, "event loop %d: cannot start", i);
            return -1;
        }
        if (s->opts.worker_init && !(s->states[i] = s->opts.worker_init(s->opts.app, i))) {
            snprintf(err, errlen, "event loop %d: state initialisation failed", i);
            return -1;
        }
    }
    return 0;
}

static int open_slots(dlc_server *s, char *err, size_t errlen)
{
    for (int i = 0; i < s->n_slots; i++) {
        slot *w = &s->slots[i];
        w->server = s;
        w->loop = s->loops[i % s->n_loops];
        w->state = s->states[i % s->n_loops];
        w->task = (dlc_loop_task){.fn = serve, .arg = w};
        dlc_arena_init(&w->arena, 16384);
        int rv = nng_ctx_open(&w->ctx, s->sock);
        if (rv == 0)
            rv = nng_aio_alloc(&w->aio, on_aio, w);
        if (rv != 0) {
            snprintf(err, errlen, "context %d: %s", i, nng_strerror(rv));
            return -1;
        }
    }
    atomic_store(&s->live, s->n_slots);
    for (int i = 0; i < s->n_slots; i++)
        post_recv(&s->slots[i]);
    return 0;
}

/* How long release waits for requests still being served after the socket
 * closed (their deadlines end them well before). */
#define RELEASE_WAIT_MS 30000

/* Closes the socket, waits until every slot has called back for the last
 * time and every fiber has ended, then frees everything. */
static void release(dlc_server *s)
{
    atomic_store(&s->stopping, true);
    if (s->sock_open)
        nng_close(s->sock); /* receives end (NNG_ECLOSED), late replies fail */
    int64_t until = dlc_clock_mono_ms() + RELEASE_WAIT_MS;
    while (atomic_load(&s->live) > 0 && dlc_clock_mono_ms() < until)
        nng_msleep(5);
    if (atomic_load(&s->live) > 0)
        dlc_log_error("rpc contexts still busy at exit");
    for (int i = 0; s->loops && i < s->n_loops; i++)
        dlc_loop_stop(s->loops[i]);
    for (int i = 0; s->slots && i < s->n_slots; i++) {
        slot *w = &s->slots[i];
        if (w->aio)
            nng_aio_free(w->aio); /* waits for a callback still returning */
        if (w->msg)
            nng_msg_free(w->msg);
        dlc_arena_destroy(&w->arena);
    }
    for (int i = 0; s->loops && i < s->n_loops; i++) {
        if (s->states[i] && s->opts.worker_fini)
            s->opts.worker_fini(s->opts.app, s->states[i]);
        dlc_loop_free(s->loops[i]);
    }
    free(s->slots);
    free(s->loops);
    free(s->states);
    free(s);
}

int dlc_server_count_loops(int wanted)
{
    if (wanted > 0)
        return wanted;
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    return cpus < 1 ? 1 : cpus > 64 ? 64 : (int)cpus;
}

int dlc_server_start(const dlc_server_opts *opts, dlc_server **out, char *err, size_t errlen)
{
    dlc_server *s = calloc(1, sizeof *s);
    if (!s) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    s->opts = *opts;
    s->n_loops = dlc_server_count_loops(opts->loops);
    s->n_slots = opts->max_in_flight > 0 ? opts->max_in_flight : 256;
    if (s->n_slots < s->n_loops)
        s->n_slots = s->n_loops;
    s->loops = calloc((size_t)s->n_loops, sizeof *s->loops);
    s->states = calloc((size_t)s->n_loops, sizeof *s->states);
    s->slots = calloc((size_t)s->n_slots, sizeof *s->slots);
    if (!s->loops || !s->states || !s->slots) {
        snprintf(err, errlen, "out of memory");
        release(s);
        return -1;
    }
    if (open_socket(s, err, errlen) != 0 || start_loops(s, err, errlen) != 0 ||
        open_slots(s, err, errlen) != 0) {
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
