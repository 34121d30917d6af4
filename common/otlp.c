/* dlc_otlp: spans → bounded queue → a thread POSTing OTLP/HTTP JSON batches. */
#include "common/otlp.h"

#include "common/log.h"

#include <errno.h>
#include <jansson.h>
#include <netdb.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#define QUEUE_MAX 4096      /* spans waiting; more are dropped */
#define BATCH_MAX 512       /* spans in one POST */
#define FLUSH_EVERY_MS 1000 /* a partial batch waits at most this long */
#define IO_TIMEOUT_MS 2000  /* connect, send and receive, each */
#define REPLY_MAX 65536     /* of a collector's answer, read and ignored */

struct dlc_otlp {
    char *service;
    char host[256], port[8], path[512]; /* path: "/…/v1/traces" */
    pthread_mutex_t mu;
    pthread_cond_t cv;
    json_t *queue[QUEUE_MAX]; /* a ring of encoded spans, owned */
    size_t head, count;
    bool stopping;
    atomic_ullong dropped;
    uint64_t dropped_logged; /* exporter thread only */
    pthread_t thread;
};

/* ---- encoding ------------------------------------------------------------ */

static json_t *attr_json(const dlc_otlp_attr *a)
{
    json_t *v;
    if (a->str) {
        v = json_pack("{s:s}", "stringValue", a->str);
    } else {
        char n[24];
        snprintf(n, sizeof n, "%lld", (long long)a->num);
        v = json_pack("{s:s}", "intValue", n);
    }
    return json_pack("{s:s,s:o}", "key", a->key, "value", v);
}

static json_t *span_json(const dlc_otlp_span *s)
{
    char start[24], end[24];
    snprintf(start, sizeof start, "%lld", (long long)s->ctx->start_ns);
    snprintf(end, sizeof end, "%lld", (long long)s->end_ns);
    json_t *attrs = json_array();
    for (size_t i = 0; i < s->n_attrs; i++)
        json_array_append_new(attrs, attr_json(&s->attrs[i]));
    json_t *status =
        s->error ? json_pack("{s:i,s:s}", "code", 2, "message", s->message ? s->message : "")
                 : json_object();
    json_t *j =
        json_pack("{s:s,s:s,s:s,s:i,s:s,s:s,s:o,s:o}", "traceId", s->ctx->trace_id, "spanId",
                  s->ctx->span_id, "name", s->name, "kind", (int)s->kind, "startTimeUnixNano",
                  start, "endTimeUnixNano", end, "attributes", attrs, "status", status);
    if (j && s->ctx->parent_span_id[0])
        json_object_set_new(j, "parentSpanId", json_string(s->ctx->parent_span_id));
    return j;
}

/* The request body for spans (stolen). */
static char *batch_body(const char *service, json_t *spans)
{
    json_t *doc = json_pack("{s:[{s:{s:[{s:s,s:{s:s}}]},s:[{s:{s:s},s:o}]}]}", "resourceSpans",
                            "resource", "attributes", "key", "service.name", "value", "stringValue",
                            service, "scopeSpans", "scope", "name", "dlc", "spans", spans);
    char *body = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
    json_decref(doc);
    return body;
}

/* ---- HTTP ----------------------------------------------------------------- */

/* "http://host[:port][/base]" → host, port, base + "/v1/traces". */
static int parse_endpoint(dlc_otlp *x, const char *endpoint, char *err, size_t errlen)
{
    /* no spaces or control characters: they would end up in the request line */
    for (const char *c = endpoint; *c; c++) {
        if ((unsigned char)*c <= ' ' || *c == 0x7f) {
            snprintf(err, errlen, "telemetry.endpoint: spaces or control characters in it");
            return -1;
        }
    }
    const char *p = strncmp(endpoint, "http://", 7) == 0 ? endpoint + 7 : NULL;
    size_t hostlen = p ? strcspn(p, ":/") : 0;
    if (!p || hostlen == 0 || hostlen >= sizeof x->host) {
        snprintf(err, errlen, "telemetry.endpoint: expected http://HOST[:PORT][/PATH], got %.200s",
                 endpoint);
        return -1;
    }
    snprintf(x->host, sizeof x->host, "%.*s", (int)hostlen, p);
    p += hostlen;
    size_t portlen = *p == ':' ? strcspn(p + 1, "/") : 0;
    if (*p == ':' &&
        (portlen == 0 || portlen >= sizeof x->port || strspn(p + 1, "0123456789") != portlen)) {
        snprintf(err, errlen, "telemetry.endpoint: bad port in %.200s", endpoint);
        return -1;
    }
    snprintf(x->port, sizeof x->port, "%.*s", (int)portlen, portlen ? p + 1 : "80");
    p += portlen ? portlen + 1 : 0;
    size_t baselen = strlen(p);
    while (baselen > 0 && p[baselen - 1] == '/')
        baselen--;
    snprintf(x->path, sizeof x->path, "%.*s/v1/traces", (int)baselen, p);
    return 0;
}

static int connect_to(const dlc_otlp *x)
{
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *res = NULL;
    if (getaddrinfo(x->host, x->port, &hints, &res) != 0)
        return -1;
    int fd = -1;
    struct timeval tv = {IO_TIMEOUT_MS / 1000, IO_TIMEOUT_MS % 1000 * 1000};
    for (struct addrinfo *a = res; a && fd < 0; a = a->ai_next) {
        fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
        if (fd < 0)
            continue;
        /* Linux bounds connect(2) by SO_SNDTIMEO too */
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        if (connect(fd, a->ai_addr, a->ai_addrlen) != 0) {
            close(fd);
            fd = -1;
        }
    }
    freeaddrinfo(res);
    return fd;
}

static int send_all(int fd, const char *buf, size_t len)
{
    while (len > 0) {
        ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        buf += n;
        len -= (size_t)n;
    }
    return 0;
}

/* The status of the answer on fd, read to its end (Connection: close; a
 * socket closed with unread data would reset the collector's reply). */
static int read_status(int fd)
{
    char buf[4096];
    int status = -1;
    size_t total = 0;
    ssize_t got;
    while (total < REPLY_MAX && (got = recv(fd, buf, sizeof buf - 1, 0)) > 0) {
        buf[got] = '\0';
        if (total == 0 && sscanf(buf, "HTTP/1.%*d %d", &status) != 1)
            return -1;
        total += (size_t)got;
    }
    return status;
}

/* POSTs body; the HTTP status, or -1 when none came back. */
static int post(const dlc_otlp *x, const char *body)
{
    int fd = connect_to(x);
    if (fd < 0)
        return -1;
    char head[1024];
    size_t len = strlen(body);
    int n = snprintf(head, sizeof head,
                     "POST %s HTTP/1.1\r\nHost: %s:%s\r\nContent-Type: application/json\r\n"
                     "Content-Length: %zu\r\nConnection: close\r\n\r\n",
                     x->path, x->host, x->port, len);
    int status = -1;
    if (send_all(fd, head, (size_t)n) == 0 && send_all(fd, body, len) == 0)
        status = read_status(fd);
    close(fd);
    return status;
}

/* ---- the queue and its thread ------------------------------------------------ */

void dlc_otlp_submit(dlc_otlp *x, const dlc_otlp_span *span)
{
    json_t *j = span_json(span);
    if (!j)
        return;
    pthread_mutex_lock(&x->mu);
    bool room = x->count < QUEUE_MAX && !x->stopping;
    if (room) {
        x->queue[(x->head + x->count) % QUEUE_MAX] = j;
        if (++x->count == BATCH_MAX)
            pthread_cond_signal(&x->cv);
    }
    pthread_mutex_unlock(&x->mu);
    if (!room) {
        atomic_fetch_add(&x->dropped, 1);
        json_decref(j);
    }
}

uint64_t dlc_otlp_dropped(dlc_otlp *x)
{
    return atomic_load(&x->dropped);
}

/* Takes up to BATCH_MAX spans off the queue (x->mu held). */
static json_t *take_batch(dlc_otlp *x)
{
    json_t *spans = json_array();
    while (x->count > 0 && json_array_size(spans) < BATCH_MAX) {
        json_array_append_new(spans, x->queue[x->head]);
        x->head = (x->head + 1) % QUEUE_MAX;
        x->count--;
    }
    return spans;
}

/* Posts spans (stolen); false when the collector did not take them. */
static bool export_batch(dlc_otlp *x, json_t *spans)
{
    static dlc_log_limit limit;
    size_t n = json_array_size(spans);
    char *body = batch_body(x->service, spans);
    int status = body ? post(x, body) : -1;
    free(body);
    int held;
    if ((status < 200 || status > 299) && dlc_log_limit_take(&limit, 1, &held)) {
        char st[16], count[24];
        snprintf(st, sizeof st, "%d", status);
        snprintf(count, sizeof count, "%zu", n);
        dlc_log_warn("span export failed", "status", st, "spans", count, "path", x->path);
    }
    uint64_t dropped = atomic_load(&x->dropped);
    if (dropped != x->dropped_logged) {
        char d[24];
        snprintf(d, sizeof d, "%llu", (unsigned long long)(dropped - x->dropped_logged));
        dlc_log_warn("spans dropped: export queue full", "dropped", d);
        x->dropped_logged = dropped;
    }
    return status >= 200 && status <= 299;
}

/* At stop, after a failed post: what is left is dropped, not retried
 * batch after batch against a collector that is down (mu held). */
static void discard_queue(dlc_otlp *x)
{
    for (; x->count > 0; x->count--) {
        json_decref(x->queue[x->head]);
        x->head = (x->head + 1) % QUEUE_MAX;
    }
}

/* Waits until a batch is full, FLUSH_EVERY_MS passed or a stop (mu held). */
static void wait_for_work(dlc_otlp *x)
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += FLUSH_EVERY_MS / 1000;
    until.tv_nsec += FLUSH_EVERY_MS % 1000 * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    while (!x->stopping && x->count < BATCH_MAX &&
           pthread_cond_timedwait(&x->cv, &x->mu, &until) == 0)
        ;
}

static void *exporter(void *arg)
{
    dlc_otlp *x = arg;
    pthread_mutex_lock(&x->mu);
    for (;;) {
        bool last = x->stopping;
        if (!last)
            wait_for_work(x);
        while (x->count > 0) {
            json_t *spans = take_batch(x);
            pthread_mutex_unlock(&x->mu);
            bool sent = export_batch(x, spans);
            pthread_mutex_lock(&x->mu);
            if (!sent && x->stopping)
                discard_queue(x);
        }
        if (last)
            break;
    }
    pthread_mutex_unlock(&x->mu);
    return NULL;
}

dlc_otlp *dlc_otlp_start(const char *service, const char *endpoint, char *err, size_t errlen)
{
    dlc_otlp *x = calloc(1, sizeof *x);
    if (!x || !(x->service = strdup(service))) {
        free(x);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    if (parse_endpoint(x, endpoint, err, errlen) != 0) {
        free(x->service);
        free(x);
        return NULL;
    }
    pthread_mutex_init(&x->mu, NULL);
    pthread_cond_init(&x->cv, NULL);
    if (pthread_create(&x->thread, NULL, exporter, x) != 0) {
        snprintf(err, errlen, "cannot start the span exporter thread");
        pthread_cond_destroy(&x->cv);
        pthread_mutex_destroy(&x->mu);
        free(x->service);
        free(x);
        return NULL;
    }
    return x;
}

void dlc_otlp_stop(dlc_otlp *x)
{
    if (!x)
        return;
    pthread_mutex_lock(&x->mu);
    x->stopping = true;
    pthread_cond_signal(&x->cv);
    pthread_mutex_unlock(&x->mu);
    pthread_join(x->thread, NULL);
    pthread_cond_destroy(&x->cv);
    pthread_mutex_destroy(&x->mu);
    free(x->service);
    free(x);
}
