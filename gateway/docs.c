/*
 * dlc_docs: /api/openapi.json, /api/docs and its files. The page is a few
 * lines of HTML here; Swagger UI itself (swagger-ui-dist, from npm) is read
 * from server.docs_dir on each request, and only the files the page needs
 * are served (no path from the URL ever reaches the file system).
 */
#include "gateway/docs.h"

#include "gateway/errors.h"
#include "gateway/openapi.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef DLC_DOCS_DIR
#define DLC_DOCS_DIR "/usr/share/dlc/swagger-ui-dist"
#endif

/* Bigger than swagger-ui-bundle.js (about 1.5 MB). */
#define MAX_ASSET_BYTES (8L * 1024 * 1024)

int dlc_docs_init(dlc_gateway *gw, char *err, size_t errlen)
{
    json_t *doc = dlc_openapi_build(gw->endpoints, gw->n_endpoints, err, errlen);
    gw->openapi = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
    json_decref(doc);
    if (doc && !gw->openapi)
        snprintf(err, errlen, "openapi: out of memory");
    return gw->openapi ? 0 : -1;
}

static void set_body(dlc_http_response *rs, const char *type, char *body, size_t len)
{
    free(rs->body);
    rs->status = 200;
    rs->content_type = type;
    rs->body = body;
    rs->body_len = len;
}

void dlc_docs_openapi(dlc_gateway *gw, const dlc_http_request *rq, const dlc_route_match *m,
                      dlc_http_response *rs)
{
    (void)rq, (void)m;
    char *copy = strdup(gw->openapi);
    set_body(rs, "application/json", copy, copy ? strlen(copy) : 0);
}

static const char PAGE[] =
    "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
    "<title>dlc REST API</title>\n"
    "<link rel=\"icon\" type=\"image/png\" href=\"/api/docs/favicon-32x32.png\">\n"
    "<link rel=\"stylesheet\" href=\"/api/docs/swagger-ui.css\">\n</head>\n<body>\n"
    "<div id=\"ui\"><noscript>The reference page needs JavaScript; the document is "
    "<a href=\"/api/openapi.json\">/api/openapi.json</a>.</noscript></div>\n"
    "<script src=\"/api/docs/swagger-ui-bundle.js\"></script>\n<script>\n"
    "window.ui = SwaggerUIBundle({url: \"/api/openapi.json\", dom_id: \"#ui\",\n"
    "  deepLinking: true, displayOperationId: true, docExpansion: \"list\"});\n"
    "</script>\n</body>\n</html>\n";

void dlc_docs_page(dlc_gateway *gw, const dlc_http_request *rq, const dlc_route_match *m,
                   dlc_http_response *rs)
{
    (void)gw, (void)rq, (void)m;
    char *copy = strdup(PAGE);
    set_body(rs, "text/html; charset=utf-8", copy, copy ? strlen(copy) : 0);
}

static const struct {
    const char *name, *type;
} ASSETS[] = {
    {"swagger-ui.css", "text/css; charset=utf-8"},
    {"swagger-ui-bundle.js", "text/javascript; charset=utf-8"},
    {"favicon-32x32.png", "image/png"},
    {"favicon-16x16.png", "image/png"},
};

/* The whole file, or NULL. Caller frees. */
static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    long size = -1;
    if (f && fseek(f, 0, SEEK_END) == 0 && (size = ftell(f)) >= 0 && size <= MAX_ASSET_BYTES &&
        fseek(f, 0, SEEK_SET) == 0 && (buf = malloc((size_t)size + 1)) &&
        fread(buf, 1, (size_t)size, f) != (size_t)size) {
        free(buf);
        buf = NULL;
    }
    if (f)
        fclose(f);
    *len = buf ? (size_t)size : 0;
    return buf;
}

static void not_found(dlc_http_response *rs, const char *message)
{
    dlc_status st;
    dlc_status_clear(&st);
    dlc_status_set(&st, DLC_NOT_FOUND, NULL, "%s", message);
    dlc_error_respond(rs, &st, false);
}

void dlc_docs_asset(dlc_gateway *gw, const dlc_http_request *rq, const dlc_route_match *m,
                    dlc_http_response *rs)
{
    (void)rq;
    const char *file = m->n_vars ? m->vars[0].value : "";
    size_t i = 0, n = sizeof ASSETS / sizeof ASSETS[0];
    while (i < n && strcmp(ASSETS[i].name, file) != 0)
        i++;
    if (i == n) {
        not_found(rs, "no such file of the reference page");
        return;
    }
    const char *dir = gw->cfg.server.docs_dir[0] ? gw->cfg.server.docs_dir : DLC_DOCS_DIR;
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, ASSETS[i].name);
    size_t len;
    char *body = read_file(path, &len);
    if (!body) {
        not_found(rs, "swagger-ui-dist is not installed in server.docs_dir "
                      "(scripts/webtools install puts it in build/npm)");
        return;
    }
    set_body(rs, ASSETS[i].type, body, len);
    dlc_http_add_header(rs, "Cache-Control", "public, max-age=3600");
}
