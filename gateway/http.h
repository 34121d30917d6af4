/*
 * dlc_http: the civetweb glue. One catch-all handler captures a request
 * (method, raw path, query, headers, body within server.max_body_bytes)
 * and hands it to the application, which fills a dlc_http_response; the
 * glue then writes status line, headers and body with ONE mg_write (with
 * keep-alive and tcp_nodelay, several writes stall on delayed ACKs).
 *
 * Request ids: X-Request-ID is taken from the client when it is 1–128
 * printable ASCII characters, else generated; every response carries it.
 * Bodies over the limit get 413 before they are read, and the connection
 * closes (the unread rest cannot be skipped safely).
 */
#ifndef DLC_HTTP_H
#define DLC_HTTP_H

#include "common/trace.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct {
    const char *method;
    const char *path;  /* without the query; percent-encoding as received */
    const char *query; /* after '?', or "" */
    const char *body;  /* NUL-terminated; body_len bytes */
    size_t body_len;
    const char *remote_addr;
    const char *request_id;
    void *conn; /* civetweb connection, for dlc_http_header */
    const dlc_trace_ctx *trace;         /* the gateway's span (gateway/http_trace.h), or NULL */
} dlc_http_request;

typedef struct {
    int status;
    const char *content_type; /* NULL → application/json */
    char *body;               /* malloc'd; freed by the glue */
    size_t body_len;
    char headers[1024];       /* extra "Name: value\r\n" lines */
    size_t headers_len;
    bool close;               /* ask the client to close the connection */
    int route;                /* for logs and metrics: the application's route + 1; 0: none */
    char user_id[24];         /* for the access log: the caller's user id, or "" */
    char trace_id[33];        /* for the access log: the request's trace, or "" */
    char span_id[17];
} dlc_http_response;

typedef void (*dlc_http_handler)(void *app, const dlc_http_request *rq, dlc_http_response *rs);

typedef struct {
    const char *listen; /* "0.0.0.0:8080", "127.0.0.1:0" */
    int threads;
    int64_t max_body_bytes;
    int64_t request_timeout_ms;
    dlc_http_handler handler;
    void *app;
    /* Called once the response is written (access log, metrics), with the
     * time from the request's arrival in microseconds; NULL: none. */
    void (*done)(void *app, const dlc_http_request *rq, const dlc_http_response *rs, int64_t us);
} dlc_http_opts;

typedef struct dlc_http dlc_http;

/* Starts listening. NULL with err filled on failure. */
dlc_http *dlc_http_start(const dlc_http_opts *opts, char *err, size_t errlen);
/* The port actually bound (useful with port 0). */
int dlc_http_port(const dlc_http *h);
/* Requests being handled right now. */
int dlc_http_in_flight(const dlc_http *h);
/* Stops accepting, closes connections, joins the threads, frees h. */
void dlc_http_stop(dlc_http *h);

/* A request header (case-insensitive), or NULL. */
const char *dlc_http_header(const dlc_http_request *rq, const char *name);

/* Response helpers. The body setters take ownership of what they are given. */
void dlc_http_add_header(dlc_http_response *rs, const char *name, const char *value);
/* Status + compact JSON of j (json_decref'd here). */
void dlc_http_set_json(dlc_http_response *rs, int status, json_t *j);
void dlc_http_set_text(dlc_http_response *rs, int status, const char *text);
/* Status, content type (borrowed, static) and a malloc'd body (taken). */
void dlc_http_set_body(dlc_http_response *rs, int status, const char *content_type, char *body,
                       size_t len);

#endif
