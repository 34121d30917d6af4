/*
 * dlc_server: the REP side. One nng REP socket listening on every URL
 * (tcp://, ipc:///…), W worker threads, each with its own nng context, its
 * own arena and its own application state (the core gives each a DB
 * connection), looping recv → decode → dispatch → encode → send.
 *
 * Every request gets a Response: a frame over max_message_bytes, bytes that
 * are not an envelope, an unknown method or a payload that does not decode
 * are answered INVALID_ARGUMENT / UNIMPLEMENTED. Frames far beyond the limit
 * (over max_message_bytes + 64 KiB) are refused by nng itself
 * (NNG_OPT_RECVMAXSZ): the connection drops, nothing is read into memory.
 *
 * Deadline: timeout_ms of the request, at most default_timeout_ms (0 → the
 * default), counted from receipt. A handler sees it in call->deadline_ms; a result produced
 * after it is replaced by DEADLINE_EXCEEDED.
 */
#ifndef DLC_SERVER_H
#define DLC_SERVER_H

#include "rpc/runtime/dispatch.h"

#include <stddef.h>
#include <stdint.h>

typedef struct {
    const char *const *urls;
    size_t n_urls;
    int workers;
    size_t max_message_bytes;
    int64_t default_timeout_ms;
    const dlc_dispatch *dispatch; /* borrowed; must outlive the server */
    void *app;                    /* handed to handlers as call->app */
    /* Per-worker state, created in the worker's start-up; NULL fails start. */
    void *(*worker_init)(void *app, int index);
    void (*worker_fini)(void *app, void *worker);
    /* Access check for non-public methods: OK, or a code after setting
     * call->status. NULL: every non-public method is refused. */
    dlc_code (*authorize)(dlc_call *call, dlc_access level);
} dlc_server_opts;

typedef struct dlc_server dlc_server;

/* Listens and starts the workers. Returns 0, or -1 with err filled. */
int dlc_server_start(const dlc_server_opts *opts, dlc_server **out, char *err, size_t errlen);

/* Graceful stop: workers take no new request, those in flight finish (up
 * to timeout_ms), then the socket closes and the workers' state is released.
 * Frees the server. */
void dlc_server_stop(dlc_server *s, int64_t timeout_ms);

#endif
