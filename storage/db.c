/*
 * dlc_db: the pool (see db.h) — which pipelined connection (db_pipe.c) a
 * statement goes to, (re)connecting them (db_conn.c) with backoff after
 * failures, the least time a statement is given, and the public calls.
 */
#include "storage/db.h"
#include "storage/db_conn.h"
#include "storage/db_internal.h"
#include "storage/db_pipe.h"

#include "common/clock.h"
#include "common/log.h"
#include "common/loop.h"

#include <arpa/inet.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Lines a second about failed statements (see dlc_log_limit). */
#define QUERY_FAIL_LINES_PER_S 10

struct dlc_db {
    dlc_db_settings settings;
    const dlc_db_stmt *stmts;
    size_t nstmts;
    dlc_dbp_conn *conns;
    size_t nconns;
    dlc_loop_waitq waiters; /* fibers waiting for room on a connection, FIFO */
    /* database.host resolved once, when the pool is made: libpq resolves a
     * host name inside PQconnectStartParams, synchronously, which would
     * stall a whole event loop on a slow resolver. "" when host is an
     * address, a socket folder or unset. */
    char hostaddr[INET6_ADDRSTRLEN];
    int64_t backoff_ms;     /* length of the current window; 0 = healthy */
    int64_t retry_at_ms;    /* no connection attempt before this */
    char last_error[256];
};

/* Fibers of every pool waiting for room on a connection (metrics). */
static atomic_long g_waiting;

void dlc_db_stats(dlc_db_counts *out)
{
    out->busy_connections = dlc_dbp_busy_connections();
    out->waiting = atomic_load_explicit(&g_waiting, memory_order_relaxed);
}

/* ---- connection state ---------------------------------------------------- */

static void drop_conn(dlc_dbp_conn *c)
{
    PQfinish(c->conn);
    c->conn = NULL;
}

/* Starts or widens the backoff window after a failed attempt or a loss. */
static void note_failure(dlc_db *db, const dlc_dbc_err *e)
{
    if (db->backoff_ms == 0)
        dlc_log_warn("database connection failed", "error", e->msg);
    db->backoff_ms = dlc_db_backoff_next(db->backoff_ms);
    db->retry_at_ms = dlc_clock_mono_ms() + db->backoff_ms;
    snprintf(db->last_error, sizeof db->last_error, "%s", e->msg);
}

/* A pipelined connection lost its server (dlc_dbp_conn.lost). */
static void lost(void *arg, const dlc_dbc_err *e)
{
    note_failure(arg, e);
}

static void note_success(dlc_db *db)
{
    if (db->backoff_ms != 0)
        dlc_log_info("database connection restored");
    db->backoff_ms = 0;
    db->retry_at_ms = 0;
}

static dlc_db_rc establish(dlc_db *db, dlc_dbp_conn *c, int64_t deadline_ms, dlc_dbc_err *e)
{
    PGconn *conn = NULL;
    dlc_db_rc rc = dlc_dbc_open(&db->settings.p, db->hostaddr, deadline_ms, &conn, e);
    if (rc == DLC_DB_OK && PQsetnonblocking(conn, 1) != 0)
        rc = dlc_dbc_judge_error(conn, NULL, e);
    bool connected = rc == DLC_DB_OK;
    if (rc == DLC_DB_OK)
        rc = dlc_dbc_prepare(conn, db->stmts, db->nstmts, deadline_ms, e);
    if (rc != DLC_DB_OK) {
        PQfinish(conn);
        /* A server that answered but made us wait past the caller's deadline
         * (a statement blocked on a lock) is not down: no backoff for it. */
        if (!(connected && rc == DLC_DB_TIMEOUT))
            note_failure(db, e);
        return rc;
    }
    c->conn = conn;
    note_success(db);
    return DLC_DB_OK;
}

static dlc_db_rc ensure_conn(dlc_db *db, dlc_dbp_conn *c, bool honour_backoff, int64_t deadline_ms,
                             dlc_dbc_err *e)
{
    if (c->conn && dlc_dbc_idle_alive(c->conn))
        return DLC_DB_OK;
    drop_conn(c);
    if (honour_backoff && dlc_clock_mono_ms() < db->retry_at_ms) {
        dlc_dbc_err_set(e, NULL, "database unavailable (backing off): %s", db->last_error);
        return DLC_DB_UNAVAILABLE;
    }
    return establish(db, c, deadline_ms, e);
}

/* ---- choosing a connection ------------------------------------------------- */

/* A connection whose oldest statement has been out this long is stalled (a
 * lock, a slow plan): new statements go elsewhere while there is room. */
#define STALL_MS 50
/* The least time the pool gives a statement, or a connection attempt,
 * whatever the caller's deadline: a caller asking for a millisecond must
 * not make the pool drop connections (every statement pipelined on one)
 * or back off from a healthy server. Its call still ends at its own
 * deadline: the server answers DEADLINE_EXCEEDED. */
#define MIN_STATEMENT_MS 250
#define MIN_CONNECT_MS 1000

/* The connected connection with the most room, or NULL; a stalled one only
 * when no other connection can be opened. One that idled is checked first:
 * the server may have gone away meanwhile. */
static dlc_dbp_conn *least_busy(dlc_db *db, bool can_open)
{
    int64_t now = dlc_clock_mono_ms();
    for (;;) {
        dlc_dbp_conn *best = NULL;
        for (size_t i = 0; i < db->nconns; i++) {
            dlc_dbp_conn *c = &db->conns[i];
            if (c->conn && !c->connecting && c->depth < DLC_DBP_MAX_DEPTH &&
                !(can_open && dlc_dbp_stalled(c, now, STALL_MS)) &&
                (!best || c->depth < best->depth))
                best = c;
        }
        if (!best || best->depth > 0 || dlc_dbc_idle_alive(best->conn))
            return best;
        drop_conn(best);
    }
}

static dlc_dbp_conn *first_closed(dlc_db *db)
{
    for (size_t i = 0; i < db->nconns; i++) {
        if (!db->conns[i].conn && !db->conns[i].connecting)
            return &db->conns[i];
    }
    return NULL;
}

/* A statement could go out now: a connection with room, or one to open. */
static bool has_room(const dlc_db *db)
{
    for (size_t i = 0; i < db->nconns; i++) {
        const dlc_dbp_conn *c = &db->conns[i];
        if (!c->connecting && (!c->conn || c->depth < DLC_DBP_MAX_DEPTH))
            return true;
    }
    return false;
}

/* (Re)connects c into pipeline mode. */
static dlc_db_rc connect_pipelined(dlc_db *db, dlc_dbp_conn *c, bool honour_backoff,
                                   int64_t deadline_ms, dlc_dbc_err *e)
{
    c->connecting = true;
    int64_t least = dlc_clock_mono_ms() + MIN_CONNECT_MS;
    dlc_db_rc rc = ensure_conn(db, c, honour_backoff, deadline_ms > least ? deadline_ms : least, e);
    if (rc == DLC_DB_OK && PQenterPipelineMode(c->conn) != 1) {
        rc = dlc_dbc_judge_error(c->conn, NULL, e);
        drop_conn(c);
    }
    c->connecting = false;
    dlc_loop_waitq_wake_one(&db->waiters);
    return rc;
}

/* A connected connection with room, the least busy first (statements
 * share a connection before another is opened: fewer server wake-ups);
 * else one it connects; else a wait for room. NULL with *rc and e set when
 * none came in time. */
static dlc_dbp_conn *pick(dlc_db *db, bool honour_backoff, int64_t deadline_ms, dlc_db_rc *rc,
                          dlc_dbc_err *e)
{
    /* Callers already queued for room go first: a newcomer queues too. */
    bool turn = db->waiters.head == NULL;
    for (;;) {
        dlc_dbp_conn *c = turn ? least_busy(db, first_closed(db) != NULL) : NULL;
        if (c)
            return c;
        if (turn && (c = first_closed(db))) {
            *rc = connect_pipelined(db, c, honour_backoff, deadline_ms, e);
            return *rc == DLC_DB_OK ? c : NULL;
        }
        atomic_fetch_add_explicit(&g_waiting, 1, memory_order_relaxed);
        bool woken = dlc_loop_waitq_wait(&db->waiters, deadline_ms);
        atomic_fetch_sub_explicit(&g_waiting, 1, memory_order_relaxed);
        if (!woken) {
            /* Room that came as the deadline passed was meant for us. */
            if (has_room(db))
                dlc_loop_waitq_wake_one(&db->waiters);
            *rc = DLC_DB_TIMEOUT;
            dlc_dbc_err_set(e, NULL, "no database connection free before the deadline");
            return NULL;
        }
        turn = true;
    }
}

/* One statement (stmt NULL: the ping) through the pool: queued behind the
 * others on the least busy connection. */
static dlc_db_rc round_trip(dlc_db *db, const char *stmt, int nparams, const char *const *values,
                            bool honour_backoff, int64_t deadline_ms, PGresult **out,
                            dlc_dbc_err *e)
{
    if (dlc_clock_mono_ms() >= deadline_ms) {
        dlc_dbc_err_set(e, NULL, "deadline exceeded");
        return DLC_DB_TIMEOUT;
    }
    int64_t least = dlc_clock_mono_ms() + MIN_STATEMENT_MS;
    if (deadline_ms < least)
        deadline_ms = least;
    dlc_db_rc rc = DLC_DB_OK;
    dlc_dbp_conn *c = pick(db, honour_backoff, deadline_ms, &rc, e);
    return c ? dlc_dbp_run(c, stmt, nparams, values, deadline_ms, out, e) : rc;
}

static const dlc_db_stmt *find_stmt(const dlc_db *db, const char *name)
{
    for (size_t i = 0; i < db->nstmts; i++)
        if (strcmp(db->stmts[i].name, name) == 0)
            return &db->stmts[i];
    return NULL;
}

/* Caller mistakes are answered locally: a wrong parameter count would
 * otherwise come back as a protocol violation (08P01), i.e. "unavailable". */
static bool check_request(const dlc_db *db, const char *stmt, int nparams, dlc_dbc_err *e)
{
    const dlc_db_stmt *s = stmt ? find_stmt(db, stmt) : NULL;
    if (!s) {
        dlc_dbc_err_set(e, "26000", "unknown statement %s", stmt ? stmt : "(null)");
        return false;
    }
    if (nparams != s->nparams) {
        dlc_dbc_err_set(e, "07001", "statement %s takes %d parameters, got %d", s->name,
                        s->nparams, nparams);
        return false;
    }
    return true;
}

dlc_db_rc dlc_db_exec(dlc_db *db, const char *stmt_name, int nparams, const char *const *values,
                      int64_t deadline_ms, PGresult **out, char sqlstate[6], char *errbuf,
                      size_t errlen)
{
    dlc_dbc_err e = {"", ""};
    dlc_db_rc rc = DLC_DB_ERROR;
    PGresult *res = NULL;
    if (check_request(db, stmt_name, nparams, &e))
        rc = round_trip(db, stmt_name, nparams, values, true, deadline_ms, &res, &e);
    dlc_dbc_err_export(&e, sqlstate, errbuf, errlen);
    if (out)
        *out = res;
    else
        PQclear(res);
    return rc;
}

dlc_db_rc dlc_db_ping(dlc_db *db, int64_t deadline_ms, char *errbuf, size_t errlen)
{
    dlc_dbc_err e = {"", ""};
    PGresult *res = NULL;
    dlc_db_rc rc = round_trip(db, NULL, 0, NULL, false, deadline_ms, &res, &e);
    PQclear(res);
    dlc_dbc_err_export(&e, NULL, errbuf, errlen);
    return rc;
}

bool dlc_db_connected(const dlc_db *db)
{
    for (size_t i = 0; i < db->nconns; i++) {
        if (db->conns[i].conn && PQstatus(db->conns[i].conn) == CONNECTION_OK)
            return true;
    }
    return false;
}

size_t dlc_db_in_flight(const dlc_db *db)
{
    size_t n = 0;
    for (size_t i = 0; i < db->nconns; i++)
        n += (size_t)db->conns[i].depth;
    return n;
}

/* ---- lifetime ------------------------------------------------------------ */

dlc_db *dlc_db_open_pool(const dlc_db_params *params, const dlc_db_stmt *stmts, size_t n,
                         size_t size)
{
    dlc_db *db = calloc(1, sizeof *db);
    if (!db)
        return NULL;
    db->stmts = stmts;
    db->nstmts = n;
    db->nconns = size ? size : 1;
    db->conns = calloc(db->nconns, sizeof *db->conns);
    if (!db->conns || !dlc_db_settings_copy(&db->settings, params)) {
        dlc_db_close(db);
        return NULL;
    }
    for (size_t i = 0; i < db->nconns; i++)
        db->conns[i] = (dlc_dbp_conn){.room = &db->waiters, .lost = lost, .arg = db};
    if (!(params->url && params->url[0]))
        dlc_dbc_resolve(params->host, db->hostaddr, sizeof db->hostaddr);
    return db;
}

dlc_db *dlc_db_open(const dlc_db_params *params, const dlc_db_stmt *stmts, size_t n)
{
    return dlc_db_open_pool(params, stmts, n, 1);
}

void dlc_db_close(dlc_db *db)
{
    if (!db)
        return;
    for (size_t i = 0; db->conns && i < db->nconns; i++)
        dlc_dbp_release(&db->conns[i]);
    free(db->conns);
    dlc_db_settings_release(&db->settings);
    free(db);
}

const char *dlc_db_rc_name(dlc_db_rc rc)
{
    switch (rc) {
    case DLC_DB_OK:
        return "ok";
    case DLC_DB_TIMEOUT:
        return "timeout";
    case DLC_DB_UNAVAILABLE:
        return "unavailable";
    case DLC_DB_ERROR:
        return "error";
    }
    return "unknown";
}

dlc_db_rc dlc_db_run(dlc_db *db, const char *stmt_name, int nparams, const char *const *values,
                     int64_t deadline_ms, PGresult **out, char sqlstate[6], const char *quiet_state)
{
    char state[6] = "";
    char err[256] = "";
    dlc_db_rc rc =
        dlc_db_exec(db, stmt_name, nparams, values, deadline_ms, out, state, err, sizeof err);
    if (sqlstate)
        memcpy(sqlstate, state, sizeof state);
    static dlc_log_limit limit; /* an outage fails every statement */
    int held;
    if (rc != DLC_DB_OK && !(quiet_state && strcmp(state, quiet_state) == 0) &&
        dlc_log_limit_take(&limit, QUERY_FAIL_LINES_PER_S, &held)) {
        char n[16];
        snprintf(n, sizeof n, "%d", held);
        dlc_log_warn("query failed", "stmt", stmt_name, "rc", dlc_db_rc_name(rc), "sqlstate", state,
                     "error", err, "suppressed", n);
    }
    return rc;
}

int64_t dlc_db_get_i64(const PGresult *res, int row, int col)
{
    return PQgetisnull(res, row, col) ? 0 : strtoll(PQgetvalue(res, row, col), NULL, 10);
}

bool dlc_db_get_bool(const PGresult *res, int row, int col)
{
    return PQgetvalue(res, row, col)[0] == 't';
}

dlc_db_int_text dlc_db_int(int64_t v)
{
    dlc_db_int_text t;
    snprintf(t.text, sizeof t.text, "%lld", (long long)v);
    return t;
}
