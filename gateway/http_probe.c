/*
 * The gateway's health probe (http_probe.h), on civetweb's client side:
 * connect, one request with Connection: close, read the status line.
 */
#include "gateway/http_probe.h"

#include <civetweb.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    char host[256];
    int port;
    const char *path; /* into the URL */
} target;

/* http://HOST:PORT/PATH → t; false when url has another shape. */
static bool parse_url(const char *url, target *t)
{
    static const char scheme[] = "http://";
    if (strncmp(url, scheme, sizeof scheme - 1) != 0)
        return false;
    const char *host = url + sizeof scheme - 1;
    const char *colon = strchr(host, ':');
    t->path = strchr(host, '/');
    if (!colon || !t->path || colon > t->path || (size_t)(colon - host) >= sizeof t->host ||
        colon == host)
        return false;
    memcpy(t->host, host, (size_t)(colon - host));
    t->host[colon - host] = '\0';
    char *end;
    long port = strtol(colon + 1, &end, 10);
    t->port = (int)port;
    return end == t->path && port > 0 && port < 65536;
}

int dlc_http_probe(const char *url, int timeout_ms, FILE *out)
{
    target t;
    if (!parse_url(url, &t)) {
        fprintf(out, "bad URL %s (want http://HOST:PORT/PATH)\n", url);
        return 2;
    }
    char err[256] = "";
    mg_init_library(0);
    struct mg_connection *c = mg_connect_client(t.host, t.port, 0, err, sizeof err);
    if (!c) {
        fprintf(out, "UNAVAILABLE %s: %s\n", url, err[0] ? err : "cannot connect");
        return 1;
    }
    mg_printf(c, "GET %s HTTP/1.1\r\nHost: %s:%d\r\nConnection: close\r\n\r\n", t.path, t.host,
              t.port);
    int rc = 1;
    if (mg_get_response(c, err, sizeof err, timeout_ms) < 0) {
        fprintf(out, "UNAVAILABLE %s: %s\n", url, err[0] ? err : "no answer");
    } else {
        int status = mg_get_response_info(c)->status_code;
        rc = status >= 200 && status < 300 ? 0 : 1;
        fprintf(out, "%d %s\n", status, url);
    }
    mg_close_connection(c);
    return rc;
}
