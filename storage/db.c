/*
 * dlc_db: the pool (see db.h) — connections of dlc_dbc (db_conn.c) in
 * pipeline mode, the callers' statements queued on them and their results
 * handed out in order, backoff after failures, and the public calls.
 */
#include "storage/db.h"
#include "storage/db_conn.h"
#include "storage/db_internal.h"

#include "common/clock.h"
#include "common/log.h"
#include "common/loop.h"

#include <arpa/inet.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Lines a second about failed statements (see dlc_log_limit). */
#define QUERY_FAIL_LINES_PER_S 10


/* One statement in flight on a connection. Entries live in the pool, not
 * on their caller's stack: a caller that gives up at its deadline leaves
 * its entry behind, and the reader throws its result away when it comes. */
typedef struct entry {
    struct entry *next;
    int64_t sent_ms; /* when its statement went out */
    PGresult *res;   /* the first failure, or else the last result */
    dlc_db_rc rc;
    dlc_dbc_err err;
    bool done;
    bool abandoned;
    dlc_loop_waitq wake; /* its caller, until done or its turn to read */
} entry;

/* One connection of the pool, in pipeline mode: statements are sent as
 * they come, each followed by a Sync, and their results come back in
 * order. One caller at a time reads them (the reader) and hands each
 * caller its own. */
typedef struct {
    PGconn *conn;      /* NULL while disconnected */
    bool connecting;   /* a caller is (re)connecting it */
    bool reading;      /* a caller is reading its results */
    entry *head, *tail; /* sent, results not yet read */
    int depth;
} db_conn;

struct dlc_db {
    dlc_db_settings settings;
    const dlc_db_stmt *stmts;
    size_t nstmts;
    db_conn *conns;
    size_t nconns;
    dlc_loop_waitq waiters; /* fibers waiting for room on a connection, FIFO */
    /* database.host resolved once, when the pool is made: libpq resolves a
     * host name inside PQconnectStartParams, synchronously, which would
     * stall a whole event loop on a slow resolver. "" when host is an
     * address, a socket folder or unset. */
    char hostaddr[INET6_ADDRSTRLEN];
    entry *spare;           /* entries to reuse */
    int64_t backoff_ms;     /* length of the current window; 0 = healthy */
    int64_t retry_at_ms;    /* no connection attempt before this */
    char last_error[256];
};

/* What one round trip sends: a registered statement, or the ping. */
typedef struct {
    const char *stmt; /* NULL: "SELECT 1" */
    int nparams;
    const char *const *values;
} request;

/* ---- errors -------------------------------------------------------------- */








/* ---- waiting on the socket ----------------------------------------------- */




/* ---- connecting ---------------------------------------------------------- */









/* ---- connection state ---------------------------------------------------- */

static void drop_conn(db_conn *c)
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

static void note_success(dlc_db *db)
{
    if (db->backoff_ms != 0)
        dlc_log_info("database connection restored");
    db->backoff_ms = 0;
    db->retry_at_ms = 0;
}


static dlc_db_rc establish(dlc_db *db, db_conn *c, int64_t deadline_ms, dlc_dbc_err *e)
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

static dlc_db_rc ensure_conn(dlc_db *db, db_conn *c, bool honour_backoff, int64_t deadline_ms,
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

/* ---- the pool: pipelined connections -------------------------------------- */

/* Statements in flight on one connection at most: a connection lost (or a
 * statement past its deadline) fails no more than this many calls. */
#define MAX_DEPTH 16
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

static entry *entry_new(dlc_db *db)
{
    entry *en = db->spare;
    if (en)
        db->spare = en->next;
    else if (!(en = malloc(sizeof *en)))
        return NULL;
    memset(en, 0, sizeof *en);
    return en;
}

static void entry_free(dlc_db *db, entry *en)
{
    PQclear(en->res);
    en->res = NULL;
    en->next = db->spare;
    db->spare = en;
}

/* en's result is complete: its caller is told (or, gone, forgotten). */
static void entry_done(dlc_db *db, entry *en, dlc_db_rc rc, const dlc_dbc_err *e)
{
    en->done = true;
    en->rc = rc;
    if (e)
        en->err = *e;
    if (en->abandoned)
        entry_free(db, en);
    else
        dlc_loop_waitq_wake_one(&en->wake);
}

static entry *pop_head(db_conn *c)
{
    entry *en = c->head;
    c->head = en->next;
    if (!c->head)
        c->tail = NULL;
    c->depth--;
    return en;
}

/* The connection is gone (or must go): every statement on it fails with
 * rc. Room appears for the callers waiting. */
static void fail_conn(dlc_db *db, db_conn *c, dlc_db_rc rc, const dlc_dbc_err *e)
{
    while (c->head) {
        entry *en = pop_head(c);
        PQclear(en->res);
        en->res = NULL;
        entry_done(db, en, rc, e);
    }
    drop_conn(c);
    dlc_loop_waitq_wake_one(&db->waiters);
}

/* The head statement's Sync arrived: dlc_dbc_judge what it returned. */
static void complete_head(dlc_db *db, db_conn *c)
{
    entry *en = pop_head(c);
    PGresult *res = en->res;
    en->res = NULL;
    dlc_dbc_err e = {"", ""};
    dlc_db_rc rc = res ? dlc_dbc_judge(c->conn, res, &en->res, &e) : dlc_dbc_judge_error(c->conn, NULL, &e);
    entry_done(db, en, rc, &e);
    dlc_loop_waitq_wake_one(&db->waiters);
}

/* Keeps the first failure, or else the last result (as collect does). */
static void keep_result(entry *en, PGresult *res)
{
    if (en->res && PQresultStatus(en->res) == PGRES_FATAL_ERROR) {
        PQclear(res);
        return;
    }
    PQclear(en->res);
    en->res = res;
}

/* Hands out every result that has arrived, in order, without waiting. A
 * NULL from PQgetResult ends one statement's results; two in a row mean
 * nothing more has arrived. */
static void drain(dlc_db *db, db_conn *c)
{
    int nulls = 0;
    while (c->head && !PQisBusy(c->conn)) {
        PGresult *res = PQgetResult(c->conn);
        if (!res) {
            if (++nulls > 1)
                return;
            continue;
        }
        nulls = 0;
        if (PQresultStatus(res) == PGRES_PIPELINE_SYNC) {
            PQclear(res);
            complete_head(db, c);
        } else {
            keep_result(c->head, res);
        }
    }
}

/* The reader: reads until en is done. A deadline that passes while the
 * results are still out drops the connection (that cancels the statement
 * on the server), without backoff: the server was fine; the other
 * statements on it fail as with a lost connection. A wait can end because
 * another caller failed the connection (its socket closed): en is done
 * then, and the connection must not be touched. */
static void read_until_done(dlc_db *db, db_conn *c, entry *en, int64_t deadline_ms)
{
    dlc_dbc_err e = {"", ""};
    for (;;) {
        drain(db, c);
        if (en->done)
            return;
        int w = dlc_dbc_wait(PQsocket(c->conn), POLLIN, deadline_ms);
        if (en->done)
            return;
        if (w == 0) {
            dlc_dbc_err_set(&e, NULL, "connection dropped: a statement on it outlived its deadline");
            fail_conn(db, c, DLC_DB_TIMEOUT, &e);
            dlc_dbc_err_set(&en->err, NULL, "deadline exceeded");
            return;
        }
        if (w < 0 || !PQconsumeInput(c->conn)) {
            dlc_db_rc rc = dlc_dbc_judge_error(c->conn, NULL, &e);
            if (rc == DLC_DB_UNAVAILABLE)
                note_failure(db, &e);
            fail_conn(db, c, rc, &e);
            return;
        }
    }
}

/* Waits for en's results: as the reader when nobody reads, else until the
 * reader hands them over (or leaves, and this caller's turn comes). A
 * caller that is not reading gives up at its deadline. */
static void await_entry(dlc_db *db, db_conn *c, entry *en, int64_t deadline_ms)
{
    while (!en->done) {
        if (!c->reading) {
            c->reading = true;
            read_until_done(db, c, en, deadline_ms);
            c->reading = false;
            for (entry *next = c->head; next; next = next->next) {
                if (!next->abandoned) { /* the next reader */
                    dlc_loop_waitq_wake_one(&next->wake);
                    break;
                }
            }
        } else if (!dlc_loop_waitq_wait(&en->wake, deadline_ms) && !en->done) {
            en->abandoned = true;
            return;
        }
    }
}

static bool stalled(const db_conn *c, int64_t now)
{
    return c->head && now - c->head->sent_ms >= STALL_MS;
}

/* The connected connection with the most room, or NULL; a stalled one only
 * when no other connection can be opened. One that idled is checked first:
 * the server may have gone away meanwhile. */
static db_conn *least_busy(dlc_db *db, bool can_open)
{
    int64_t now = dlc_clock_mono_ms();
    for (;;) {
        db_conn *best = NULL;
        for (size_t i = 0; i < db->nconns; i++) {
            db_conn *c = &db->conns[i];
            if (c->conn && !c->connecting && c->depth < MAX_DEPTH &&
                !(can_open && stalled(c, now)) && (!best || c->depth < best->depth))
                best = c;
        }
        if (!best || best->depth > 0 || dlc_dbc_idle_alive(best->conn))
            return best;
        drop_conn(best);
    }
}

static db_conn *first_closed(dlc_db *db)
{
    for (size_t i = 0; i < db->nconns; i++) {
        if (!db->conns[i].conn && !db->conns[i].connecting)
            return &db->conns[i];
    }
    return NULL;
}

/* (Re)connects c into pipeline mode. */
static dlc_db_rc connect_pipelined(dlc_db *db, db_conn *c, bool honour_backoff,
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
static db_conn *pick(dlc_db *db, bool honour_backoff, int64_t deadline_ms, dlc_db_rc *rc,
                     dlc_dbc_err *e)
{
    /* Callers already queued for room go first: a newcomer queues too. */
    bool turn = db->waiters.head == NULL;
    for (;;) {
        db_conn *c = turn ? least_busy(db, first_closed(db) != NULL) : NULL;
        if (c)
            return c;
        if (turn && (c = first_closed(db))) {
            *rc = connect_pipelined(db, c, honour_backoff, deadline_ms, e);
            return *rc == DLC_DB_OK ? c : NULL;
        }
        if (!dlc_loop_waitq_wait(&db->waiters, deadline_ms)) {
            *rc = DLC_DB_TIMEOUT;
            dlc_dbc_err_set(e, NULL, "no database connection free before the deadline");
            return NULL;
        }
        turn = true;
    }
}

/* ---- round trips --------------------------------------------------------- */

/* The statement and its Sync (the ping in the extended protocol: pipeline
 * mode allows no other). */
static int send_request(PGconn *conn, const request *rq)
{
    int ok = rq->stmt ? PQsendQueryPrepared(conn, rq->stmt, rq->nparams, rq->values, NULL, NULL, 0)
                      : PQsendQueryParams(conn, "SELECT 1", 0, NULL, NULL, NULL, NULL, 0);
    return ok && PQpipelineSync(conn);
}

/* Pushes out what libpq buffered, reading meanwhile so that a server
 * blocked on writing results cannot deadlock us. Ends early when another
 * caller failed the connection (en is done then). */
static dlc_db_rc flush_out(db_conn *c, entry *en, int64_t deadline_ms, dlc_dbc_err *e)
{
    int pending;
    while ((pending = PQflush(c->conn)) == 1) {
        int w = dlc_dbc_wait(PQsocket(c->conn), POLLIN | POLLOUT, deadline_ms);
        if (en->done)
            return en->rc;
        if (w == 0) {
            dlc_dbc_err_set(e, NULL, "deadline exceeded");
            return DLC_DB_TIMEOUT;
        }
        if (w < 0 || !PQconsumeInput(c->conn))
            return dlc_dbc_judge_error(c->conn, NULL, e);
    }
    return pending == 0 ? DLC_DB_OK : dlc_dbc_judge_error(c->conn, NULL, e);
}

/* One statement through the pool: queued behind the others on the least
 * busy connection, its results handed back in order. */
static dlc_db_rc round_trip(dlc_db *db, const request *rq, bool honour_backoff, int64_t deadline_ms,
                            PGresult **out, dlc_dbc_err *e)
{
    if (dlc_clock_mono_ms() >= deadline_ms) {
        dlc_dbc_err_set(e, NULL, "deadline exceeded");
        return DLC_DB_TIMEOUT;
    }
    int64_t least = dlc_clock_mono_ms() + MIN_STATEMENT_MS;
    if (deadline_ms < least)
        deadline_ms = least;
    dlc_db_rc rc = DLC_DB_OK;
    db_conn *c = pick(db, honour_backoff, deadline_ms, &rc, e);
    if (!c)
        return rc;
    entry *en = entry_new(db);
    if (!en) {
        dlc_dbc_err_set(e, NULL, "out of memory");
        return DLC_DB_ERROR;
    }
    en->sent_ms = dlc_clock_mono_ms();
    if (c->tail)
        c->tail->next = en;
    else
        c->head = en;
    c->tail = en;
    c->depth++;
    rc = send_request(c->conn, rq) ? flush_out(c, en, deadline_ms, e)
                                   : dlc_dbc_judge_error(c->conn, NULL, e);
    if (rc != DLC_DB_OK && !en->done) {
        if (rc == DLC_DB_UNAVAILABLE)
            note_failure(db, e);
        fail_conn(db, c, rc, e);
    }
    await_entry(db, c, en, deadline_ms);
    if (!en->done) {
        dlc_dbc_err_set(e, NULL, "deadline exceeded");
        return DLC_DB_TIMEOUT; /* abandoned: the reader frees it */
    }
    rc = en->rc;
    *e = en->err;
    if (out) {
        *out = en->res;
        en->res = NULL;
    }
    entry_free(db, en);
    return rc;
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
static bool check_request(const dlc_db *db, const request *rq, dlc_dbc_err *e)
{
    const dlc_db_stmt *s = rq->stmt ? find_stmt(db, rq->stmt) : NULL;
    if (!s) {
        dlc_dbc_err_set(e, "26000", "unknown statement %s", rq->stmt ? rq->stmt : "(null)");
        return false;
    }
    if (rq->nparams != s->nparams) {
        dlc_dbc_err_set(e, "07001", "statement %s takes %d parameters, got %d", s->name, s->nparams,
                rq->nparams);
        return false;
    }
    return true;
}

dlc_db_rc dlc_db_exec(dlc_db *db, const char *stmt_name, int nparams, const char *const *values,
                      int64_t deadline_ms, PGresult **out, char sqlstate[6], char *errbuf,
                      size_t errlen)
{
    request rq = {.stmt = stmt_name, .nparams = nparams, .values = values};
    dlc_dbc_err e = {"", ""};
    dlc_db_rc rc = DLC_DB_ERROR;
    PGresult *res = NULL;
    if (check_request(db, &rq, &e))
        rc = round_trip(db, &rq, true, deadline_ms, &res, &e);
    dlc_dbc_err_export(&e, sqlstate, errbuf, errlen);
    if (out)
        *out = res;
    else
        PQclear(res);
    return rc;
}

dlc_db_rc dlc_db_ping(dlc_db *db, int64_t deadline_ms, char *errbuf, size_t errlen)
{
    request rq = {.stmt = NULL};
    dlc_dbc_err e = {"", ""};
    PGresult *res = NULL;
    dlc_db_rc rc = round_trip(db, &rq, false, deadline_ms, &res, &e);
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
        fail_conn(db, &db->conns[i], DLC_DB_UNAVAILABLE, NULL);
    while (db->spare) {
        entry *en = db->spare;
        db->spare = en->next;
        free(en);
    }
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
