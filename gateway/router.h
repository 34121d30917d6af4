/*
 * dlc_router: matches (HTTP method, path) against a table of path templates
 * with google.api.http semantics: "/api/v1/greet/{name}" binds one segment
 * to the field `name`; "{name=**}" would bind the rest of the path (not
 * needed yet, refused). Literal segments take precedence over variables
 * at the same position ("/api/v1/greet/history" beats
 * "/api/v1/greet/{name}"), whatever the table order.
 *
 * Paths: the query string is not part of the path (the caller strips it).
 * A single trailing slash is ignored ("/api/health/" matches "/api/health");
 * empty segments elsewhere ("//") never match. Variable values are
 * percent-decoded after the path is split, so "%2F" stays inside its
 * segment; invalid percent-encoding ("%zz", "%4") makes the path
 * unmatchable (DLC_ROUTE_BAD_PATH → 400).
 *
 * Literal segments are compared with the decoded segment too, so
 * "/api/%68ealth" matches "/api/health" (patterns are written decoded; a
 * '%' in a literal is refused). A decoded NUL ("%00"), a path longer than
 * DLC_ROUTE_MAX_PATH or one not starting with '/' is DLC_ROUTE_BAD_PATH.
 * '+' is not a space in a path. "/" alone is the root (pattern "/").
 *
 * Methods match exactly and case-sensitively ("get" is not "GET"; HEAD is
 * not GET). Matching is per method: with GET /a/b and POST /a/{x},
 * "POST /a/b" binds x = "b". METHOD_NOT_ALLOWED means some pattern matches
 * the path but none for this method; match->allow then lists the methods
 * of every pattern matching the path.
 *
 * Patterns: '/'-separated, no empty segments, at most DLC_ROUTE_MAX_SEGS
 * segments and DLC_ROUTE_MAX_VARS variables; "{a=*}" is "{a}"; '*', '**'
 * and "{a=**}" are refused. Two routes with the same method whose patterns
 * differ only in variable names ("/a/{x}", "/a/{y}") are refused as
 * ambiguous. Methods: 1-16 upper-case letters.
 */
#ifndef DLC_ROUTER_H
#define DLC_ROUTER_H

#include <stddef.h>

#define DLC_ROUTE_MAX_VARS 8
#define DLC_ROUTE_MAX_PATH 2048
#define DLC_ROUTE_MAX_SEGS 32 /* segments in a pattern */

typedef struct {
    const char *method;   /* "GET", "POST", "PATCH", "DELETE", "PUT" */
    const char *pattern;  /* "/api/v1/greet/{name}" */
    const void *target;   /* what the caller wants back on a match (borrowed) */
} dlc_route;

typedef enum {
    DLC_ROUTE_FOUND = 0,
    DLC_ROUTE_NOT_FOUND,          /* no pattern matches the path */
    DLC_ROUTE_METHOD_NOT_ALLOWED, /* a pattern matches, not for this method */
    DLC_ROUTE_BAD_PATH,           /* invalid percent-encoding, too long, … */
} dlc_route_result;

typedef struct {
    const char *name;  /* the field path inside {}, e.g. "name" or "user.id" */
                       /* (owned by the router: valid while it lives) */
    const char *value; /* percent-decoded, NUL-terminated, inside match->buf */
} dlc_route_var;

typedef struct {
    const dlc_route *route;
    dlc_route_var vars[DLC_ROUTE_MAX_VARS];
    size_t n_vars;
    char allow[128]; /* on METHOD_NOT_ALLOWED: "GET, POST" (sorted, unique) */
    char buf[DLC_ROUTE_MAX_PATH + 1];
} dlc_route_match;

typedef struct dlc_router dlc_router;

/* Compiles the table (routes must outlive the router). NULL on an invalid
 * pattern or a duplicate (method, pattern), with err filled. */
dlc_router *dlc_router_new(const dlc_route *routes, size_t n, char *err, size_t errlen);
void dlc_router_free(dlc_router *r);

/* Thread-safe (the router is read-only after dlc_router_new). */
dlc_route_result dlc_router_match(const dlc_router *r, const char *method, const char *path,
                                  dlc_route_match *m);

#endif
