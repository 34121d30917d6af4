/*
 * dlc_dbp: one libpq connection in pipeline mode (see db_pipe.h): the
 * statements in flight, the reader that hands their results out in order,
 * and what deadlines and a lost server do to them.
 */
#include "storage/db_pipe.h"

#include "common/clock.h"

#include <poll.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

/* A reader whose deadline passes drops a connection shared with other
 * waiting callers only once its oldest statement has been out this long. */
#define DROP_AFTER_MS 1000

struct dlc_dbp_entry {
    dlc_dbp_entry *next;
    int64_t sent_ms; /* when its statement went out */
    PGresult *res;   /* the first failure, or else the last result */
    dlc_db_rc rc;
    dlc_dbc_err err;
    bool done;
    bool abandoned;      /* its caller gave up: the result is thrown away */
    dlc_loop_waitq wake; /* its caller, until done or its turn to read */
};

/* ---- entries --------------------------------------------------------------- */

static dlc_dbp_entry *entry_new(dlc_dbp_conn *c)
{
    dlc_dbp_entry *en = c->spare;
    if (en)
        c->spare = en->next;
    else if (!(en = malloc(sizeof *en)))
        return NULL;
    memset(en, 0, sizeof *en);
    return en;
}

static void entry_free(dlc_dbp_conn *c, dlc_dbp_entry *en)
{
    PQclear(en->res);
    en->res = NULL;
    en->next = c->spare;
    c->spare = en;
}

/* en's result is complete: its caller is told (or, gone, forgotten), and
 * the pool learns that there is room. */
static void entry_done(dlc_dbp_conn *c, dlc_dbp_entry *en, dlc_db_rc rc, const dlc_dbc_err *e)
{
    en->done = true;
    en->rc = rc;
    if (e)
        en->err = *e;
    if (en->abandoned)
        entry_free(c, en);
    else
        dlc_loop_waitq_wake_one(&en->wake);
    dlc_loop_waitq_wake_one(c->room);
}

/* Connections of the process with statements out (every pool's). */
static atomic_long g_busy;

long dlc_dbp_busy_connections(void)
{
    return atomic_load_explicit(&g_busy, memory_order_relaxed);
}

static void push_tail(dlc_dbp_conn *c, dlc_dbp_entry *en)
{
    en->sent_ms = dlc_clock_mono_ms();
    if (c->tail)
        c->tail->next = en;
    else
        c->head = en;
    c->tail = en;
    if (c->depth++ == 0)
        atomic_fetch_add_explicit(&g_busy, 1, memory_order_relaxed);
}

static dlc_dbp_entry *pop_head(dlc_dbp_conn *c)
{
    dlc_dbp_entry *en = c->head;
    c->head = en->next;
    if (!c->head)
        c->tail = NULL;
    if (--c->depth == 0)
        atomic_fetch_sub_explicit(&g_busy, 1, memory_order_relaxed);
    return en;
}

void dlc_dbp_fail(dlc_dbp_conn *c, dlc_db_rc rc, const dlc_dbc_err *e)
{
    while (c->head) {
        dlc_dbp_entry *en = pop_head(c);
        PQclear(en->res);
        en->res = NULL;
        entry_done(c, en, rc, e);
    }
    PQfinish(c->conn);
    c->conn = NULL;
}

void dlc_dbp_release(dlc_dbp_conn *c)
{
    dlc_dbp_fail(c, DLC_DB_UNAVAILABLE, NULL);
    while (c->spare) {
        dlc_dbp_entry *en = c->spare;
        c->spare = en->next;
        free(en);
    }
}

bool dlc_dbp_stalled(const dlc_dbp_conn *c, int64_t now_ms, int64_t stall_ms)
{
    return c->head && now_ms - c->head->sent_ms >= stall_ms;
}

/* The server went away: everything on c fails, the pool is told once. */
static void lose(dlc_dbp_conn *c, dlc_db_rc rc, const dlc_dbc_err *e)
{
    if (rc == DLC_DB_UNAVAILABLE && c->lost)
        c->lost(c->arg, e);
    dlc_dbp_fail(c, rc, e);
}

/* ---- reading --------------------------------------------------------------- */

/* The head statement's Sync arrived: judge what it returned. */
static void complete_head(dlc_dbp_conn *c)
{
    dlc_dbp_entry *en = pop_head(c);
    PGresult *res = en->res;
    en->res = NULL;
    dlc_dbc_err e = {"", ""};
    dlc_db_rc rc = res ? dlc_dbc_judge(c->conn, res, &en->res, &e)
                       : dlc_dbc_judge_error(c->conn, NULL, &e);
    entry_done(c, en, rc, &e);
}

/* Keeps the first failure, or else the last result. */
static void keep_result(dlc_dbp_entry *en, PGresult *res)
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
static void drain(dlc_dbp_conn *c)
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
            complete_head(c);
        } else {
            keep_result(c->head, res);
        }
    }
}

/* A statement on c other than en whose caller still waits for it. */
static bool others_wait(const dlc_dbp_conn *c, const dlc_dbp_entry *en)
{
    for (const dlc_dbp_entry *x = c->head; x; x = x->next) {
        if (x != en && !x->abandoned)
            return true;
    }
    return false;
}

/* The reader: reads until en is done, or its deadline passes. Then, when
 * other callers still wait on c and its oldest statement is not stuck
 * (out less than DROP_AFTER_MS), the reader just leaves: one impatient
 * caller must not fail the others. Otherwise it drops the connection,
 * which cancels the statement on the server, without telling the pool of
 * a loss: the server was fine. A wait can end because another caller
 * failed the connection (its socket closed): en is done then, and the
 * connection must not be touched. */
static void read_until_done(dlc_dbp_conn *c, dlc_dbp_entry *en, int64_t deadline_ms)
{
    dlc_dbc_err e = {"", ""};
    for (;;) {
        drain(c);
        if (en->done)
            return;
        int w = dlc_dbc_wait(PQsocket(c->conn), POLLIN, deadline_ms);
        if (en->done)
            return;
        if (w == 0 && others_wait(c, en) &&
            !dlc_dbp_stalled(c, dlc_clock_mono_ms(), DROP_AFTER_MS))
            return;
        if (w == 0) {
            dlc_dbc_err_set(&e, NULL, "connection dropped: a statement on it outlived its deadline");
            dlc_dbp_fail(c, DLC_DB_TIMEOUT, &e);
            dlc_dbc_err_set(&en->err, NULL, "deadline exceeded");
            return;
        }
        if (w < 0 || !PQconsumeInput(c->conn)) {
            lose(c, dlc_dbc_judge_error(c->conn, NULL, &e), &e);
            return;
        }
    }
}

/* The tidy fiber: reads while only statements whose callers gave up are
 * out, so that their room comes back; leaves as soon as a caller waits (it
 * is handed the reading), and drops the connection, cancelling them on the
 * server, once the oldest has been out DROP_AFTER_MS. */
static void tidy(dlc_dbp_conn *c)
{
    dlc_dbc_err e = {"", ""};
    for (;;) {
        if (!c->conn)
            return; /* failed meanwhile */
        drain(c);
        if (!c->head || others_wait(c, NULL))
            return;
        int w = dlc_dbc_wait(PQsocket(c->conn), POLLIN, c->head->sent_ms + DROP_AFTER_MS);
        if (!c->conn)
            return;
        if (w == 0 && !others_wait(c, NULL)) {
            dlc_dbc_err_set(&e, NULL, "connection dropped: its statements outlived their callers");
            dlc_dbp_fail(c, DLC_DB_TIMEOUT, &e);
            return;
        }
        if (w < 0 || (w > 0 && !PQconsumeInput(c->conn))) {
            lose(c, dlc_dbc_judge_error(c->conn, NULL, &e), &e);
            return;
        }
    }
}

static void hand_over_reading(dlc_dbp_conn *c);

static void tidy_main(void *arg)
{
    dlc_dbp_conn *c = arg;
    c->tidy_posted = false;
    if (c->reading)
        return; /* a caller came first */
    c->reading = true;
    tidy(c);
    c->reading = false;
    hand_over_reading(c);
}

/* Nobody reads c: the oldest caller still waiting on it takes over, or, if
 * none waits, the tidy fiber. Also called by a caller that gives up, since
 * a hand-over to it may have come just as its deadline passed. A caller
 * still sending is not in its wait yet: it finds nobody reading then. */
static void hand_over_reading(dlc_dbp_conn *c)
{
    if (c->reading || !c->head)
        return;
    for (dlc_dbp_entry *next = c->head; next; next = next->next) {
        if (!next->abandoned) {
            dlc_loop_waitq_wake_one(&next->wake);
            return;
        }
    }
    dlc_loop *l = dlc_loop_current();
    if (l && !c->tidy_posted) {
        c->tidy_posted = true;
        c->tidy = (dlc_loop_task){.fn = tidy_main, .arg = c};
        dlc_loop_post(l, &c->tidy);
    }
}

/* Waits for en's results: as the reader when nobody reads, else until the
 * reader hands them over (or leaves, and this caller's turn comes). A
 * caller that is not reading gives up at its deadline. */
static void await_entry(dlc_dbp_conn *c, dlc_dbp_entry *en, int64_t deadline_ms)
{
    while (!en->done) {
        if (!c->reading) {
            c->reading = true;
            read_until_done(c, en, deadline_ms);
            c->reading = false;
            en->abandoned = !en->done; /* gave up: its result is thrown away */
            hand_over_reading(c);
            if (en->abandoned)
                return;
        } else if (!dlc_loop_waitq_wait(&en->wake, deadline_ms) && !en->done) {
            en->abandoned = true;
            hand_over_reading(c);
            return;
        }
    }
}

/* ---- sending --------------------------------------------------------------- */

/* The statement and its Sync (the ping in the extended protocol: pipeline
 * mode allows no other). */
static int send_statement(PGconn *conn, const char *stmt, int nparams, const char *const *values)
{
    int ok = stmt ? PQsendQueryPrepared(conn, stmt, nparams, values, NULL, NULL, 0)
                  : PQsendQueryParams(conn, "SELECT 1", 0, NULL, NULL, NULL, NULL, 0);
    return ok && PQpipelineSync(conn);
}

/* Pushes out what libpq buffered, reading meanwhile so that a server
 * blocked on writing results cannot deadlock us. Ends early when another
 * caller failed the connection (en is done then). */
static dlc_db_rc flush_out(dlc_dbp_conn *c, dlc_dbp_entry *en, int64_t deadline_ms,
                           dlc_dbc_err *e)
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

dlc_db_rc dlc_dbp_run(dlc_dbp_conn *c, const char *stmt, int nparams,
                      const char *const *values, int64_t deadline_ms, PGresult **out,
                      dlc_dbc_err *e)
{
    dlc_dbp_entry *en = entry_new(c);
    if (!en) {
        dlc_dbc_err_set(e, NULL, "out of memory");
        return DLC_DB_ERROR;
    }
    push_tail(c, en);
    dlc_db_rc rc = send_statement(c->conn, stmt, nparams, values)
                       ? flush_out(c, en, deadline_ms, e)
                       : dlc_dbc_judge_error(c->conn, NULL, e);
    if (rc != DLC_DB_OK && !en->done)
        lose(c, rc, e);
    await_entry(c, en, deadline_ms);
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
    entry_free(c, en);
    return rc;
}
