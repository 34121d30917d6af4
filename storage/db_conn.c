/*
 * dlc_dbc: one PostgreSQL connection (see db_conn.h): connecting with the
 * session settings, preparing statements, waiting on the socket, judging
 * results; and dlc_db's settings copies, backoff and blocking connections
 * for tools.
 */
#include "storage/db_conn.h"
#include "storage/db_internal.h"

#include "common/clock.h"
#include "common/log.h"
#include "common/loop.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BACKOFF_FIRST_MS 100
#define BACKOFF_MAX_MS 5000
/* Tools and the migration runner wait this long for a connection. */
#define BLOCKING_CONNECT_MS 10000
/* How soon a backend notices that its client went away (e.g. after we
 * dropped a connection on a client-side deadline). */
#define CONNECTION_CHECK_MS 1000

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

static void trim_to_line(char *s)
{
    s[strcspn(s, "\r\n")] = '\0';
    size_t n = strlen(s);
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
        s[--n] = '\0';
}

void dlc_dbc_err_set(dlc_dbc_err *e, const char *state, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->msg, sizeof e->msg, fmt, ap);
    va_end(ap);
    trim_to_line(e->msg);
    snprintf(e->state, sizeof e->state, "%s", state ? state : "");
}

void dlc_dbc_err_export(const dlc_dbc_err *e, char sqlstate[6], char *errbuf, size_t errlen)
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
dlc_db_rc dlc_dbc_judge_error(PGconn *conn, const PGresult *res, dlc_dbc_err *e)
{
    const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    char text[sizeof e->msg];
    dlc_db_error_text(conn, res, text, sizeof text);
    dlc_dbc_err_set(e, state, "%s", text);
    if (PQstatus(conn) == CONNECTION_BAD || state_means_unavailable(state))
        return DLC_DB_UNAVAILABLE;
    if (state && strcmp(state, "57014") == 0) /* statement_timeout */
        return DLC_DB_TIMEOUT;
    return DLC_DB_ERROR;
}

/* Hands a successful result to out (or frees it); classifies the rest. */
dlc_db_rc dlc_dbc_judge(PGconn *conn, PGresult *res, PGresult **out, dlc_dbc_err *e)
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
        rc = dlc_dbc_judge_error(conn, res, e);
    else /* e.g. COPY: registered statements must not start one */
        dlc_dbc_err_set(e, "XX000", "unexpected result status %s", PQresStatus(st));
    PQclear(res);
    return rc;
}

/* 1: ready, 0: the deadline passed, -1: cannot wait. In a fiber this
 * suspends the fiber, not the thread (common/loop). */
int dlc_dbc_wait(int fd, short events, int64_t deadline_ms)
{
    return dlc_loop_wait_fd(fd, events, deadline_ms);
}

/* Sends what is queued and reads until PQgetResult will not block. */
static dlc_db_rc await_result(PGconn *conn, int64_t deadline_ms, dlc_dbc_err *e)
{
    for (;;) {
        int pending = PQflush(conn);
        if (pending < 0)
            return dlc_dbc_judge_error(conn, NULL, e);
        if (pending == 0 && !PQisBusy(conn))
            return DLC_DB_OK;
        short events = POLLIN | (pending ? POLLOUT : 0);
        int w = dlc_dbc_wait(PQsocket(conn), events, deadline_ms);
        if (w == 0) {
            dlc_dbc_err_set(e, NULL, "deadline exceeded");
            return DLC_DB_TIMEOUT;
        }
        if (w < 0 || !PQconsumeInput(conn))
            return dlc_dbc_judge_error(conn, NULL, e);
    }
}

/* Collects the results of the command just sent; out gets the first
 * failure, or else the last result. */
dlc_db_rc dlc_dbc_collect(PGconn *conn, int64_t deadline_ms, PGresult **out, dlc_dbc_err *e)
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
        return dlc_dbc_judge_error(conn, NULL, e);
    *out = kept;
    return DLC_DB_OK;
}

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

static dlc_db_rc poll_connect(PGconn *conn, int64_t deadline_ms, dlc_dbc_err *e)
{
    PostgresPollingStatusType st = PGRES_POLLING_WRITING; /* as libpq prescribes */
    while (st != PGRES_POLLING_OK) {
        if (st == PGRES_POLLING_FAILED || PQstatus(conn) == CONNECTION_BAD)
            return dlc_dbc_judge_error(conn, NULL, e);
        short events = st == PGRES_POLLING_READING ? POLLIN : POLLOUT;
        int w = dlc_dbc_wait(PQsocket(conn), events, deadline_ms);
        if (w == 0) {
            dlc_dbc_err_set(e, NULL, "connect: deadline exceeded");
            return DLC_DB_UNAVAILABLE;
        }
        if (w < 0)
            return dlc_dbc_judge_error(conn, NULL, e);
        st = PQconnectPoll(conn);
    }
    return DLC_DB_OK;
}

/* libpq quotes a malformed database.url in its errors, password included:
 * such messages are replaced before anyone can log them. */
static void scrub_url_secrets(const dlc_db_params *p, dlc_dbc_err *e)
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
        dlc_dbc_err_set(e, NULL,
                "cannot use database.url (details withheld: they may contain the password)");
}

/* Connects with the session settings within the deadline. */
dlc_db_rc dlc_dbc_open(const dlc_db_params *p, const char *hostaddr, int64_t deadline_ms,
                           PGconn **out, dlc_dbc_err *e)
{
    conn_kv kv;
    kv_build(&kv, p, hostaddr);
    PGconn *conn = PQconnectStartParams(kv.keys, kv.vals, kv.expand_dbname);
    if (!conn) {
        dlc_dbc_err_set(e, NULL, "out of memory");
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

dlc_db_rc dlc_dbc_prepare(PGconn *conn, const dlc_db_stmt *stmts, size_t n, int64_t deadline_ms,
                          dlc_dbc_err *e)
{
    for (size_t i = 0; i < n; i++) {
        const dlc_db_stmt *s = &stmts[i];
        PGresult *res = NULL;
        dlc_db_rc rc = PQsendPrepare(conn, s->name, s->sql, 0, NULL)
                           ? dlc_dbc_collect(conn, deadline_ms, &res, e)
                           : dlc_dbc_judge_error(conn, NULL, e);
        if (rc == DLC_DB_OK)
            rc = dlc_dbc_judge(conn, res, NULL, e);
        if (rc != DLC_DB_OK) {
            dlc_dbc_err why = *e;
            dlc_dbc_err_set(e, why.state, "prepare %s: %s", s->name, why.msg);
            return rc;
        }
    }
    return DLC_DB_OK;
}

/* An idle connection learns of a server shutdown or restart only when it
 * reads: the goodbye (57P01) and the EOF arrive while we are not looking.
 * Reading what is pending now lets us reconnect instead of failing the
 * caller's request. Bounded: an idle session receives next to nothing. */
bool dlc_dbc_idle_alive(PGconn *conn)
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

dlc_conn *dlc_db_connect_blocking(const dlc_db_params *params, char *errbuf, size_t errlen)
{
    dlc_dbc_err e = {"", ""};
    PGconn *conn = NULL;
    if (dlc_dbc_open(params, NULL, dlc_clock_mono_ms() + BLOCKING_CONNECT_MS, &conn, &e) != DLC_DB_OK)
        dlc_dbc_err_export(&e, NULL, errbuf, errlen);
    return conn;
}

void dlc_db_disconnect(dlc_conn *conn)
{
    PQfinish(conn);
}

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
void dlc_dbc_resolve(const char *host, char *out, size_t len)
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
