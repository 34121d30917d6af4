/*
 * dlc_bind: an RPC input message built from an HTTP request, the way
 * google.api.http binds one — the body (JSON, checked for its content type
 * and nesting depth before it is parsed), then the path variables, then the
 * query parameters (percent-decoded, for fields no path variable bound;
 * others are ignored). Also the value of one query parameter, for the
 * gateway's own routes.
 */
#include "gateway/bind.h"

#include "gateway/errors.h"
#include "gateway/percent.h"
#include "gateway/transcode.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

/* Decodes a query component in place ('+' is a space). -1 on bad escapes. */
static int query_decode(char *s)
{
    long n = dlc_percent_decode(s, strlen(s), s, true);
    if (n >= 0)
        s[n] = '\0';
    return n >= 0 ? 0 : -1;
}

/* Whether a query parameter is for us: it names a field of msg (by proto
 * name or lowerCamelCase) that no path variable bound. Others are ignored,
 * as grpc-gateway does, so clients' extra parameters (cache busters, …)
 * keep working. */
static bool query_applies(const ProtobufCMessage *msg, const char *name, const dlc_route_match *m)
{
    for (size_t i = 0; m && i < m->n_vars; i++) {
        if (strcmp(m->vars[i].name, name) == 0)
            return false;
    }
    char first[128];
    snprintf(first, sizeof first, "%.*s", (int)strcspn(name, "."), name);
    return dlc_transcode_find_field(msg->descriptor, first) != NULL;
}

static bool apply_query(ProtobufCMessage *msg, const char *query, const dlc_route_match *m,
                        dlc_arena *arena, dlc_status *st)
{
    char *copy = dlc_arena_strdup(arena, query);
    for (char *save = NULL, *pair = strtok_r(copy, "&", &save); pair;
         pair = strtok_r(NULL, "&", &save)) {
        char *eq = strchr(pair, '=');
        /* "?flag" has no value: the empty string at the pair's end, which
         * query_decode may write to (a literal "" it may not). */
        char *value = eq ? eq + 1 : pair + strlen(pair);
        if (eq)
            *eq = '\0';
        if (query_decode(pair) != 0 || query_decode(value) != 0) {
            dlc_status_set(st, DLC_INVALID_ARGUMENT, NULL, "malformed query string");
            dlc_status_violation(st, pair, "invalid percent-encoding");
            return false;
        }
        if (query_applies(msg, pair, m) && dlc_transcode_set_text(msg, pair, value, arena, st) != 0)
            return false;
    }
    return true;
}

static bool is_json_type(const char *ct)
{
    if (!ct)
        return true; /* lenient: clients that send JSON without saying so */
    size_t n = strcspn(ct, ";");
    while (n > 0 && ct[n - 1] == ' ')
        n--;
    return (n == 16 && strncasecmp(ct, "application/json", 16) == 0) ||
           (n > 5 && strncasecmp(ct + n - 5, "+json", 5) == 0);
}

/* jansson parses recursively and civetweb's threads have small stacks: a
 * body nested a thousand levels deep would overflow one. Our messages need
 * a handful of levels, so deeper input is refused before it is parsed. */
#define MAX_JSON_DEPTH 64

static bool too_deep(const char *s, size_t len)
{
    int depth = 0;
    bool in_string = false;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (in_string) {
            if (c == '\\')
                i++;
            else if (c == '"')
                in_string = false;
        } else if (c == '"') {
            in_string = true;
        } else if (c == '{' || c == '[') {
            if (++depth > MAX_JSON_DEPTH)
                return true;
        } else if (c == '}' || c == ']') {
            depth--;
        }
    }
    return false;
}

/* Merges the body into msg per the binding; false with rs answered. */
static bool apply_body(const dlc_http_request *rq, ProtobufCMessage *msg, const char *binding,
                       dlc_arena *arena, bool connect_style, dlc_http_response *rs)
{
    if (!binding || rq->body_len == 0)
        return true;
    if (!is_json_type(dlc_http_header(rq, "Content-Type"))) {
        dlc_error_unsupported_media_type(rs, connect_style);
        return false;
    }
    if (too_deep(rq->body, rq->body_len)) {
        dlc_error_invalid(rs, "body", "JSON nested too deeply", connect_style);
        return false;
    }
    json_error_t jerr;
    json_t *doc = json_loadb(rq->body, rq->body_len, JSON_REJECT_DUPLICATES, &jerr);
    if (!doc) {
        char why[256];
        snprintf(why, sizeof why, "malformed JSON at line %d column %d: %s", jerr.line,
                 jerr.column, jerr.text);
        dlc_error_invalid(rs, "body", why, connect_style);
        return false;
    }
    json_t *obj = strcmp(binding, "*") == 0 ? json_incref(doc) : json_pack("{s:O}", binding, doc);
    dlc_status st;
    dlc_status_clear(&st);
    int rc = dlc_transcode_merge_json(msg, obj, arena, &st);
    json_decref(obj);
    json_decref(doc);
    if (rc != 0)
        dlc_error_respond(rs, &st, connect_style);
    return rc == 0;
}

ProtobufCMessage *dlc_bind_input(const dlc_http_request *rq, const ProtobufCMessageDescriptor *desc,
                                 const char *binding, const dlc_route_match *m, dlc_arena *arena,
                                 bool connect_style, dlc_http_response *rs)
{
    ProtobufCMessage *msg = dlc_transcode_new(desc, arena);
    if (!apply_body(rq, msg, binding, arena, connect_style, rs))
        return NULL;
    dlc_status st;
    dlc_status_clear(&st);
    for (size_t i = 0; m && i < m->n_vars; i++) {
        if (dlc_transcode_set_text(msg, m->vars[i].name, m->vars[i].value, arena, &st) != 0) {
            dlc_error_respond(rs, &st, connect_style);
            return NULL;
        }
    }
    /* google.api.http: with body "*" nothing is left for the query (and
     * credentials must not travel in URLs, where logs keep them). */
    bool body_takes_all = binding && strcmp(binding, "*") == 0;
    if (rq->query[0] && !body_takes_all && !apply_query(msg, rq->query, m, arena, &st)) {
        dlc_error_respond(rs, &st, connect_style);
        return NULL;
    }
    return msg;
}

int dlc_bind_query_param(const char *query, const char *name, char *out, size_t len)
{
    size_t n = strlen(name);
    out[0] = '\0';
    for (const char *p = query; p && *p; p = strchr(p, '&') ? strchr(p, '&') + 1 : NULL) {
        if (strncmp(p, name, n) != 0 || p[n] != '=')
            continue;
        size_t raw = strcspn(p + n + 1, "&");
        long k = raw < len ? dlc_percent_decode(p + n + 1, raw, out, true) : -1;
        out[k < 0 ? 0 : k] = '\0';
        return k < 0 ? -1 : 1;
    }
    return 0;
}
