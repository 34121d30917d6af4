/* The OpenAPI document against what the gateway and the core really do:
 * every route of the table is documented and every documented operation is
 * routed to that route; the access table of gateway/openapi_table.c agrees
 * with the core's dispatch bindings; the proto comments reach the document. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "gateway/openapi.h"
#include "gateway/protodoc.h"
#include "gateway/routes.h"
#include "rpc/core/services/admin/admin.h"
#include "rpc/core/services/auth.h"
#include "rpc/core/services/greet.h"
#include "rpc/core/services/system.h"
#include "rpc/core/services/users.h"
#include "rpc/runtime/contract.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static json_t *build(void)
{
    char err[512] = "";
    json_t *doc = dlc_openapi_build(dlc_endpoints, dlc_endpoint_count, err, sizeof err);
    if (!doc)
        fail_msg("%s", err);
    return doc;
}

static void lower(const char *in, char *out, size_t len)
{
    size_t i = 0;
    for (; in[i] && i + 1 < len; i++)
        out[i] = (char)tolower((unsigned char)in[i]);
    out[i] = '\0';
}

static void every_route_is_documented(void **state)
{
    (void)state;
    json_t *doc = build(), *paths = json_object_get(doc, "paths");
    for (size_t i = 0; i < dlc_endpoint_count; i++) {
        char m[16];
        lower(dlc_endpoints[i].method, m, sizeof m);
        json_t *op = json_object_get(json_object_get(paths, dlc_endpoints[i].pattern), m);
        if (!op)
            fail_msg("%s %s is not in the document", dlc_endpoints[i].method,
                     dlc_endpoints[i].pattern);
        assert_non_null(json_object_get(op, "operationId"));
        assert_non_null(json_object_get(op, "responses"));
    }
    json_decref(doc);
}

/* "/api/v1/admin/users/{username}" → "/api/v1/admin/users/x1" */
static void instantiate(const char *tmpl, char *out, size_t len)
{
    size_t k = 0;
    for (const char *p = tmpl; *p && k + 3 < len; p++) {
        if (*p == '{') {
            k += (size_t)snprintf(out + k, len - k, "x1");
            p = strchr(p, '}');
        } else {
            out[k++] = *p;
        }
    }
    out[k] = '\0';
}

/* Documented operations route to the endpoint of the same template. */
static void every_documented_operation_is_served(void **state)
{
    (void)state;
    dlc_route *routes = NULL;
    char err[256];
    dlc_router *r = dlc_routes_compile(dlc_endpoints, dlc_endpoint_count, &routes, err, sizeof err);
    assert_non_null(r);
    json_t *doc = build(), *item, *op;
    const char *tmpl, *method;
    size_t n_ops = 0;
    json_object_foreach(json_object_get(doc, "paths"), tmpl, item) {
        json_object_foreach(item, method, op) {
            char upper[16], path[512];
            size_t i = 0;
            for (; method[i] && i + 1 < sizeof upper; i++)
                upper[i] = (char)toupper((unsigned char)method[i]);
            upper[i] = '\0';
            instantiate(tmpl, path, sizeof path);
            dlc_route_match m;
            if (dlc_router_match(r, upper, path, &m) != DLC_ROUTE_FOUND)
                fail_msg("documented %s %s is not routed", upper, tmpl);
            const dlc_endpoint *ep = m.route->target;
            assert_string_equal(ep->pattern, tmpl);
            n_ops++;
        }
    }
    assert_int_equal(n_ops, dlc_endpoint_count);
    json_decref(doc);
    dlc_router_free(r);
    free(routes);
}

static dlc_access core_access(dlc_openapi_auth a)
{
    return a == DLC_OPENAPI_USER ? DLC_ACCESS_USER
           : a == DLC_OPENAPI_ADMIN ? DLC_ACCESS_ADMIN
                                    : DLC_ACCESS_PUBLIC;
}

/* The access table is a mirror of the core's bindings: same methods, same
 * access, same writes. */
static void access_table_matches_the_core(void **state)
{
    (void)state;
    char err[256];
    dlc_dispatch *d = dlc_dispatch_new();
    assert_int_equal(dlc_svc_greet_register(d, err, sizeof err), 0);
    assert_int_equal(dlc_svc_system_register(d, err, sizeof err), 0);
    assert_int_equal(dlc_svc_auth_register(d, err, sizeof err), 0);
    assert_int_equal(dlc_svc_users_register(d, err, sizeof err), 0);
    assert_int_equal(dlc_svc_admin_register(d, err, sizeof err), 0);
    assert_int_equal(dlc_dispatch_count(d), dlc_openapi_method_count);
    for (size_t i = 0; i < dlc_dispatch_count(d); i++) {
        const dlc_method *m = dlc_dispatch_at(d, i);
        const dlc_openapi_method *o = dlc_openapi_method_find(m->full_name);
        if (!o)
            fail_msg("%s has no row in dlc_openapi_methods", m->full_name);
        if (core_access(o->auth) != m->access || o->writes != !!(m->flags & DLC_METHOD_WRITES))
            fail_msg("%s: the core says access %d, writes %d", m->full_name, (int)m->access,
                     !!(m->flags & DLC_METHOD_WRITES));
    }
    dlc_dispatch_free(d);
}

static json_t *operation(json_t *doc, const char *path, const char *method)
{
    return json_object_get(json_object_get(json_object_get(doc, "paths"), path), method);
}

static void operations_say_auth_idempotency_and_status(void **state)
{
    (void)state;
    json_t *doc = build();
    json_t *me = operation(doc, "/api/v1/users/me", "patch");
    json_t *security = json_object_get(me, "security");
    assert_int_equal(json_array_size(security), 1);
    assert_non_null(json_object_get(json_array_get(security, 0), "bearerAuth"));
    json_t *responses = json_object_get(me, "responses");
    assert_non_null(json_object_get(responses, "401"));
    assert_non_null(json_object_get(responses, "409"));
    assert_non_null(json_object_get(responses, "422"));
    assert_non_null(json_object_get(responses, "429"));
    char *text = json_dumps(json_object_get(me, "parameters"), 0);
    assert_non_null(strstr(text, "#/components/parameters/IdempotencyKey"));
    free(text);
    json_t *del = operation(doc, "/api/v1/admin/users/{username}", "delete");
    assert_non_null(json_object_get(json_object_get(del, "responses"), "204"));
    json_t *reg = operation(doc, "/api/v1/auth/register", "post");
    assert_non_null(json_object_get(json_object_get(reg, "responses"), "201"));
    assert_int_equal(json_array_size(json_object_get(reg, "security")), 0);
    /* GET: the input's unbound fields are query parameters */
    json_t *list = operation(doc, "/api/v1/admin/users", "get");
    text = json_dumps(json_object_get(list, "parameters"), 0);
    assert_non_null(strstr(text, "\"page_size\""));
    assert_non_null(strstr(text, "\"page_token\""));
    free(text);
    json_decref(doc);
}

static void comments_become_descriptions(void **state)
{
    (void)state;
    json_t *doc = build();
    json_t *login = operation(doc, "/api/v1/auth/login", "post");
    assert_non_null(strstr(json_string_value(json_object_get(login, "description")),
                           "invalid_credentials"));
    json_t *reg = json_object_get(json_object_get(json_object_get(doc, "components"), "schemas"),
                                  "RegisterRequest");
    json_t *username = json_object_get(json_object_get(reg, "properties"), "username");
    assert_string_equal(json_string_value(json_object_get(username, "description")),
                        "3–50 ASCII letters or digits");
    json_decref(doc);
}

static void protodoc_reads_comments_and_refuses_garbage(void **state)
{
    (void)state;
    char err[128];
    dlc_protodoc *d = dlc_protodoc_new(dlc_contract_descriptor_set,
                                       dlc_contract_descriptor_set_len, err, sizeof err);
    assert_non_null(d);
    assert_string_equal(dlc_protodoc_comment(d, "dlc.v1.JwtSecret.expires_at_unix"),
                        "0: does not expire");
    assert_string_equal(dlc_protodoc_comment(d, "dlc.v1.AdminService.DeleteUser"),
                        "Soft delete: the user can no longer log in; the name stays taken.");
    /* a service without its own comment gets its file's header */
    assert_string_equal(dlc_protodoc_comment(d, "dlc.v1.UserService"),
                        "The caller's own profile (a user token).");
    assert_non_null(dlc_protodoc_comment(d, "dlc.v1.HealthCheckResponse.ServingStatus.SERVICE_UNKNOWN"));
    assert_null(dlc_protodoc_comment(d, "dlc.v1.GreetResponse"));
    dlc_protodoc_free(d);
    static const unsigned char bad[] = {0x0a, 0x05, 0x12}; /* a length past the end */
    assert_null(dlc_protodoc_new(bad, sizeof bad, err, sizeof err));
    d = dlc_protodoc_new(bad, 0, err, sizeof err); /* an empty set is a set */
    assert_non_null(d);
    dlc_protodoc_free(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_route_is_documented),
        cmocka_unit_test(every_documented_operation_is_served),
        cmocka_unit_test(access_table_matches_the_core),
        cmocka_unit_test(operations_say_auth_idempotency_and_status),
        cmocka_unit_test(comments_become_descriptions),
        cmocka_unit_test(protodoc_reads_comments_and_refuses_garbage),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
