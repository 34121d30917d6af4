/*
 * dlc_dbp: one libpq connection in pipeline mode, storage-internal (the
 * pool, storage/db.c, owns several). Callers' statements are sent as they
 * come, each followed by a Sync; their results come back in order. One
 * caller at a time reads them (the reader) and hands each caller its own,
 * then hands the reading to the next. A caller that is not reading gives
 * up at its own deadline (its result is thrown away when it comes); so
 * does a reader while others still wait on the connection, unless its
 * oldest statement has been out a second. Otherwise a reader whose
 * deadline passes drops the connection, which cancels the statement on
 * the server, and the others on it fail with it. When the last caller
 * waiting on a connection gives up while statements are still out, a
 * fiber of its own reads their results (freeing their room) until a new
 * caller takes over, or drops the connection once the oldest has been out
 * a second.
 *
 * Used by the fibers of one event loop (or by one ordinary thread): no
 * locks. A statement's entry lives in the connection, not on its caller's
 * stack, so a caller that gave up leaves nothing dangling.
 */
#ifndef DLC_DB_PIPE_H
#define DLC_DB_PIPE_H

#include "common/loop.h"
#include "storage/db_conn.h"

#include <libpq-fe.h>
#include <stdbool.h>
#include <stdint.h>

typedef struct dlc_dbp_entry dlc_dbp_entry;

typedef struct {
    PGconn *conn;     /* NULL while disconnected; set by the pool */
    bool connecting;  /* the pool is (re)connecting it */
    bool reading;     /* a caller is reading its results */
    dlc_dbp_entry *head, *tail; /* sent, results not yet read */
    dlc_dbp_entry *spare;       /* entries to reuse */
    int depth;                  /* statements in flight */
    /* Set by the pool: woken whenever a statement leaves (room appears),
     * and told once when the server went away. */
    dlc_loop_waitq *room;
    void (*lost)(void *arg, const dlc_dbc_err *e);
    void *arg;
    /* Reads for callers that gave up when nobody else is left to. */
    dlc_loop_task tidy;
    bool tidy_posted;
} dlc_dbp_conn;

/* Statements in flight on one connection at most: a connection lost (or a
 * statement past its deadline) fails no more than this many calls. */
#define DLC_DBP_MAX_DEPTH 16

/* Runs stmt (a prepared statement's name, or NULL for "SELECT 1") on c,
 * which must be connected and in pipeline mode, waiting at most until
 * deadline_ms. On DLC_DB_OK *out gets the result (caller PQclears). */
dlc_db_rc dlc_dbp_run(dlc_dbp_conn *c, const char *stmt, int nparams,
                      const char *const *values, int64_t deadline_ms, PGresult **out,
                      dlc_dbc_err *e);

/* True when c's oldest statement has been out at least stall_ms (a lock, a
 * slow plan): better not to queue behind it. */
bool dlc_dbp_stalled(const dlc_dbp_conn *c, int64_t now_ms, int64_t stall_ms);

/* Fails every statement on c with rc and e (NULL: no message) and closes
 * the connection. */
void dlc_dbp_fail(dlc_dbp_conn *c, dlc_db_rc rc, const dlc_dbc_err *e);

/* dlc_dbp_fail(UNAVAILABLE), then frees the spare entries. */
void dlc_dbp_release(dlc_dbp_conn *c);

/* Connections of every pool of the process with statements out now. */
long dlc_dbp_busy_connections(void);

#endif
