/*
 * dlc_listen: a thread with its own database connection that LISTENs on one
 * channel and calls back — how changes made through one core (JWT secrets,
 * a cache flush) reach every other core within a second.
 */
#ifndef DLC_LISTEN_H
#define DLC_LISTEN_H

#include "storage/db.h"

typedef enum {
    DLC_LISTEN_CONNECTED, /* (re)connected: notifications may have been missed */
    DLC_LISTEN_NOTIFIED,  /* one or more notifications arrived */
    DLC_LISTEN_TICK,      /* poll_ms passed without one (a safety net, housekeeping) */
} dlc_listen_event;

/* Runs on the listener thread with its own connection, which it may use
 * for queries. */
typedef void (*dlc_listen_fn)(dlc_conn *conn, dlc_listen_event ev, void *arg);
typedef struct dlc_listen dlc_listen;

/* Runs on the listener thread once per notification, in arrival order,
 * before the callback for its batch: payload is the NOTIFY payload ("" when
 * none), borrowed for the call. */
typedef void (*dlc_listen_payload_fn)(const char *payload, void *arg);
/* Runs on the listener thread when it stops listening after a CONNECTED
 * callback (the connection is lost, or dlc_listen_stop): notifications are
 * missed from then until the next CONNECTED callback, if any. A loss is
 * only seen when the socket reports it. */
typedef void (*dlc_listen_lost_fn)(void *arg);

typedef struct {
    int64_t poll_ms;                  /* <= 0: 200 ms */
    dlc_listen_fn cb;                 /* required */
    dlc_listen_payload_fn on_payload; /* optional */
    dlc_listen_lost_fn on_lost;       /* optional */
    void *arg;                        /* given to all three */
} dlc_listen_opts;

/* Starts a thread that LISTENs on channel (a lower-case identifier) over its
 * own connection (params are copied) and calls cb: once per batch of
 * notifications, after every (re)connect, and every poll_ms without one. A
 * lost connection is re-established with backoff (100 ms doubling to 5 s).
 * NULL when the channel is not an identifier or the thread cannot start. */
dlc_listen *dlc_listen_start(const dlc_db_params *p, const char *channel, int64_t poll_ms,
                             dlc_listen_fn cb, void *arg);
/* The same with the optional callbacks of o (copied). NULL also when o or
 * its cb is NULL. */
dlc_listen *dlc_listen_start_with(const dlc_db_params *p, const char *channel,
                                  const dlc_listen_opts *o);
/* Waits up to ms until the thread listens and its first (CONNECTED)
 * callback has returned, so nothing published before is missed. True when
 * it has. */
bool dlc_listen_wait(dlc_listen *w, int64_t ms);

/* Stops the thread (within about 200 ms unless a callback or a connect
 * attempt is running), joins it and frees w. NULL is a no-op. */
void dlc_listen_stop(dlc_listen *w);

#endif
