/*
 * dlc_listen: a thread that LISTENs on one channel over its own blocking
 * connection and calls back. Waits are sliced (SLICE_MS) so a stop request
 * is noticed promptly.
 */
#include "storage/listen.h"

#include "common/clock.h"
#include "common/log.h"
#include "storage/db_conn.h"
#include "storage/db_internal.h"

#include <ctype.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define SLICE_MS 200
/* Each tick also checks that the server still answers on this connection,
 * within this long: a half-open connection or a stuck backend would
 * otherwise look like a quiet channel, and whoever trusts the listener
 * (the principal cache) would keep stale state. */
#define HEARTBEAT_MS 1000

struct dlc_listen {
    pthread_t thread;
    atomic_bool stop;
    atomic_bool listened; /* the first CONNECTED callback has returned */
    dlc_db_settings settings;
    dlc_listen_opts o;
    char channel[64];
};

static bool stopping(dlc_listen *w)
{
    return atomic_load(&w->stop);
}

/* Sleeps ms in slices, returning early when asked to stop. */
static void nap(dlc_listen *w, int64_t ms)
{
    int64_t until = dlc_clock_mono_ms() + ms;
    for (int64_t left = ms; left > 0 && !stopping(w); left = until - dlc_clock_mono_ms()) {
        int64_t slice = left < SLICE_MS ? left : SLICE_MS;
        struct timespec ts = {slice / 1000, (long)(slice % 1000) * 1000000L};
        nanosleep(&ts, NULL);
    }
}

/* A connection listening on the channel, or NULL (err filled). */
static PGconn *listen_conn(dlc_listen *w, char *err, size_t errlen)
{
    PGconn *conn = dlc_db_connect_blocking(&w->settings.p, err, errlen);
    if (!conn)
        return NULL;
    char sql[96];
    snprintf(sql, sizeof sql, "LISTEN %s", w->channel);
    PGresult *res = PQexec(conn, sql);
    bool ok = PQresultStatus(res) == PGRES_COMMAND_OK;
    if (!ok)
        dlc_db_error_text(conn, res, err, errlen);
    PQclear(res);
    if (!ok) {
        PQfinish(conn);
        return NULL;
    }
    return conn;
}

/* Connects, or sleeps the next backoff (dlc_db_backoff_next; 0 = healthy)
 * and returns NULL. */
static PGconn *reconnect(dlc_listen *w, int64_t *backoff_ms)
{
    char err[256] = "";
    PGconn *conn = listen_conn(w, err, sizeof err);
    if (conn) {
        *backoff_ms = 0;
        return conn;
    }
    dlc_log_warn("database listener cannot connect", "channel", w->channel, "error", err);
    *backoff_ms = dlc_db_backoff_next(*backoff_ms);
    nap(w, *backoff_ms);
    return NULL;
}

/* Hands every queued notification's payload over, if asked to, and frees
 * it; true when there was any. */
static bool drain(dlc_listen *w, PGconn *conn)
{
    bool any = false;
    for (PGnotify *n; (n = PQnotifies(conn)) != NULL; any = true) {
        if (w->o.on_payload)
            w->o.on_payload(n->extra ? n->extra : "", w->o.arg);
        PQfreemem(n);
    }
    return any;
}

/* Calls back, again while notifications arrived during the callback (it may
 * have read the state before their change), and restarts the poll period. */
static void fire(dlc_listen *w, PGconn *conn, dlc_listen_event ev, int64_t *next_poll)
{
    w->o.cb(conn, ev, w->o.arg);
    while (PQstatus(conn) == CONNECTION_OK && drain(w, conn) && !stopping(w))
        w->o.cb(conn, DLC_LISTEN_NOTIFIED, w->o.arg);
    *next_poll = dlc_clock_mono_ms() + w->o.poll_ms;
}

/* One round trip (SELECT 1) within timeout_ms: true when it came back. */
static bool answers(PGconn *conn, int64_t timeout_ms)
{
    dlc_dbc_err e;
    PGresult *res = NULL;
    bool ok = PQsendQuery(conn, "SELECT 1") == 1 &&
              dlc_dbc_collect(conn, dlc_clock_mono_ms() + timeout_ms, &res, &e) == DLC_DB_OK &&
              dlc_dbc_judge(conn, res, NULL, &e) == DLC_DB_OK;
    return ok;
}

/* Waits one slice for notifications, calling back when due. false when the
 * connection is lost, or stopped answering. */
static bool wait_slice(dlc_listen *w, PGconn *conn, int64_t *next_poll)
{
    int64_t left = *next_poll - dlc_clock_mono_ms();
    struct pollfd pfd = {.fd = PQsocket(conn), .events = POLLIN};
    int ready = poll(&pfd, 1, left <= 0 ? 0 : left < SLICE_MS ? (int)left : SLICE_MS);
    if (ready < 0 && errno != EINTR)
        return false;
    if (ready > 0 && !PQconsumeInput(conn))
        return false;
    if (drain(w, conn)) {
        fire(w, conn, DLC_LISTEN_NOTIFIED, next_poll);
    } else if (dlc_clock_mono_ms() >= *next_poll) {
        if (!answers(conn, HEARTBEAT_MS))
            return false;
        if (drain(w, conn)) /* arrived with the answer */
            fire(w, conn, DLC_LISTEN_NOTIFIED, next_poll);
        fire(w, conn, DLC_LISTEN_TICK, next_poll);
    }
    return PQstatus(conn) == CONNECTION_OK;
}

/* Closes a listening connection and says so: notifications go unheard now. */
static void hang_up(dlc_listen *w, PGconn *conn)
{
    PQfinish(conn);
    if (w->o.on_lost)
        w->o.on_lost(w->o.arg);
}

static void *watch_main(void *arg)
{
    dlc_listen *w = arg;
    PGconn *conn = NULL;
    int64_t backoff_ms = 0, next_poll = 0;
    while (!stopping(w)) {
        if (!conn) {
            conn = reconnect(w, &backoff_ms);
            if (conn) {
                fire(w, conn, DLC_LISTEN_CONNECTED, &next_poll); /* may have missed some */
                atomic_store(&w->listened, true);
            }
        } else if (!wait_slice(w, conn, &next_poll)) {
            dlc_log_warn("database listener lost its connection; reconnecting", "channel",
                         w->channel);
            hang_up(w, conn);
            conn = NULL;
        }
    }
    if (conn)
        hang_up(w, conn);
    return NULL;
}

/* A plain identifier: it is spliced into LISTEN. */
static bool valid_channel(const char *c)
{
    size_t n = c ? strlen(c) : 0;
    if (n == 0 || n >= 64 || !(islower((unsigned char)c[0]) || c[0] == '_'))
        return false;
    for (size_t i = 0; i < n; i++)
        if (!(islower((unsigned char)c[i]) || isdigit((unsigned char)c[i]) || c[i] == '_'))
            return false;
    return true;
}

static void free_watch(dlc_listen *w)
{
    dlc_db_settings_release(&w->settings);
    free(w);
}

dlc_listen *dlc_listen_start(const dlc_db_params *p, const char *channel, int64_t poll_ms,
                             dlc_listen_fn cb, void *arg)
{
    dlc_listen_opts o = {.poll_ms = poll_ms, .cb = cb, .arg = arg};
    return dlc_listen_start_with(p, channel, &o);
}

dlc_listen *dlc_listen_start_with(const dlc_db_params *p, const char *channel,
                                  const dlc_listen_opts *o)
{
    if (!valid_channel(channel) || !o || !o->cb)
        return NULL;
    dlc_listen *w = calloc(1, sizeof *w);
    if (!w)
        return NULL;
    snprintf(w->channel, sizeof w->channel, "%s", channel);
    atomic_init(&w->stop, false);
    atomic_init(&w->listened, false);
    w->o = *o;
    if (w->o.poll_ms <= 0)
        w->o.poll_ms = SLICE_MS;
    if (!dlc_db_settings_copy(&w->settings, p) ||
        pthread_create(&w->thread, NULL, watch_main, w) != 0) {
        free_watch(w);
        return NULL;
    }
    return w;
}

bool dlc_listen_wait(dlc_listen *w, int64_t ms)
{
    int64_t until = dlc_clock_mono_ms() + ms;
    while (!atomic_load(&w->listened) && dlc_clock_mono_ms() < until)
        nanosleep(&(struct timespec){0, 10 * 1000000L}, NULL);
    return atomic_load(&w->listened);
}

void dlc_listen_stop(dlc_listen *w)
{
    if (!w)
        return;
    atomic_store(&w->stop, true);
    pthread_join(w->thread, NULL);
    free_watch(w);
}
