/*
 * dlc_router against the REST routes (docs/api.md): every route binds what it
 * should, literals beat variables whatever the table order, and the edges
 * of the path syntax (slashes, percent-encoding, length) give the results
 * the gateway turns into 404, 405 and 400.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
/* cmocka.h needs the four above first. */
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/router.h"

/* One marker per route: a match must hand back this exact target. */
enum {
    R_HEALTH,
    R_HEALTHZ,
    R_READY,
    R_VERSION,
    R_INFO,
    R_UPTIME,
    R_OPENAPI,
    R_METRICS,
    R_GREET_NAME,
    R_GREET,
    R_GREET_V2,
    R_GREET_HISTORY,
    R_REGISTER,
    R_LOGIN,
    R_ADMIN_LOGIN,
    R_SELF_RESET,
    R_ME,
    R_ME_PATCH,
    R_ME_PASSWORD,
    R_USERS,
    R_USER_RESET,
    R_USER_DELETE,
    R_SECRETS,
    R_SECRET_ADD,
    R_SECRET_ROTATE,
    R_CACHE_FLUSH,
    R_RPC,
    R_SECRET_GET, /* hypothetical: not a real route, sits beside .../rotate */
    R_COUNT
};
static const int marker[R_COUNT];

/* clang-format off */
#define ROUTE(m, p, id) {m, p, &marker[id]}
/* clang-format on */

static const dlc_route api[] = {
    ROUTE("GET", "/api/health", R_HEALTH),
    ROUTE("GET", "/api/healthz", R_HEALTHZ),
    ROUTE("GET", "/api/ready", R_READY),
    ROUTE("GET", "/api/version", R_VERSION),
    ROUTE("GET", "/api/info", R_INFO),
    ROUTE("GET", "/api/v1/uptime", R_UPTIME),
    ROUTE("GET", "/api/openapi.json", R_OPENAPI),
    ROUTE("GET", "/metrics", R_METRICS),
    ROUTE("GET", "/api/v1/greet/{name}", R_GREET_NAME),
    ROUTE("GET", "/api/v1/greet", R_GREET),
    ROUTE("POST", "/api/v2/greet", R_GREET_V2),
    ROUTE("GET", "/api/v1/greet/history", R_GREET_HISTORY),
    ROUTE("POST", "/api/v1/auth/register", R_REGISTER),
    ROUTE("POST", "/api/v1/auth/login", R_LOGIN),
    ROUTE("POST", "/api/v1/auth/admin/login", R_ADMIN_LOGIN),
    ROUTE("POST", "/api/v1/auth/password-reset", R_SELF_RESET),
    ROUTE("GET", "/api/v1/users/me", R_ME),
    ROUTE("PATCH", "/api/v1/users/me", R_ME_PATCH),
    ROUTE("POST", "/api/v1/users/me/password", R_ME_PASSWORD),
    ROUTE("GET", "/api/v1/admin/users", R_USERS),
    ROUTE("POST", "/api/v1/admin/users/{username}/password-reset", R_USER_RESET),
    ROUTE("DELETE", "/api/v1/admin/users/{username}", R_USER_DELETE),
    ROUTE("GET", "/api/v1/admin/jwt/secrets", R_SECRETS),
    ROUTE("POST", "/api/v1/admin/jwt/secrets", R_SECRET_ADD),
    ROUTE("POST", "/api/v1/admin/jwt/secrets/rotate", R_SECRET_ROTATE),
    ROUTE("POST", "/api/admin/cache/flush", R_CACHE_FLUSH),
    ROUTE("POST", "/rpc/{service}/{method}", R_RPC),
};
#define N_API (sizeof api / sizeof api[0])

/* api[] plus the hypothetical GET /api/v1/admin/jwt/secrets/{kid}. */
static dlc_route api_plus[N_API + 1];

typedef struct {
    const char *method, *path;
    int id;
    const char *vars[4]; /* name, value, name, value; NULL-terminated */
} match_case;

static const match_case api_cases[] = {
    {"GET", "/api/health", R_HEALTH, {NULL}},
    {"GET", "/api/healthz", R_HEALTHZ, {NULL}},
    {"GET", "/api/ready", R_READY, {NULL}},
    {"GET", "/api/version", R_VERSION, {NULL}},
    {"GET", "/api/info", R_INFO, {NULL}},
    {"GET", "/api/v1/uptime", R_UPTIME, {NULL}},
    {"GET", "/api/openapi.json", R_OPENAPI, {NULL}},
    {"GET", "/metrics", R_METRICS, {NULL}},
    {"GET", "/api/v1/greet/ann", R_GREET_NAME, {"name", "ann"}},
    {"GET", "/api/v1/greet", R_GREET, {NULL}},
    {"POST", "/api/v2/greet", R_GREET_V2, {NULL}},
    {"GET", "/api/v1/greet/history", R_GREET_HISTORY, {NULL}},
    {"POST", "/api/v1/auth/register", R_REGISTER, {NULL}},
    {"POST", "/api/v1/auth/login", R_LOGIN, {NULL}},
    {"POST", "/api/v1/auth/admin/login", R_ADMIN_LOGIN, {NULL}},
    {"POST", "/api/v1/auth/password-reset", R_SELF_RESET, {NULL}},
    {"GET", "/api/v1/users/me", R_ME, {NULL}},
    {"PATCH", "/api/v1/users/me", R_ME_PATCH, {NULL}},
    {"POST", "/api/v1/users/me/password", R_ME_PASSWORD, {NULL}},
    {"GET", "/api/v1/admin/users", R_USERS, {NULL}},
    {"POST", "/api/v1/admin/users/bob/password-reset", R_USER_RESET, {"username", "bob"}},
    {"DELETE", "/api/v1/admin/users/bob", R_USER_DELETE, {"username", "bob"}},
    {"GET", "/api/v1/admin/jwt/secrets", R_SECRETS, {NULL}},
    {"POST", "/api/v1/admin/jwt/secrets", R_SECRET_ADD, {NULL}},
    {"POST", "/api/v1/admin/jwt/secrets/rotate", R_SECRET_ROTATE, {NULL}},
    {"POST", "/api/admin/cache/flush", R_CACHE_FLUSH, {NULL}},
    {"POST",
     "/rpc/dlc.v1.GreetService/Greet",
     R_RPC,
     {"service", "dlc.v1.GreetService", "method", "Greet"}},
    /* a variable may hold what is a literal elsewhere */
    {"GET", "/api/v1/greet/greet", R_GREET_NAME, {"name", "greet"}},
    {"DELETE", "/api/v1/admin/users/me", R_USER_DELETE, {"username", "me"}},
};
#define N_CASES (sizeof api_cases / sizeof api_cases[0])

static dlc_router *new_router(const dlc_route *routes, size_t n)
{
    char err[256] = "";
    dlc_router *r = dlc_router_new(routes, n, err, sizeof err);
    if (!r)
        print_error("dlc_router_new: %s\n", err);
    assert_non_null(r);
    return r;
}

/* Expects a refusal whose message contains want. */
static void expect_refused(const dlc_route *routes, size_t n, const char *want)
{
    char err[256] = "";
    dlc_router *r = dlc_router_new(routes, n, err, sizeof err);
    if (r || !strstr(err, want))
        print_error("expected \"%s\", got \"%s\"\n", want, err);
    assert_null(r);
    assert_non_null(strstr(err, want));
}

static void expect_match(const dlc_router *r, const match_case *c)
{
    dlc_route_match m;
    dlc_route_result res = dlc_router_match(r, c->method, c->path, &m);
    if (res != DLC_ROUTE_FOUND || m.route->target != &marker[c->id])
        print_error("%s %s: result %d\n", c->method, c->path, (int)res);
    assert_int_equal(res, DLC_ROUTE_FOUND);
    assert_ptr_equal(m.route->target, &marker[c->id]);
    size_t n = 0;
    while (n < 4 && c->vars[n])
        n++;
    assert_int_equal(m.n_vars, n / 2);
    for (size_t i = 0; i < n / 2; i++) {
        assert_string_equal(m.vars[i].name, c->vars[2 * i]);
        assert_string_equal(m.vars[i].value, c->vars[2 * i + 1]);
    }
}

/* Matches GET path, expects FOUND with one variable of this value. */
static void expect_var(const dlc_router *r, const char *path, const char *value, size_t len)
{
    dlc_route_match m;
    assert_int_equal(dlc_router_match(r, "GET", path, &m), DLC_ROUTE_FOUND);
    assert_int_equal(m.n_vars, 1);
    assert_int_equal(strlen(m.vars[0].value), len);
    assert_memory_equal(m.vars[0].value, value, len);
}

static void expect_result(const dlc_router *r, const char *method, const char *path,
                          dlc_route_result want)
{
    dlc_route_match m;
    dlc_route_result res = dlc_router_match(r, method, path, &m);
    if (res != want)
        print_error("%s %s: result %d, want %d\n", method ? method : "(null)",
                    path ? path : "(null)", (int)res, (int)want);
    assert_int_equal(res, want);
}

static void expect_allow(const dlc_router *r, const char *method, const char *path,
                         const char *allow)
{
    dlc_route_match m;
    assert_int_equal(dlc_router_match(r, method, path, &m), DLC_ROUTE_METHOD_NOT_ALLOWED);
    assert_null(m.route);
    assert_string_equal(m.allow, allow);
}

static int setup(void **state)
{
    (void)state;
    memcpy(api_plus, api, sizeof api);
    api_plus[N_API] = (dlc_route)ROUTE("GET", "/api/v1/admin/jwt/secrets/{kid}", R_SECRET_GET);
    return 0;
}

/* ---- the API table ----------------------------------------------------- */

static void test_every_route_matches(void **state)
{
    (void)state;
    dlc_router *r = new_router(api, N_API);
    for (size_t i = 0; i < N_CASES; i++)
        expect_match(r, &api_cases[i]);
    dlc_router_free(r);
}

static void test_table_order_is_irrelevant(void **state)
{
    (void)state;
    dlc_route reversed[N_API];
    for (size_t i = 0; i < N_API; i++)
        reversed[i] = api[N_API - 1 - i];
    dlc_router *r = new_router(reversed, N_API);
    for (size_t i = 0; i < N_CASES; i++)
        expect_match(r, &api_cases[i]);
    dlc_router_free(r);
}

static void test_literal_beats_variable(void **state)
{
    (void)state;
    /* reversed, so the variable route comes first in the table */
    dlc_route table[N_API + 1];
    for (size_t i = 0; i <= N_API; i++)
        table[i] = api_plus[N_API - i];
    dlc_router *r = new_router(table, N_API + 1);
    expect_match(r, &(match_case){"GET", "/api/v1/greet/history", R_GREET_HISTORY, {NULL}});
    expect_match(
        r, &(match_case){"GET", "/api/v1/greet/histories", R_GREET_NAME, {"name", "histories"}});
    expect_match(
        r, &(match_case){"POST", "/api/v1/admin/jwt/secrets/rotate", R_SECRET_ROTATE, {NULL}});
    expect_match(r,
                 &(match_case){"GET", "/api/v1/admin/jwt/secrets/k1", R_SECRET_GET, {"kid", "k1"}});
    /* per method: GET .../rotate falls back to the variable */
    expect_match(
        r,
        &(match_case){"GET", "/api/v1/admin/jwt/secrets/rotate", R_SECRET_GET, {"kid", "rotate"}});
    expect_allow(r, "DELETE", "/api/v1/admin/jwt/secrets/rotate", "GET, POST");
    dlc_router_free(r);
}

static void test_backtracking(void **state)
{
    (void)state;
    const dlc_route table[] = {
        ROUTE("GET", "/a/{x}/c", 0),
        ROUTE("GET", "/a/b/d", 1),
        ROUTE("GET", "/a/b/{y}/e", 2),
    };
    dlc_router *r = new_router(table, 3);
    /* "b" first takes the literal branch, which has no "c": back to {x} */
    expect_match(r, &(match_case){"GET", "/a/b/c", 0, {"x", "b"}});
    expect_match(r, &(match_case){"GET", "/a/b/d", 1, {NULL}});
    expect_match(r, &(match_case){"GET", "/a/z/c", 0, {"x", "z"}});
    expect_match(r, &(match_case){"GET", "/a/b/q/e", 2, {"y", "q"}});
    expect_result(r, "GET", "/a/z/d", DLC_ROUTE_NOT_FOUND);
    dlc_router_free(r);
}

/* ---- path syntax ------------------------------------------------------- */

static void test_slashes(void **state)
{
    (void)state;
    dlc_router *r = new_router(api, N_API);
    expect_match(r, &(match_case){"GET", "/api/health/", R_HEALTH, {NULL}});
    expect_match(r, &(match_case){"GET", "/api/v1/greet/ann/", R_GREET_NAME, {"name", "ann"}});
    expect_result(r, "GET", "/api/health//", DLC_ROUTE_NOT_FOUND);
    expect_result(r, "GET", "//api/health", DLC_ROUTE_NOT_FOUND);
    expect_result(r, "GET", "/api//health", DLC_ROUTE_NOT_FOUND);
    expect_result(r, "GET", "/api/v1/greet//", DLC_ROUTE_NOT_FOUND);
    expect_result(r, "GET", "/", DLC_ROUTE_NOT_FOUND);
    expect_result(r, "GET", "//", DLC_ROUTE_NOT_FOUND);
    expect_result(r, "GET", "api/health", DLC_ROUTE_BAD_PATH);
    expect_result(r, "GET", "", DLC_ROUTE_BAD_PATH);
    expect_result(r, "GET", NULL, DLC_ROUTE_BAD_PATH);
    dlc_router_free(r);

    const dlc_route root[] = {ROUTE("GET", "/", 0), ROUTE("GET", "/{x}", 1)};
    r = new_router(root, 2);
    expect_match(r, &(match_case){"GET", "/", 0, {NULL}});
    expect_match(r, &(match_case){"GET", "/a/", 1, {"x", "a"}});
    expect_result(r, "GET", "//", DLC_ROUTE_NOT_FOUND);
    dlc_router_free(r);
}

static void test_percent_decoding(void **state)
{
    (void)state;
    dlc_router *r = new_router(api, N_API);
    expect_var(r, "/api/v1/greet/ann%20lee", "ann lee", 7);
    expect_var(r, "/api/v1/greet/ren%C3%A9e",
               "ren\xc3\xa9"
               "e",
               6);
    expect_var(r, "/api/v1/greet/a%2Fb", "a/b", 3); /* %2F stays in its segment */
    expect_var(r, "/api/v1/greet/a%2fb", "a/b", 3);
    expect_var(r, "/api/v1/greet/a+b", "a+b", 3); /* a path, not a form */
    expect_var(r, "/api/v1/greet/%25", "%", 1);
    /* literals are compared decoded */
    expect_match(r, &(match_case){"GET", "/api/%68ealth", R_HEALTH, {NULL}});
    expect_match(r, &(match_case){"GET", "/api/v1/greet/%68istory", R_GREET_HISTORY, {NULL}});
    expect_result(r, "GET", "/api%2Fhealth", DLC_ROUTE_NOT_FOUND);
    dlc_router_free(r);
}

static void test_bad_percent_encoding(void **state)
{
    (void)state;
    dlc_router *r = new_router(api, N_API);
    static const char *const bad[] = {
        "/api/v1/greet/%zz",   "/api/v1/greet/%4",  "/api/v1/greet/%4/x", "/api/v1/greet/%",
        "/api/v1/greet/a%00b", "/api/v1/greet/%g1", "/api/%zz/nothing",   "//%zz",
        "/api/v1/greet/%%41",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        expect_result(r, "GET", bad[i], DLC_ROUTE_BAD_PATH);
    dlc_router_free(r);
}

static void test_path_length(void **state)
{
    (void)state;
    dlc_router *r = new_router(api, N_API);
    char path[DLC_ROUTE_MAX_PATH + 2];
    const char *prefix = "/api/v1/greet/";
    size_t pre = strlen(prefix);
    memcpy(path, prefix, pre);
    memset(path + pre, 'a', DLC_ROUTE_MAX_PATH - pre);
    path[DLC_ROUTE_MAX_PATH] = '\0';
    expect_var(r, path, path + pre, DLC_ROUTE_MAX_PATH - pre);
    path[DLC_ROUTE_MAX_PATH] = 'a';
    path[DLC_ROUTE_MAX_PATH + 1] = '\0';
    expect_result(r, "GET", path, DLC_ROUTE_BAD_PATH);

    /* the most segments a path of the maximum length can have */
    for (size_t i = 0; i < DLC_ROUTE_MAX_PATH; i++)
        path[i] = i % 2 ? 'x' : '/';
    path[DLC_ROUTE_MAX_PATH] = '\0';
    expect_result(r, "GET", path, DLC_ROUTE_NOT_FOUND);
    dlc_router_free(r);
}

/* ---- results ----------------------------------------------------------- */

static void test_method_not_allowed(void **state)
{
    (void)state;
    dlc_router *r = new_router(api, N_API);
    expect_allow(r, "DELETE", "/api/v1/admin/jwt/secrets", "GET, POST");
    expect_allow(r, "PUT", "/api/v1/admin/jwt/secrets/", "GET, POST");
    expect_allow(r, "GET", "/api/v1/admin/users/bob", "DELETE");
    expect_allow(r, "PUT", "/api/v1/users/me", "GET, PATCH");
    expect_allow(r, "GET", "/rpc/dlc.v1.GreetService/Greet", "POST");
    expect_allow(r, "get", "/api/health", "GET");  /* methods are case-sensitive */
    expect_allow(r, "HEAD", "/api/health", "GET"); /* HEAD is not special */
    expect_allow(r, NULL, "/api/health", "GET");
    dlc_router_free(r);
}

static void test_not_found(void **state)
{
    (void)state;
    dlc_router *r = new_router(api, N_API);
    static const char *const paths[] = {
        "/api/nope",   "/api/v1/greet/a/b",           "/rpc/x",       "/rpc/a/b/c", "/api",
        "/API/health", "/api/v1/users/me/password/x", "/metrics.txt",
    };
    for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++)
        expect_result(r, "GET", paths[i], DLC_ROUTE_NOT_FOUND);
    dlc_route_match m;
    assert_int_equal(dlc_router_match(r, "POST", "/api/nope", &m), DLC_ROUTE_NOT_FOUND);
    assert_null(m.route);
    assert_int_equal(m.n_vars, 0);
    assert_string_equal(m.allow, "");
    dlc_router_free(r);
}

static void test_rpc_binds_service_and_method(void **state)
{
    (void)state;
    dlc_router *r = new_router(api, N_API);
    dlc_route_match m;
    assert_int_equal(dlc_router_match(r, "POST", "/rpc/dlc.v1.GreetService/Greet", &m),
                     DLC_ROUTE_FOUND);
    assert_ptr_equal(m.route, &api[N_API - 1]);
    assert_int_equal(m.n_vars, 2);
    assert_string_equal(m.vars[0].name, "service");
    assert_string_equal(m.vars[0].value, "dlc.v1.GreetService");
    assert_string_equal(m.vars[1].name, "method");
    assert_string_equal(m.vars[1].value, "Greet");
    dlc_router_free(r);
}

static void test_variable_forms(void **state)
{
    (void)state;
    const dlc_route table[] = {
        ROUTE("GET", "/u/{user.id=*}/x", 0),
        ROUTE("GET", "/u/{a_1}/{b}/{c}/{d}/{e}/{f}/{g}/{h}", 1),
    };
    dlc_router *r = new_router(table, 2);
    expect_match(r, &(match_case){"GET", "/u/7/x", 0, {"user.id", "7"}});
    dlc_route_match m;
    assert_int_equal(dlc_router_match(r, "GET", "/u/1/2/3/4/5/6/7/8", &m), DLC_ROUTE_FOUND);
    assert_int_equal(m.n_vars, DLC_ROUTE_MAX_VARS);
    assert_string_equal(m.vars[0].name, "a_1");
    assert_string_equal(m.vars[7].name, "h");
    assert_string_equal(m.vars[7].value, "8");
    dlc_router_free(r);

    r = new_router(NULL, 0); /* an empty table is valid and matches nothing */
    expect_result(r, "GET", "/", DLC_ROUTE_NOT_FOUND);
    dlc_router_free(r);
}

/* ---- refused tables ---------------------------------------------------- */

static void test_invalid_patterns(void **state)
{
    (void)state;
    static const struct {
        const char *method, *pattern, *err;
    } bad[] = {
        {"GET", "api/health", "must start with '/'"},
        {"GET", "", "must start with '/'"},
        {"GET", NULL, "must start with '/'"},
        {"GET", "/api//health", "empty segment"},
        {"GET", "/api/health/", "empty segment"},
        {"GET", "//", "empty segment"},
        {"GET", "/files/**", "'**'"},
        {"GET", "/files/{path=**}", "{name=**}"},
        {"GET", "/files/*", "wildcards"},
        {"GET", "/files/{path=a/*}", "whole segment"},
        {"GET", "/files/{path=x}", "only {name} and {name=*}"},
        {"GET", "/files/{}", "whole segment"},
        {"GET", "/files/{name", "whole segment"},
        {"GET", "/files/a{name}", "whole segment"},
        {"GET", "/files/{name}.json", "whole segment"},
        {"GET", "/files/{Name}", "field paths"},
        {"GET", "/files/{a-b}", "field paths"},
        {"GET", "/files/{a..b}", "field paths"},
        {"GET", "/files/{.a}", "field paths"},
        {"GET", "/files/{a.}", "field paths"},
        {"GET", "/files/{a}/{a}", "bound twice"},
        {"GET", "/files/%20", "percent-encoded"},
        {"GET", "/{a}/{b}/{c}/{d}/{e}/{f}/{g}/{h}/{i}", "too many variables"},
        {"get", "/a", "upper-case"},
        {"", "/a", "upper-case"},
        {NULL, "/a", "upper-case"},
        {"VERYLONGMETHODNAME", "/a", "upper-case"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        const dlc_route rt = {bad[i].method, bad[i].pattern, NULL};
        expect_refused(&rt, 1, bad[i].err);
    }
    char many[4 * (DLC_ROUTE_MAX_SEGS + 1) + 1] = "";
    for (size_t i = 0; i <= DLC_ROUTE_MAX_SEGS; i++)
        strcat(many, "/seg");
    expect_refused(&(dlc_route){"GET", many, NULL}, 1, "too many segments");
    many[4 * DLC_ROUTE_MAX_SEGS] = '\0';
    dlc_router_free(new_router(&(dlc_route){"GET", many, NULL}, 1));
    expect_refused(NULL, 1, "no routes");
}

/* Every method must fit in the Allow list of a 405; bits are per method. */
static void test_method_limits(void **state)
{
    (void)state;
    char names[33][4];
    dlc_route table[33];
    for (size_t i = 0; i < 33; i++) {
        snprintf(names[i], sizeof names[i], "M%c%c", 'A' + (int)(i / 26), 'A' + (int)(i % 26));
        table[i] = (dlc_route){names[i], "/a", NULL};
    }
    expect_refused(table, 33, "too many distinct methods");
    expect_refused(table, 32, "Allow header"); /* 32 * 3 + 31 * 2 bytes */
    dlc_router *r = new_router(table, 25);     /* 25 * 3 + 24 * 2 = 123 */
    dlc_route_match m;
    assert_int_equal(dlc_router_match(r, "GET", "/a", &m), DLC_ROUTE_METHOD_NOT_ALLOWED);
    assert_int_equal(strlen(m.allow), 123);
    assert_memory_equal(m.allow, "MAA, MAB, ", 10);
    assert_string_equal(m.allow + 120, "MAY");
    dlc_router_free(r);
}

static void test_duplicates_and_ambiguity(void **state)
{
    (void)state;
    const dlc_route dup[] = {ROUTE("GET", "/a/{x}", 0), ROUTE("POST", "/b", 1),
                             ROUTE("GET", "/a/{x}", 2)};
    expect_refused(dup, 3, "GET /a/{x}: duplicate route");
    const dlc_route star[] = {ROUTE("GET", "/a/{x}", 0), ROUTE("GET", "/a/{x=*}", 1)};
    expect_refused(star, 2, "duplicate route");
    const dlc_route amb[] = {ROUTE("GET", "/a/{x}", 0), ROUTE("GET", "/a/{y}", 1)};
    expect_refused(amb, 2, "ambiguous with");
    const dlc_route amb2[] = {ROUTE("POST", "/a/{x}/b/{y}", 0), ROUTE("POST", "/a/{x}/b/{z}", 1)};
    expect_refused(amb2, 2, "ambiguous with");
    const dlc_route lit[] = {ROUTE("GET", "/a/b", 0), ROUTE("GET", "/a/b", 1)};
    expect_refused(lit, 2, "duplicate route");

    /* the same pattern for two methods, or another shape: fine */
    const dlc_route ok[] = {ROUTE("GET", "/a/{x}", 0), ROUTE("POST", "/a/{y}", 1),
                            ROUTE("GET", "/a/{x}/c", 2), ROUTE("GET", "/a/b", 3)};
    dlc_router *r = new_router(ok, 4);
    expect_match(r, &(match_case){"POST", "/a/b", 1, {"y", "b"}});
    dlc_router_free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_route_matches),
        cmocka_unit_test(test_table_order_is_irrelevant),
        cmocka_unit_test(test_literal_beats_variable),
        cmocka_unit_test(test_backtracking),
        cmocka_unit_test(test_slashes),
        cmocka_unit_test(test_percent_decoding),
        cmocka_unit_test(test_bad_percent_encoding),
        cmocka_unit_test(test_path_length),
        cmocka_unit_test(test_method_not_allowed),
        cmocka_unit_test(test_not_found),
        cmocka_unit_test(test_rpc_binds_service_and_method),
        cmocka_unit_test(test_variable_forms),
        cmocka_unit_test(test_invalid_patterns),
        cmocka_unit_test(test_method_limits),
        cmocka_unit_test(test_duplicates_and_ambiguity),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
