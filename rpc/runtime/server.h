/*
 * dlc_server: the REP side. One nng REP socket listening on every URL
 * (tcp://, ipc:///…) with max_in_flight contexts, each an aio state machine
 * (receive → serve → send → receive). A received frame is served on one of
 * `loops` event-loop threads (common/loop), in a fiber: decode → dispatch →
 * encode → send. Each loop has its own application state (the core gives
 * each a pool of database connections), handed to handlers as call->worker;
 * handlers of one loop never run at the same time, so that state needs no
 * lock.
 *
 * Every request gets a Response: a frame over max_message_bytes, bytes that
 * are not an envelope, an unknown method or a payload that does not decode
 * are answered INVALID_ARGUMENT / UNIMPLEMENTED. Frames far beyond the limit
 * (over max_message_bytes + 64 KiB) are refused by nng itself
 * (NNG_OPT_RECVMAXSZ): the connection drops, nothing is read into memory.
 *
 * Access log: one line per call ("rpc": method, code, duration_ms, request
 * id, peer) at info while logging.access is on, at debug otherwise; an
 * INTERNAL outcome always at error.
 *
 * Deadline: timeout_ms of the request, at most default_timeout_ms (0 → the
 * default), counted from receipt. A handler sees it in call->deadline_ms; a result produced
 * after it is replaced by DEADLINE_EXCEEDED.
 */
#ifndef DLC_SERVER_H
#define DLC_SERVER_H

#include "common/tracer.h"
#include "rpc/runtime/dispatch.h"

#include <stddef.h>
#include <stdint.h>

typedef enum {
    DLC_GUARD_RUN,      /* run the handler, then the guard's after */
    DLC_GUARD_ANSWERED, /* the call is answered already (status, payload) */
} dlc_guard_verdict;

/* Runs around the handler of every method flagged DLC_METHOD_WRITES, on
 * the request's fiber. before sees the decoded input; it answers the call
 * itself (a stored answer, or a refusal: call->status set, and for an OK
 * answer *payload and *len, in the call's arena) or lets the handler run, and
 * may keep per-call state in call->guard. after sees the handler's outcome
 * (call->status, *payload) and may replace it (a failure to record it). */
typedef struct {
    dlc_guard_verdict (*before)(dlc_call *call, const ProtobufCMessage *in, void **payload,
                                size_t *len);
    void (*after)(dlc_call *call, void **payload, size_t *len);
} dlc_server_guard;

typedef struct {
    const char *const *urls;
    size_t n_urls;
    int loops;         /* event-loop threads; 0 → one per CPU */
    int max_in_flight; /* contexts: requests served at once; 0 → 256 */
    size_t max_message_bytes;
    int64_t default_timeout_ms;
    const dlc_dispatch *dispatch; /* borrowed; must outlive the server */
    void *app;                    /* handed to handlers as call->app */
    /* Per-loop state, created at start (index = the loop's); NULL fails
     * start. Released with worker_fini once the loop has stopped. */
    void *(*worker_init)(void *app, int index);
    void (*worker_fini)(void *app, void *worker);
    /* Access check for non-public methods: OK, or a code after setting
     * call->status. NULL: every non-public method is refused. */
    dlc_code (*authorize)(dlc_call *call, dlc_access level);
    const dlc_server_guard *guard; /* NULL: none */
    dlc_tracer *tracer;            /* borrowed; NULL: trace ids for the logs only */
    /* Called on the request's fiber once its answer is decided, with the
     * method served (NULL: unknown, or the frame was no request) and the
     * time it took in microseconds (metrics). NULL: none. */
    void (*on_done)(void *app, const dlc_call *call, const dlc_method *m, int64_t us);
} dlc_server_opts;

typedef struct dlc_server dlc_server;

/* Listens and starts the workers. Returns 0, or -1 with err filled. */
int dlc_server_start(const dlc_server_opts *opts, dlc_server **out, char *err, size_t errlen);

/* The number of event loops a server started with opts.loops = wanted
 * runs (0 → one per CPU). */
int dlc_server_count_loops(int wanted);

/* Graceful stop: contexts take no new request, those in flight finish (up
 * to timeout_ms), then the socket closes and the workers' state is released.
 * Frees the server. */
void dlc_server_stop(dlc_server *s, int64_t timeout_ms);

#endif
