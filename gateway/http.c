/*
 * dlc_http: civetweb underneath — keep-alive, tcp_nodelay, bounded bodies
 * and timeouts, each answer written in one write — turned into plain
 * request/response structs for the gateway and the core's admin listener.
 */
#include "gateway/http.h"

#include "common/clock.h"

#include "common/log.h"
#include "common/request_id.h"

#include <arpa/inet.h>
#include <civetweb.h>
#include <dirent.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

struct dlc_http {
    struct mg_context *ctx;
    dlc_http_opts opts;
    atomic_int in_flight;
};

/* "OK", "Not Found", … */
static const char *reason_phrase(int status)
{
    switch (status) {
    case 200: return "OK";
    case 201: return "Created";
    case 204: return "No Content";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 413: return "Content Too Large";
    case 415: return "Unsupported Media Type";
    case 422: return "Unprocessable Content";
    case 429: return "Too Many Requests";
    case 499: return "Client Closed Request";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    default: return "Unknown";
    }
}

const char *dlc_http_header(const dlc_http_request *rq, const char *name)
{
    return mg_get_header(rq->conn, name);
}

void dlc_http_add_header(dlc_http_response *rs, const char *name, const char *value)
{
    size_t room = sizeof rs->headers - rs->headers_len;
    int n = snprintf(rs->headers + rs->headers_len, room, "%s: %s\r\n", name, value);
    if (n > 0 && (size_t)n < room)
        rs->headers_len += (size_t)n;
    else
        dlc_log_error("response header dropped", "name", name);
}

void dlc_http_set_json(dlc_http_response *rs, int status, json_t *j)
{
    free(rs->body);
    rs->status = status;
    rs->content_type = "application/json";
    rs->body = j ? json_dumps(j, JSON_COMPACT) : NULL;
    if (!rs->body && status >= 400) /* an error always says something */
        rs->body = strdup("{\"error\":\"internal\",\"message\":\"the answer could not be encoded\"}");
    rs->body_len = rs->body ? strlen(rs->body) : 0;
    json_decref(j);
}

void dlc_http_set_text(dlc_http_response *rs, int status, const char *text)
{
    free(rs->body);
    rs->status = status;
    rs->content_type = "text/plain; charset=utf-8";
    rs->body = strdup(text);
    rs->body_len = rs->body ? strlen(rs->body) : 0;
}

void dlc_http_set_body(dlc_http_response *rs, int status, const char *content_type, char *body,
                       size_t len)
{
    free(rs->body);
    rs->status = status;
    rs->content_type = content_type;
    rs->body = body;
    rs->body_len = body ? len : 0;
}

/* Writes the whole response with one mg_write. */
static void send_response(struct mg_connection *conn, const char *request_id,
                          const dlc_http_response *rs, bool head_only)
{
    char head[2048], content[256] = ""; /* a 204 has no content headers (RFC 9110) */
    if (rs->status != 204)
        snprintf(content, sizeof content, "Content-Type: %s\r\nContent-Length: %zu\r\n",
                 rs->content_type ? rs->content_type : "application/json", rs->body_len);
    int n = snprintf(head, sizeof head,
                     "HTTP/1.1 %d %s\r\n%sX-Request-ID: %s\r\nX-Content-Type-Options: nosniff\r\n"
                     "%s%.*s\r\n",
                     rs->status, reason_phrase(rs->status), content, request_id,
                     rs->close ? "Connection: close\r\n" : "", (int)rs->headers_len,
                     rs->headers);
    if (n < 0 || (size_t)n >= sizeof head)
        return;
    size_t body_len = head_only ? 0 : rs->body_len;
    size_t total = (size_t)n + body_len;
    char *buf = malloc(total);
    if (!buf)
        return;
    memcpy(buf, head, (size_t)n);
    if (body_len)
        memcpy(buf + n, rs->body, body_len);
    mg_write(conn, buf, total);
    free(buf);
}

/* mg_read returns only once it has every byte asked for (or the client
 * went quiet for request_timeout_ms), so the body is read in chunks that
 * grow while they come fast and start small again when they do not: the
 * deadline is checked between them, and a client feeding a byte a second
 * holds a worker thread about CHUNK_MIN seconds past it at most. */
#define CHUNK_MIN 16
#define CHUNK_MAX 16384
#define FAST_READ_MS 10

/* Reads the body; 0, or the HTTP status to answer with (413, 400, 408:
 * not all there before deadline_ms). */
static int read_body(struct mg_connection *conn, const struct mg_request_info *ri, int64_t max,
                     int64_t deadline_ms, char **body, size_t *len)
{
    *body = NULL;
    *len = 0;
    if (ri->content_length > max)
        return 413;
    size_t cap = ri->content_length >= 0 ? (size_t)ri->content_length : 4096;
    size_t chunk = CHUNK_MIN;
    char *buf = malloc(cap + 1);
    for (;;) {
        if (!buf)
            return 500;
        if (*len == cap) {
            if (ri->content_length >= 0 || (int64_t)cap >= max + 1)
                break;
            cap = (int64_t)(cap * 2) > max + 1 ? (size_t)max + 1 : cap * 2;
            char *grown = realloc(buf, cap + 1);
            if (!grown)
                free(buf);
            buf = grown;
            continue;
        }
        if (dlc_clock_mono_ms() > deadline_ms) {
            free(buf);
            return 408;
        }
        size_t want = cap - *len < chunk ? cap - *len : chunk;
        int64_t t0 = dlc_clock_mono_ms();
        int n = mg_read(conn, buf + *len, want);
        if (n <= 0)
            break;
        *len += (size_t)n;
        chunk = dlc_clock_mono_ms() - t0 <= FAST_READ_MS && chunk < CHUNK_MAX ? chunk * 2 : CHUNK_MIN;
    }
    buf[*len] = '\0';
    *body = buf;
    if ((int64_t)*len > max)
        return 413;
    if (ri->content_length >= 0 && (int64_t)*len != ri->content_length)
        return 400; /* the client sent less than it announced */
    return 0;
}

/* The answer to a request whose body could not be read. */
static json_t *early_error(int status)
{
    const char *error = status == 413   ? "payload_too_large"
                        : status == 408 ? "request_timeout"
                                        : "invalid_argument";
    const char *message = status == 413   ? "request body exceeds server.max_body_bytes"
                          : status == 408 ? "request body not received within server.request_timeout"
                                          : "incomplete request body";
    return json_pack("{s:s,s:s}", "error", error, "message", message);
}

static int port_of(const struct sockaddr_storage *sa)
{
    return ntohs(sa->ss_family == AF_INET6 ? ((const struct sockaddr_in6 *)sa)->sin6_port
                                           : ((const struct sockaddr_in *)sa)->sin_port);
}

/* The socket of conn: civetweb 1.15 does not say which it is, so it is
 * found among the process's descriptors by its two ends. -1 if none. */
static int socket_of(const struct mg_request_info *ri)
{
    DIR *d = opendir("/proc/self/fd");
    int found = -1;
    for (struct dirent *e; d && found < 0 && (e = readdir(d));) {
        int fd = atoi(e->d_name);
        struct sockaddr_storage local, peer;
        socklen_t ll = sizeof local, pl = sizeof peer;
        char addr[INET6_ADDRSTRLEN] = "";
        if (fd <= 2 || fd == dirfd(d) || getsockname(fd, (struct sockaddr *)&local, &ll) != 0 ||
            getpeername(fd, (struct sockaddr *)&peer, &pl) != 0 || port_of(&local) != ri->server_port ||
            port_of(&peer) != ri->remote_port)
            continue;
        const void *a = peer.ss_family == AF_INET6
                            ? (const void *)&((struct sockaddr_in6 *)&peer)->sin6_addr
                            : (const void *)&((struct sockaddr_in *)&peer)->sin_addr;
        if (inet_ntop(peer.ss_family, a, addr, sizeof addr) && strcmp(addr, ri->remote_addr) == 0)
            found = fd;
    }
    if (d)
        closedir(d);
    return found;
}

/* After an answer that refuses the body (413, 408, 400), the connection is
 * closed for real: civetweb 1.15 would otherwise read and discard the rest
 * of the body first, at whatever pace the client sends it (its must_close
 * flag is not public), or keep the connection for another request. The
 * socket's reading side is shut, so that civetweb reads end of file at
 * once, and the request's Connection header is made "close", so that it
 * closes. */
static void close_for_real(struct mg_connection *conn)
{
    struct mg_request_info *ri = (struct mg_request_info *)mg_get_request_info(conn);
    int fd = socket_of(ri);
    if (fd >= 0)
        shutdown(fd, SHUT_RD);
    for (int i = 0; i < ri->num_headers; i++) {
        if (strcasecmp(ri->http_headers[i].name, "Connection") == 0) {
            ri->http_headers[i].value = "close";
            return;
        }
    }
    if (ri->num_headers < (int)(sizeof ri->http_headers / sizeof ri->http_headers[0]))
        ri->http_headers[ri->num_headers++] = (struct mg_header){"Connection", "close"};
}

static void split_uri(const struct mg_request_info *ri, char *path, size_t len)
{
    snprintf(path, len, "%s", ri->local_uri_raw ? ri->local_uri_raw : ri->request_uri);
}

static int on_request(struct mg_connection *conn, void *cbdata)
{
    dlc_http *h = cbdata;
    const struct mg_request_info *ri = mg_get_request_info(conn);
    atomic_fetch_add(&h->in_flight, 1);
    int64_t t0 = dlc_clock_mono_us();
    char id[33], path[4096];
    const char *rid = mg_get_header(conn, "X-Request-ID");
    if (!dlc_request_id_ok(rid)) {
        dlc_request_id_new(id);
        rid = id;
    }
    split_uri(ri, path, sizeof path);
    dlc_http_response rs = {.status = 500};
    char *body;
    size_t body_len;
    int early = read_body(conn, ri, h->opts.max_body_bytes,
                          dlc_clock_mono_ms() + h->opts.request_timeout_ms, &body, &body_len);
    /* RFC 9110: HEAD is GET without the body. */
    bool head_only = strcmp(ri->request_method, "HEAD") == 0;
    dlc_http_request rq = {head_only ? "GET" : ri->request_method, path,
                           ri->query_string ? ri->query_string : "", body ? body : "", body_len,
                           ri->remote_addr, rid, conn, NULL};
    if (early) {
        rs.close = true;
        dlc_http_set_json(&rs, early, early_error(early));
    } else {
        h->opts.handler(h->opts.app, &rq, &rs);
    }
    send_response(conn, rid, &rs, head_only);
    if (early)
        close_for_real(conn);
    if (h->opts.done)
        h->opts.done(h->opts.app, &rq, &rs, dlc_clock_mono_us() - t0);
    free(rs.body);
    free(body);
    atomic_fetch_sub(&h->in_flight, 1);
    return rs.status;
}

static int quiet_log(const struct mg_connection *conn, const char *message)
{
    (void)conn;
    dlc_log_warn("civetweb", "detail", message);
    return 1;
}

dlc_http *dlc_http_start(const dlc_http_opts *opts, char *err, size_t errlen)
{
    dlc_http *h = calloc(1, sizeof *h);
    if (!h) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    h->opts = *opts;
    char threads[16], timeout[24];
    snprintf(threads, sizeof threads, "%d", opts->threads);
    snprintf(timeout, sizeof timeout, "%lld", (long long)opts->request_timeout_ms);
    const char *options[] = {"listening_ports", opts->listen, "num_threads", threads,
                             "enable_keep_alive", "yes", "tcp_nodelay", "1",
                             "request_timeout_ms", timeout, "keep_alive_timeout_ms", "5000",
                             "max_request_size", "8192",
                             /* the router splits the path before it decodes */
                             "decode_url", "no", NULL};
    struct mg_callbacks cb = {.log_message = quiet_log};
    mg_init_library(0);
    h->ctx = mg_start(&cb, h, options);
    if (!h->ctx) {
        snprintf(err, errlen, "cannot listen on %s", opts->listen);
        free(h);
        return NULL;
    }
    mg_set_request_handler(h->ctx, "/", on_request, h);
    return h;
}

int dlc_http_port(const dlc_http *h)
{
    struct mg_server_port ports[4];
    int n = mg_get_server_ports(h->ctx, 4, ports);
    return n > 0 ? ports[0].port : -1;
}

int dlc_http_in_flight(const dlc_http *h)
{
    return atomic_load(&h->in_flight);
}

typedef struct {
    struct mg_context *ctx;
    atomic_bool done;
} stop_job;

static void *run_stop(void *arg)
{
    stop_job *job = arg;
    mg_stop(job->ctx);
    atomic_store(&job->done, true);
    return NULL;
}

/* A connection to our own port, to end the master thread's poll early. */
static void poke(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    if (fd >= 0) {
        connect(fd, (struct sockaddr *)&a, sizeof a);
        close(fd);
    }
}

/* civetweb 1.15's master thread polls the listening sockets in 2 s quanta
 * before it sees the stop flag; a connection wakes it at once. (The poke
 * reaches loopback listeners only; others stop within the quantum.) */
void dlc_http_stop(dlc_http *h)
{
    int port = dlc_http_port(h);
    stop_job job = {h->ctx, false};
    pthread_t t;
    if (pthread_create(&t, NULL, run_stop, &job) != 0) {
        mg_stop(h->ctx);
    } else {
        while (!atomic_load(&job.done)) {
            poke(port);
            struct timespec ts = {0, 10 * 1000000L};
            nanosleep(&ts, NULL);
        }
        pthread_join(t, NULL);
    }
    free(h);
}
