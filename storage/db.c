#include "storage/db.h"
#include "storage/db_internal.h"

#include "common/clock.h"
#include "common/log.h"
#include "common/loop.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <netdb.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Lines a second about failed statements (see dlc_log_limit). */
#define QUERY_FAIL_LINES_PER_S 10
#define BACKOFF_FIRST_MS 100
#define BACKOFF_MAX_MS 5000
/* Tools and the migration runner wait this long for a connection. */
#define BLOCKING_CONNECT_MS 10000
/* How soon a backend notices that its client went away (e.g. after we
 * dropped a connection on a client-side deadline). */
#define CONNECTION_CHECK_MS 1000

/* The error of one failed step, copied to the caller's buffers at the end. */
typedef struct {
    char state[6];
    char msg[256];
} db_err;

/* The strings of dlc_db_settings.owned. */
enum {
    OWNED_URL,
    OWNED_HOST,
    OWNED_USER,
    OWNED_PASSWORD,
    OWNED_NAME,
    OWNED_SSL,
    OWNED_APP,
    OWNED_N
};
_Static_assert(OWNED_N == sizeof((dlc_db_settings *)0)->owned / sizeof(char *),
               "dlc_db_settings.owned holds every string of dlc_db_params");

/* One statement in flight on a connection. Entries live in the pool, not
 * on their caller's stack: a caller that gives up at its deadline leaves
 * its entry behind, and the reader throws its result away when it comes. */
typedef struct entry {
    struct entry *next;
    int64_t sent_ms; /* when its statement went out */
    PGresult *res;   /* the first failure, or else the last result */
    dlc_db_rc rc;
    db_err err;
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

static void trim_to_line(char *s)
{
    s[strcspn(s, "\r\n")] = '\0';
    size_t n = strlen(s);
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
        s[--n] = '\0';
}

static void err_set(db_err *e, const char *state, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->msg, sizeof e->msg, fmt, ap);
    va_end(ap);
    trim_to_line(e->msg);
    snprintf(e->state, sizeof e->state, "%s", state ? state : "");
}

static void err_export(const db_err *e, char sqlstate[6], char *errbuf, size_t errlen)
{
    if (sqlstate)
        memcpy(sqlstate, e->state, sizeof e->state);
    if (errbuf && errlen > 0)
        snprintf(errbuf, errlen, "%s", e->msg);
}

void dlc_db_error_text(PGconn *conn, const PGresult *res, char *buf, size_t len)
{
    const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    const char *primary = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
    if (state && strncmp(state, "22", 2) == 0) {
        /* Data exceptions quote the offending input, i.e. a parameter. */
        snprintf(buf, len, "invalid input value (SQLSTATE %s)", state);
    } else if (primary) {
        snprintf(buf, len, "%s", primary);
    } else if (res && *PQresultErrorMessage(res)) {
        snprintf(buf, len, "%s", PQresultErrorMessage(res));
    } else {
        snprintf(buf, len, "%s", conn ? PQerrorMessage(conn) : "out of memory");
    }
    trim_to_line(buf);
}

/* The connection is gone or unusable: a server answer does not help. */
static bool state_means_unavailable(const char *state)
{
    if (!state)
        return false;
    return strncmp(state, "08", 2) == 0     /* connection exception */
           || strncmp(state, "57P", 3) == 0 /* admin/crash shutdown, cannot connect now */
           || strcmp(state, "53300") == 0;  /* too many connections */
}

/* Classifies a failed result (res may be NULL when libpq made none). */
static dlc_db_rc judge_error(PGconn *conn, const PGresult *res, db_err *e)
{
    const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    char text[sizeof e->msg];
    dlc_db_error_text(conn, res, text, sizeof text);
    err_set(e, state, "%s", text);
    if (PQstatus(conn) == CONNECTION_BAD || state_means_unavailable(state))
        return DLC_DB_UNAVAILABLE;
    if (state && strcmp(state, "57014") == 0) /* statement_timeout */
        return DLC_DB_TIMEOUT;
    return DLC_DB_ERROR;
}

/* Hands a successful result to out (or frees it); classifies the rest. */
static dlc_db_rc judge(PGconn *conn, PGresult *res, PGresult **out, db_err *e)
{
    ExecStatusType st = PQresultStatus(res);
    if (res && (st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK)) {
        if (out)
            *out = res;
        else
            PQclear(res);
        return DLC_DB_OK;
    }
    dlc_db_rc rc = DLC_DB_ERROR;
    if (!res || st == PGRES_FATAL_ERROR)
        rc = judge_error(conn, res, e);
    else /* e.g. COPY: registered statements must not start one */
        err_set(e, "XX000", "unexpected result status %s", PQresStatus(st));
    PQclear(res);
    return rc;
}

/* ---- waiting on the socket ----------------------------------------------- */

/* 1: ready, 0: the deadline passed, -1: cannot wait. In a fiber this
 * suspends the fiber, not the thread (common/loop). */
static int wait_socket(int fd, short events, int64_t deadline_ms)
{
    return dlc_loop_wait_fd(fd, events, deadline_ms);
}

/* Sends what is queued and reads until PQgetResult will not block. */
static dlc_db_rc await_result(PGconn *conn, int64_t deadline_ms, db_err *e)
{
    for (;;) {
        int pending = PQflush(conn);
        if (pending < 0)
            return judge_error(conn, NULL, e);
        if (pending == 0 && !PQisBusy(conn))
            return DLC_DB_OK;
        short events = POLLIN | (pending ? POLLOUT : 0);
        int w = wait_socket(PQsocket(conn), events, deadline_ms);
        if (w == 0) {
            err_set(e, NULL, "deadline exceeded");
            return DLC_DB_TIMEOUT;
        }
        if (w < 0 || !PQconsumeInput(conn))
            return judge_error(conn, NULL, e);
    }
}

/* Collects the results of the command just sent; out gets the first
 * failure, or else the last result. */
static dlc_db_rc collect(PGconn *conn, int64_t deadline_ms, PGresult **out, db_err *e)
{
    PGresult *kept = NULL;
    for (;;) {
        dlc_db_rc rc = await_result(conn, deadline_ms, e);
        if (rc != DLC_DB_OK) {
            PQclear(kept);
            return rc;
        }
        PGresult *res = PQgetResult(conn);
        if (!res)
            break;
        if (kept && PQresultStatus(kept) == PGRES_FATAL_ERROR) {
            PQclear(res);
        } else {
            PQclear(kept);
            kept = res;
        }
    }
    if (!kept)
        return judge_error(conn, NULL, e);
    *out = kept;
    return DLC_DB_OK;
}

/* ---- connecting ---------------------------------------------------------- */

enum { MAX_KEYWORDS = 16 };

/* libpq keyword/value arrays built from params; shared by both connect paths. */
typedef struct {
    const char *keys[MAX_KEYWORDS + 1];
    const char *vals[MAX_KEYWORDS + 1];
    int n;
    int expand_dbname;
    char port[16];
    char options[128];
} conn_kv;

static void kv_add(conn_kv *kv, const char *key, const char *val)
{
    if (!val || !*val || kv->n >= MAX_KEYWORDS)
        return;
    kv->keys[kv->n] = key;
    kv->vals[kv->n] = val;
    kv->n++;
    kv->keys[kv->n] = NULL;
    kv->vals[kv->n] = NULL;
}

/* The url wins outright; otherwise only the fields that are set, so libpq
 * falls back to PG* for the rest. The session settings come after the url
 * so that they override any it carries. */
static void kv_build(conn_kv *kv, const dlc_db_params *p, const char *hostaddr)
{
    memset(kv, 0, sizeof *kv);
    if (p->url && *p->url) {
        kv_add(kv, "dbname", p->url);
        kv->expand_dbname = 1;
    } else {
        if (p->port > 0)
            snprintf(kv->port, sizeof kv->port, "%d", p->port);
        kv_add(kv, "host", p->host);
        kv_add(kv, "hostaddr", hostaddr);
        kv_add(kv, "port", kv->port);
        kv_add(kv, "user", p->user);
        kv_add(kv, "password", p->password);
        kv_add(kv, "dbname", p->name);
        kv_add(kv, "sslmode", p->ssl_mode);
    }
    /* In the startup packet, so the settings cost no extra round trip. */
    long long timeout = p->statement_timeout_ms > 0 ? (long long)p->statement_timeout_ms : 0;
    snprintf(kv->options, sizeof kv->options,
             "-c statement_timeout=%lld -c client_connection_check_interval=%d", timeout,
             CONNECTION_CHECK_MS);
    kv_add(kv, "options", kv->options);
    kv_add(kv, "application_name", p->application_name);
    /* A peer that vanished without a word (a half-open connection) is
     * noticed within about 10 s even by a connection that only listens. */
    kv_add(kv, "keepalives", "1");
    kv_add(kv, "keepalives_idle", "5");
    kv_add(kv, "keepalives_interval", "2");
    kv_add(kv, "keepalives_count", "2");
}

/* Server notices would otherwise go to stderr as plain text. */
static void on_notice(void *arg, const PGresult *res)
{
    (void)arg;
    const char *sev = PQresultErrorField(res, PG_DIAG_SEVERITY_NONLOCALIZED);
    const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
    const char *msg = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
    bool quiet = sev && (strcmp(sev, "NOTICE") == 0 || strcmp(sev, "INFO") == 0 ||
                         strcmp(sev, "LOG") == 0 || strncmp(sev, "DEBUG", 5) == 0);
    dlc_log_kv(quiet ? DLC_LOG_DEBUG : DLC_LOG_WARN, "postgres notice", "severity", sev ? sev : "",
               "sqlstate", state ? state : "", "message", msg ? msg : "", (const char *)0);
}

static dlc_db_rc poll_connect(PGconn *conn, int64_t deadline_ms, db_err *e)
{
    PostgresPollingStatusType st = PGRES_POLLING_WRITING; /* as libpq prescribes */
    while (st != PGRES_POLLING_OK) {
        if (st == PGRES_POLLING_FAILED || PQstatus(conn) == CONNECTION_BAD)
            return judge_error(conn, NULL, e);
        short events = st == PGRES_POLLING_READING ? POLLIN : POLLOUT;
        int w = wait_socket(PQsocket(conn), events, deadline_ms);
        if (w == 0) {
            err_set(e, NULL, "connect: deadline exceeded");
            return DLC_DB_UNAVAILABLE;
        }
        if (w < 0)
            return judge_error(conn, NULL, e);
        st = PQconnectPoll(conn);
    }
    return DLC_DB_OK;
}

/* libpq quotes a malformed database.url in its errors, password included:
 * such messages are replaced before anyone can log them. */
static void scrub_url_secrets(const dlc_db_params *p, db_err *e)
{
    if (!p->url || !p->url[0])
        return;
    char *perr = NULL;
    PQconninfoOption *opts = PQconninfoParse(p->url, &perr);
    PQfreemem(perr);
    bool leak = !opts;
    for (PQconninfoOption *o = opts; o && o->keyword; o++) {
        bool password = strcmp(o->keyword, "password") == 0 && o->val && o->val[0];
        leak |= password && strstr(e->msg, o->val);
    }
    PQconninfoFree(opts);
    if (leak)
        err_set(e, NULL,
                "cannot use database.url (details withheld: they may contain the password)");
}

/* Connects with the session settings within the deadline. */
static dlc_db_rc open_conn(const dlc_db_params *p, const char *hostaddr, int64_t deadline_ms,
                           PGconn **out, db_err *e)
{
    conn_kv kv;
    kv_build(&kv, p, hostaddr);
    PGconn *conn = PQconnectStartParams(kv.keys, kv.vals, kv.expand_dbname);
    if (!conn) {
        err_set(e, NULL, "out of memory");
        return DLC_DB_UNAVAILABLE;
    }
    PQsetNoticeReceiver(conn, on_notice, NULL);
    dlc_db_rc rc = poll_connect(conn, deadline_ms, e);
    if (rc != DLC_DB_OK) {
        PQfinish(conn);
        scrub_url_secrets(p, e);
        return rc;
    }
    *out = conn;
    return DLC_DB_OK;
}

static dlc_db_rc prepare_all(dlc_db *db, PGconn *conn, int64_t deadline_ms, db_err *e)
{
    for (size_t i = 0; i < db->nstmts; i++) {
        const dlc_db_stmt *s = &db->stmts[i];
        PGresult *res = NULL;
        dlc_db_rc rc = PQsendPrepare(conn, s->name, s->sql, 0, NULL)
                           ? collect(conn, deadline_ms, &res, e)
                           : judge_error(conn, NULL, e);
        if (rc == DLC_DB_OK)
            rc = judge(conn, res, NULL, e);
        if (rc != DLC_DB_OK) {
            db_err why = *e;
            err_set(e, why.state, "prepare %s: %s", s->name, why.msg);
            return rc;
        }
    }
    return DLC_DB_OK;
}

/* ---- connection state ---------------------------------------------------- */

static void drop_conn(db_conn *c)
{
    PQfinish(c->conn);
    c->conn = NULL;
}

/* Starts or widens the backoff window after a failed attempt or a loss. */
static void note_failure(dlc_db *db, const db_err *e)
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

/* An idle connection learns of a server shutdown or restart only when it
 * reads: the goodbye (57P01) and the EOF arrive while we are not looking.
 * Reading what is pending now lets us reconnect instead of failing the
 * caller's request. Bounded: an idle session receives next to nothing. */
static bool idle_conn_alive(PGconn *conn)
{
    for (int i = 0; i < 4 && PQstatus(conn) == CONNECTION_OK; i++) {
        struct pollfd p = {.fd = PQsocket(conn), .events = POLLIN};
        if (poll(&p, 1, 0) <= 0)
            return true;
        if (!PQconsumeInput(conn))
            return false;
        /* Parses while idle: a stray error becomes a notice, not the
         * result of our next statement. */
        for (PGnotify *n; (n = PQnotifies(conn)) != NULL;)
            PQfreemem(n);
    }
    return PQstatus(conn) == CONNECTION_OK;
}

static dlc_db_rc establish(dlc_db *db, db_conn *c, int64_t deadline_ms, db_err *e)
{
    PGconn *conn = NULL;
    dlc_db_rc rc = open_conn(&db->settings.p, db->hostaddr, deadline_ms, &conn, e);
    if (rc == DLC_DB_OK && PQsetnonblocking(conn, 1) != 0)
        rc = judge_error(conn, NULL, e);
    bool connected = rc == DLC_DB_OK;
    if (rc == DLC_DB_OK)
        rc = prepare_all(db, conn, deadline_ms, e);
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
                             db_err *e)
{
    if (c->conn && idle_conn_alive(c->conn))
        return DLC_DB_OK;
    drop_conn(c);
    if (honour_backoff && dlc_clock_mono_ms() < db->retry_at_ms) {
        err_set(e, NULL, "database unavailable (backing off): %s", db->last_error);
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
static void entry_done(dlc_db *db, entry *en, dlc_db_rc rc, const db_err *e)
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
static void fail_conn(dlc_db *db, db_conn *c, dlc_db_rc rc, const db_err *e)
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

/* The head statement's Sync arrived: judge what it returned. */
static void complete_head(dlc_db *db, db_conn *c)
{
    entry *en = pop_head(c);
    PGresult *res = en->res;
    en->res = NULL;
    db_err e = {"", ""};
    dlc_db_rc rc = res ? judge(c->conn, res, &en->res, &e) : judge_error(c->conn, NULL, &e);
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
    db_err e = {"", ""};
    for (;;) {
        drain(db, c);
        if (en->done)
            return;
        int w = wait_socket(PQsocket(c->conn), POLLIN, deadline_ms);
        if (en->done)
            return;
        if (w == 0) {
            err_set(&e, NULL, "connection dropped: a statement on it outlived its deadline");
            fail_conn(db, c, DLC_DB_TIMEOUT, &e);
            err_set(&en->err, NULL, "deadline exceeded");
            return;
        }
        if (w < 0 || !PQconsumeInput(c->conn)) {
            dlc_db_rc rc = judge_error(c->conn, NULL, &e);
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
        if (!best || best->depth > 0 || idle_conn_alive(best->conn))
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
                                   int64_t deadline_ms, db_err *e)
{
    c->connecting = true;
    int64_t least = dlc_clock_mono_ms() + MIN_CONNECT_MS;
    dlc_db_rc rc = ensure_conn(db, c, honour_backoff, deadline_ms > least ? deadline_ms : least, e);
    if (rc == DLC_DB_OK && PQenterPipelineMode(c->conn) != 1) {
        rc = judge_error(c->conn, NULL, e);
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
                     db_err *e)
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
            err_set(e, NULL, "no database connection free before the deadline");
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
static dlc_db_rc flush_out(db_conn *c, entry *en, int64_t deadline_ms, db_err *e)
{
    int pending;
    while ((pending = PQflush(c->conn)) == 1) {
        int w = wait_socket(PQsocket(c->conn), POLLIN | POLLOUT, deadline_ms);
        if (en->done)
            return en->rc;
        if (w == 0) {
            err_set(e, NULL, "deadline exceeded");
            return DLC_DB_TIMEOUT;
        }
        if (w < 0 || !PQconsumeInput(c->conn))
            return judge_error(c->conn, NULL, e);
    }
    return pending == 0 ? DLC_DB_OK : judge_error(c->conn, NULL, e);
}

/* One statement through the pool: queued behind the others on the least
 * busy connection, its results handed back in order. */
static dlc_db_rc round_trip(dlc_db *db, const request *rq, bool honour_backoff, int64_t deadline_ms,
                            PGresult **out, db_err *e)
{
    if (dlc_clock_mono_ms() >= deadline_ms) {
        err_set(e, NULL, "deadline exceeded");
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
        err_set(e, NULL, "out of memory");
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
                                   : judge_error(c->conn, NULL, e);
    if (rc != DLC_DB_OK && !en->done) {
        if (rc == DLC_DB_UNAVAILABLE)
            note_failure(db, e);
        fail_conn(db, c, rc, e);
    }
    await_entry(db, c, en, deadline_ms);
    if (!en->done) {
        err_set(e, NULL, "deadline exceeded");
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
static bool check_request(const dlc_db *db, const request *rq, db_err *e)
{
    const dlc_db_stmt *s = rq->stmt ? find_stmt(db, rq->stmt) : NULL;
    if (!s) {
        err_set(e, "26000", "unknown statement %s", rq->stmt ? rq->stmt : "(null)");
        return false;
    }
    if (rq->nparams != s->nparams) {
        err_set(e, "07001", "statement %s takes %d parameters, got %d", s->name, s->nparams,
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
    db_err e = {"", ""};
    dlc_db_rc rc = DLC_DB_ERROR;
    PGresult *res = NULL;
    if (check_request(db, &rq, &e))
        rc = round_trip(db, &rq, true, deadline_ms, &res, &e);
    err_export(&e, sqlstate, errbuf, errlen);
    if (out)
        *out = res;
    else
        PQclear(res);
    return rc;
}

dlc_db_rc dlc_db_ping(dlc_db *db, int64_t deadline_ms, char *errbuf, size_t errlen)
{
    request rq = {.stmt = NULL};
    db_err e = {"", ""};
    PGresult *res = NULL;
    dlc_db_rc rc = round_trip(db, &rq, false, deadline_ms, &res, &e);
    PQclear(res);
    err_export(&e, NULL, errbuf, errlen);
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

dlc_conn *dlc_db_connect_blocking(const dlc_db_params *params, char *errbuf, size_t errlen)
{
    db_err e = {"", ""};
    PGconn *conn = NULL;
    if (open_conn(params, NULL, dlc_clock_mono_ms() + BLOCKING_CONNECT_MS, &conn, &e) != DLC_DB_OK)
        err_export(&e, NULL, errbuf, errlen);
    return conn;
}

void dlc_db_disconnect(dlc_conn *conn)
{
    PQfinish(conn);
}

/* ---- lifetime ------------------------------------------------------------ */

int64_t dlc_db_backoff_next(int64_t current_ms)
{
    int64_t next = current_ms == 0 ? BACKOFF_FIRST_MS : current_ms * 2;
    return next > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : next;
}

bool dlc_db_settings_copy(dlc_db_settings *dst, const dlc_db_params *src)
{
    dst->p = *src;
    memset(dst->owned, 0, sizeof dst->owned);
    const char **fields[OWNED_N] = {
        [OWNED_URL] = &dst->p.url,
        [OWNED_HOST] = &dst->p.host,
        [OWNED_USER] = &dst->p.user,
        [OWNED_PASSWORD] = &dst->p.password,
        [OWNED_NAME] = &dst->p.name,
        [OWNED_SSL] = &dst->p.ssl_mode,
        [OWNED_APP] = &dst->p.application_name,
    };
    for (int i = 0; i < OWNED_N; i++) {
        dst->owned[i] = strdup(*fields[i] ? *fields[i] : "");
        if (!dst->owned[i])
            return false;
        *fields[i] = dst->owned[i];
    }
    return true;
}

void dlc_db_settings_release(dlc_db_settings *s)
{
    if (s->owned[OWNED_PASSWORD])
        explicit_bzero(s->owned[OWNED_PASSWORD], strlen(s->owned[OWNED_PASSWORD]));
    for (int i = 0; i < OWNED_N; i++) {
        free(s->owned[i]);
        s->owned[i] = NULL;
    }
}

/* The first address of a host name, into out; "" when host is empty, a
 * socket folder, already an address, or does not resolve (libpq then
 * tries, and reports, itself). */
static void resolve_host(const char *host, char *out, size_t len)
{
    out[0] = '\0';
    unsigned char buf[sizeof(struct in6_addr)];
    if (!host || !host[0] || host[0] == '/' || strchr(host, ',') ||
        inet_pton(AF_INET, host, buf) == 1 || inet_pton(AF_INET6, host, buf) == 1)
        return;
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *ai = NULL;
    if (getaddrinfo(host, NULL, &hints, &ai) != 0 || !ai)
        return;
    const void *addr = ai->ai_family == AF_INET
                           ? (const void *)&((struct sockaddr_in *)ai->ai_addr)->sin_addr
                           : (const void *)&((struct sockaddr_in6 *)ai->ai_addr)->sin6_addr;
    if (!inet_ntop(ai->ai_family, addr, out, (socklen_t)len))
        out[0] = '\0';
    freeaddrinfo(ai);
}

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
        resolve_host(params->host, db->hostaddr, sizeof db->hostaddr);
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
