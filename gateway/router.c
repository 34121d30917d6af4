/*
 * dlc_router: the table is compiled once into a list of routes split into
 * segments and sorted so that, segment by segment, literals come before
 * variables. For one path, the first route in that order whose shape and
 * method match is exactly the one a literal-first trie walk with
 * backtracking would find, so matching is a plain scan with no state: the
 * table is a few dozen routes, which keeps this cheaper than a trie's
 * pointer chasing and trivially thread-safe. Matching writes only to the
 * caller's dlc_route_match.
 */
#include "gateway/router.h"

#include "gateway/percent.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Methods are tracked as bits of a uint32_t so a 405 can collect them. */
#define MAX_METHODS 32
#define MAX_METHOD_LEN 16

typedef struct {
    const dlc_route *src;
    char *text;                          /* copy of the pattern, cut into segments */
    const char *seg[DLC_ROUTE_MAX_SEGS]; /* literal text, or the variable's name */
    uint32_t var_mask;                   /* bit i set: segment i is a variable */
    size_t n_segs;
    size_t n_vars;
    uint32_t method_bit;
} croute;
_Static_assert(DLC_ROUTE_MAX_SEGS <= 32, "var_mask has one bit per segment");

struct dlc_router {
    croute *routes;
    size_t n;
    const char *methods[MAX_METHODS]; /* sorted, unique; bit i is methods[i] */
    size_t n_methods;
};

/* The room in dlc_route_match.allow, for "GET, PATCH, POST". */
#define ALLOW_SIZE sizeof(((dlc_route_match *)0)->allow)

/* "METHOD PATTERN: why" (just "why" without rt), so a bad entry is easy to find. */
static int fail(char *err, size_t len, const dlc_route *rt, const char *fmt, ...)
{
    if (!err || len == 0)
        return -1;
    int k = !rt ? 0
                : snprintf(err, len, "%s %s: ", rt->method ? rt->method : "(null)",
                           rt->pattern ? rt->pattern : "(null)");
    if (k >= 0 && (size_t)k < len) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err + k, len - (size_t)k, fmt, ap);
        va_end(ap);
    }
    return -1;
}

static bool is_var(const croute *c, size_t i)
{
    return (c->var_mask >> i) & 1u;
}

/* ---- compiling --------------------------------------------------------- */

/* Field paths: dot-separated, non-empty components of [a-z0-9_]. */
static bool valid_field_path(const char *s)
{
    size_t len = strlen(s);
    return len && strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789_.") == len && s[0] != '.' &&
           s[len - 1] != '.' && !strstr(s, "..");
}

/* "{name}" or "{name=*}", cut in place to "name"; returns why not, or NULL. */
static const char *parse_var(char *seg, const char **name)
{
    size_t len = strlen(seg);
    if (len < 3 || seg[len - 1] != '}')
        return "a variable must be a whole segment: {name}";
    seg[len - 1] = '\0';
    char *eq = strchr(seg, '=');
    if (eq)
        *eq++ = '\0';
    if (eq && strcmp(eq, "**") == 0)
        return "{name=**} (rest of the path) is not supported";
    if (eq && strcmp(eq, "*") != 0)
        return "only {name} and {name=*} variables are supported";
    *name = seg + 1;
    return valid_field_path(*name) ? NULL : "variable names are field paths of [a-z0-9_.]";
}

/* Literals are compared with the decoded path, so they are written decoded. */
static const char *check_literal(const char *seg)
{
    if (strcmp(seg, "**") == 0)
        return "'**' (rest of the path) is not supported";
    if (strchr(seg, '*'))
        return "'*' wildcards are not supported; use {name}";
    if (strchr(seg, '{') || strchr(seg, '}'))
        return "a variable must be a whole segment: {name}";
    if (strchr(seg, '%'))
        return "literal segments must not be percent-encoded";
    return NULL;
}

static const char *add_var(croute *c, const char *name)
{
    if (c->n_vars == DLC_ROUTE_MAX_VARS)
        return "too many variables";
    for (size_t i = 0; i < c->n_segs; i++)
        if (is_var(c, i) && strcmp(c->seg[i], name) == 0)
            return "variable bound twice";
    c->var_mask |= 1u << c->n_segs;
    c->n_vars++;
    return NULL;
}

/* Splits c->text ("api/v1/{name}", the pattern without its leading '/'). */
static const char *split_pattern(croute *c)
{
    if (c->text[0] == '\0')
        return NULL; /* "/": the root, no segments */
    for (char *s = c->text; s;) {
        char *slash = strchr(s, '/');
        if (slash)
            *slash = '\0';
        if (*s == '\0')
            return "empty segment";
        if (c->n_segs == DLC_ROUTE_MAX_SEGS)
            return "too many segments";
        const char *name = s;
        const char *why = *s == '{' ? parse_var(s, &name) : check_literal(s);
        if (!why && *s == '{')
            why = add_var(c, name);
        if (why)
            return why;
        c->seg[c->n_segs++] = name;
        s = slash ? slash + 1 : NULL;
    }
    return NULL;
}

static const char *add_method(dlc_router *r, const char *method)
{
    size_t len = method ? strlen(method) : 0;
    if (len == 0 || len > MAX_METHOD_LEN || strspn(method, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != len)
        return "the method must be 1-16 upper-case letters";
    size_t i = 0;
    while (i < r->n_methods && strcmp(r->methods[i], method) < 0)
        i++;
    if (i < r->n_methods && strcmp(r->methods[i], method) == 0)
        return NULL;
    if (r->n_methods == MAX_METHODS)
        return "too many distinct methods";
    memmove(&r->methods[i + 1], &r->methods[i], (r->n_methods - i) * sizeof r->methods[0]);
    r->methods[i] = method;
    r->n_methods++;
    return NULL;
}

static int compile_route(dlc_router *r, const dlc_route *rt, croute *c, char *err, size_t errlen)
{
    c->src = rt;
    const char *why = add_method(r, rt->method);
    if (why)
        return fail(err, errlen, rt, "%s", why);
    if (!rt->pattern || rt->pattern[0] != '/')
        return fail(err, errlen, rt, "the pattern must start with '/'");
    if (strlen(rt->pattern) > DLC_ROUTE_MAX_PATH)
        return fail(err, errlen, rt, "the pattern is too long");
    c->text = strdup(rt->pattern + 1);
    if (!c->text)
        return fail(err, errlen, rt, "out of memory");
    why = split_pattern(c);
    return why ? fail(err, errlen, rt, "%s", why) : 0;
}

/* Literal before variable at the first difference: the precedence order. */
static int cmp_shape(const croute *a, const croute *b)
{
    size_t n = a->n_segs < b->n_segs ? a->n_segs : b->n_segs;
    for (size_t i = 0; i < n; i++) {
        if (is_var(a, i) != is_var(b, i))
            return is_var(a, i) ? 1 : -1;
        int c = is_var(a, i) ? 0 : strcmp(a->seg[i], b->seg[i]);
        if (c)
            return c;
    }
    return (a->n_segs > b->n_segs) - (a->n_segs < b->n_segs);
}

static int cmp_route(const void *pa, const void *pb)
{
    const croute *a = pa, *b = pb;
    int c = cmp_shape(a, b);
    return c ? c : strcmp(a->src->method, b->src->method);
}

static bool same_var_names(const croute *a, const croute *b)
{
    for (size_t i = 0; i < a->n_segs; i++)
        if (is_var(a, i) && strcmp(a->seg[i], b->seg[i]) != 0)
            return false;
    return true;
}

/* After sorting, same method + same shape are neighbours: no path could
 * choose between them. */
static int check_conflicts(const dlc_router *r, char *err, size_t errlen)
{
    for (size_t i = 1; i < r->n; i++) {
        const croute *a = &r->routes[i - 1], *b = &r->routes[i];
        if (cmp_route(a, b) != 0)
            continue;
        if (same_var_names(a, b))
            return fail(err, errlen, b->src, "duplicate route (same as %s)", a->src->pattern);
        return fail(err, errlen, b->src, "ambiguous with %s (only variable names differ)",
                    a->src->pattern);
    }
    return 0;
}

static uint32_t method_bit(const dlc_router *r, const char *method)
{
    for (size_t i = 0; method && i < r->n_methods; i++)
        if (strcmp(r->methods[i], method) == 0)
            return 1u << i;
    return 0;
}

/* Compiles, sorts into precedence order, refuses conflicts, numbers methods. */
static int compile_all(dlc_router *r, const dlc_route *routes, char *err, size_t errlen)
{
    for (size_t i = 0; i < r->n; i++)
        if (compile_route(r, &routes[i], &r->routes[i], err, errlen) != 0)
            return -1;
    /* A 405 may list every method: "GET, POST" must fit with its NUL. */
    size_t joined = 0;
    for (size_t i = 0; i < r->n_methods; i++)
        joined += (i ? 2 : 0) + strlen(r->methods[i]);
    if (joined >= ALLOW_SIZE)
        return fail(err, errlen, NULL, "too many methods to list in an Allow header");
    if (r->n)
        qsort(r->routes, r->n, sizeof r->routes[0], cmp_route);
    if (check_conflicts(r, err, errlen) != 0)
        return -1;
    for (size_t i = 0; i < r->n; i++)
        r->routes[i].method_bit = method_bit(r, r->routes[i].src->method);
    return 0;
}

dlc_router *dlc_router_new(const dlc_route *routes, size_t n, char *err, size_t errlen)
{
    if (n && !routes) {
        fail(err, errlen, NULL, "no routes given");
        return NULL;
    }
    dlc_router *r = calloc(1, sizeof *r);
    if (r && n && !(r->routes = calloc(n, sizeof r->routes[0]))) {
        free(r);
        r = NULL;
    }
    if (!r) {
        fail(err, errlen, NULL, "out of memory");
        return NULL;
    }
    r->n = n;
    if (compile_all(r, routes, err, errlen) != 0) {
        dlc_router_free(r);
        return NULL;
    }
    return r;
}

void dlc_router_free(dlc_router *r)
{
    if (!r)
        return;
    for (size_t i = 0; r->routes && i < r->n; i++)
        free(r->routes[i].text);
    free(r->routes);
    free(r);
}

/* ---- matching ---------------------------------------------------------- */

/* Splits and decodes path into buf as consecutive NUL-terminated segments
 * (each no longer than its raw form, so buf never overflows). Counts
 * segments past DLC_ROUTE_MAX_SEGS without storing them: no route has that
 * many. A bad escape anywhere wins over an empty segment. */
static dlc_route_result split_path(const char *path, char *buf, const char **segs, size_t *n)
{
    size_t len = path ? strnlen(path, DLC_ROUTE_MAX_PATH + 1) : 0;
    if (len == 0 || len > DLC_ROUTE_MAX_PATH || path[0] != '/')
        return DLC_ROUTE_BAD_PATH;
    const char *p = path + 1, *end = path + len;
    if (len > 1 && end[-1] == '/' && end[-2] != '/')
        end--; /* one trailing slash after a real segment is ignored */
    bool empty = false;
    *n = 0;
    buf[0] = '\0';
    if (p == end)
        return DLC_ROUTE_FOUND; /* "/": the root, no segments */
    for (;;) {
        const char *slash = memchr(p, '/', (size_t)(end - p));
        const char *q = slash ? slash : end;
        long k = dlc_percent_decode(p, (size_t)(q - p), buf, false);
        if (k < 0)
            return DLC_ROUTE_BAD_PATH;
        empty |= k == 0;
        if (*n < DLC_ROUTE_MAX_SEGS)
            segs[*n] = buf;
        (*n)++;
        buf += k;
        *buf++ = '\0';
        if (!slash)
            break;
        p = slash + 1;
    }
    return empty ? DLC_ROUTE_NOT_FOUND : DLC_ROUTE_FOUND;
}

static bool shape_matches(const croute *c, const char **segs, size_t n)
{
    if (n != c->n_segs)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!is_var(c, i) && strcmp(c->seg[i], segs[i]) != 0)
            return false;
    return true;
}

static void bind(const croute *c, const char **segs, dlc_route_match *m)
{
    m->route = c->src;
    for (size_t i = 0; i < c->n_segs; i++) {
        if (is_var(c, i)) {
            m->vars[m->n_vars].name = c->seg[i];
            m->vars[m->n_vars++].value = segs[i];
        }
    }
}

static void join_methods(const dlc_router *r, uint32_t bits, char *out)
{
    /* dlc_router_new checked that all the methods fit */
    size_t k = 0;
    for (size_t i = 0; i < r->n_methods; i++)
        if ((bits >> i) & 1u)
            k += (size_t)snprintf(out + k, ALLOW_SIZE - k, "%s%s", k ? ", " : "", r->methods[i]);
}

dlc_route_result dlc_router_match(const dlc_router *r, const char *method, const char *path,
                                  dlc_route_match *m)
{
    const char *segs[DLC_ROUTE_MAX_SEGS];
    size_t n;
    m->route = NULL;
    m->n_vars = 0;
    m->allow[0] = '\0';
    dlc_route_result res = split_path(path, m->buf, segs, &n);
    if (res != DLC_ROUTE_FOUND)
        return res;
    uint32_t want = method_bit(r, method), seen = 0;
    for (size_t i = 0; i < r->n; i++) {
        const croute *c = &r->routes[i];
        if (!shape_matches(c, segs, n))
            continue;
        if (c->method_bit == want) {
            bind(c, segs, m);
            return DLC_ROUTE_FOUND;
        }
        seen |= c->method_bit;
    }
    if (!seen)
        return DLC_ROUTE_NOT_FOUND;
    join_methods(r, seen, m->allow);
    return DLC_ROUTE_METHOD_NOT_ALLOWED;
}
