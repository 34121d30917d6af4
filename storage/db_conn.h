/*
 * dlc_dbc: one PostgreSQL connection, storage-internal — connecting (the
 * session settings in the startup packet, non-blocking, within a deadline),
 * preparing the registered statements, waiting on its socket (a fiber
 * suspends, a thread polls), and judging results and errors. db_pipe.c
 * pipelines statements on such connections and db.c pools them; nothing
 * outside storage/ includes this.
 */
#ifndef DLC_DB_CONN_H
#define DLC_DB_CONN_H

#include "storage/db.h"

#include <libpq-fe.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The error of one failed step, copied to the caller's buffers at the end. */
typedef struct {
    char state[6];
    char msg[256];
} dlc_dbc_err;

/* A one-line message (and SQLSTATE, or "") into e. */
void dlc_dbc_err_set(dlc_dbc_err *e, const char *state, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* e into the caller's buffers (each may be NULL). */
void dlc_dbc_err_export(const dlc_dbc_err *e, char sqlstate[6], char *errbuf, size_t errlen);

/* Classifies a failed result (res may be NULL when libpq made none):
 * UNAVAILABLE (connection gone), TIMEOUT (statement_timeout) or ERROR. */
dlc_db_rc dlc_dbc_judge_error(PGconn *conn, const PGresult *res, dlc_dbc_err *e);
/* Hands a successful result to *out (or frees it when out is NULL);
 * classifies and frees the rest. */
dlc_db_rc dlc_dbc_judge(PGconn *conn, PGresult *res, PGresult **out, dlc_dbc_err *e);

/* 1: fd ready for events, 0: the deadline passed, -1: cannot wait. In a
 * fiber this suspends the fiber, not the thread (common/loop). */
int dlc_dbc_wait(int fd, short events, int64_t deadline_ms);

/* Collects the results of the one command just sent on conn (outside
 * pipeline mode), within the deadline; *out gets the first failure, or
 * else the last result (caller PQclears, then judges it). */
dlc_db_rc dlc_dbc_collect(PGconn *conn, int64_t deadline_ms, PGresult **out, dlc_dbc_err *e);

/* A new connection with the session settings, within the deadline;
 * hostaddr (or NULL) spares libpq a name lookup. */
dlc_db_rc dlc_dbc_open(const dlc_db_params *p, const char *hostaddr, int64_t deadline_ms,
                       PGconn **out, dlc_dbc_err *e);
/* Prepares stmts (n) on conn within the deadline. */
dlc_db_rc dlc_dbc_prepare(PGconn *conn, const dlc_db_stmt *stmts, size_t n, int64_t deadline_ms,
                          dlc_dbc_err *e);
/* Reads what an idle connection was sent meanwhile (a server's goodbye):
 * false when it is gone. */
bool dlc_dbc_idle_alive(PGconn *conn);
/* The first address of a host name, into out; "" when host is empty, a
 * socket folder, already an address, or does not resolve. */
void dlc_dbc_resolve(const char *host, char *out, size_t len);

#endif
