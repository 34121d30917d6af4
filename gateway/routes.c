/*
 * The route table: every REST route (docs/api.md), one row each. Adding an
 * endpoint is one row here plus its proto (and its handler in the core).
 */
#include "gateway/routes.h"

#include "gateway/docs.h"
#include "gateway/handlers.h"
#include "gateway/metrics.h"

#include <stdio.h>
#include <stdlib.h>

#define GREET "dlc.v1.GreetService/Greet"
#define GREET_V2 "dlc.v1.GreetService/GreetV2"

const dlc_endpoint dlc_endpoints[] = {
    /* System (no auth) */
    {"GET", "/api/health", .local = dlc_handlers_health},
    {"GET", "/api/healthz", .local = dlc_handlers_healthz},
    {"GET", "/api/ready", .local = dlc_handlers_ready},
    {"GET", "/api/version", .local = dlc_handlers_version},
    {"GET", "/api/info", .local = dlc_handlers_info},
    {"GET", "/api/v1/uptime", .local = dlc_handlers_uptime},
    {"GET", "/metrics", .local = dlc_gateway_metrics_serve}, /* Prometheus */
    /* Documentation (no auth) */
    {"GET", "/api/openapi.json", .local = dlc_docs_openapi},
    {"GET", "/api/docs", .local = dlc_docs_page},
    {"GET", "/api/docs/{file}", .local = dlc_docs_asset},
    /* Greet */
    {"GET", "/api/v1/greet", .rpc = GREET},
    {"GET", "/api/v1/greet/{name}", .rpc = GREET},
    {"GET", "/api/v1/greet/history", .rpc = "dlc.v1.GreetService/ListHistory"},
    {"POST", "/api/v2/greet", .rpc = GREET_V2, .body = "*"},
    /* Auth */
    {"POST", "/api/v1/auth/register", .rpc = "dlc.v1.AuthService/RegisterUser", .body = "*",
     .status = 201},
    {"POST", "/api/v1/auth/login", .rpc = "dlc.v1.AuthService/Login", .body = "*"},
    {"POST", "/api/v1/auth/admin/login", .rpc = "dlc.v1.AuthService/AdminLogin", .body = "*"},
    {"POST", "/api/v1/auth/password-reset", .rpc = "dlc.v1.AuthService/CompletePasswordReset",
     .body = "*"},
    /* Users (user token) */
    {"GET", "/api/v1/users/me", .rpc = "dlc.v1.UserService/GetMe"},
    {"PATCH", "/api/v1/users/me", .rpc = "dlc.v1.UserService/UpdateMe", .body = "*"},
    {"POST", "/api/v1/users/me/password", .rpc = "dlc.v1.UserService/ChangePassword",
     .body = "*", .status = 204},
    /* Admin (admin token) */
    {"GET", "/api/v1/admin/users", .rpc = "dlc.v1.AdminService/ListUsers"},
    {"POST", "/api/v1/admin/users/{username}/password-reset",
     .rpc = "dlc.v1.AdminService/AllowPasswordReset"},
    {"DELETE", "/api/v1/admin/users/{username}", .rpc = "dlc.v1.AdminService/DeleteUser",
     .status = 204},
    {"POST", "/api/v1/admin/users/{username}/revoke-tokens",
     .rpc = "dlc.v1.AdminService/RevokeUserTokens", .status = 204},
    {"POST", "/api/v1/admin/revoke-admin-tokens", .rpc = "dlc.v1.AdminService/RevokeAdminTokens",
     .status = 204},
    {"GET", "/api/v1/admin/jwt/secrets", .rpc = "dlc.v1.AdminService/ListJwtSecrets"},
    {"POST", "/api/v1/admin/jwt/secrets", .rpc = "dlc.v1.AdminService/AddJwtSecret",
     .body = "*", .status = 201},
    {"POST", "/api/v1/admin/jwt/secrets/rotate", .rpc = "dlc.v1.AdminService/RotateJwtSecret",
     .body = "*"},
    /* Cache (admin token or X-Admin-Password) */
    {"POST", "/api/admin/cache/flush", .rpc = "dlc.v1.AdminService/FlushCache"},
    /* Every RPC method, without a route of its own */
    {"POST", "/rpc/{service}/{method}", .local = dlc_handlers_rpc},
};
const size_t dlc_endpoint_count = sizeof dlc_endpoints / sizeof dlc_endpoints[0];

dlc_router *dlc_routes_compile(const dlc_endpoint *endpoints, size_t n, dlc_route **routes,
                               char *err, size_t errlen)
{
    *routes = calloc(n ? n : 1, sizeof **routes);
    if (!*routes) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    for (size_t i = 0; i < n; i++)
        (*routes)[i] = (dlc_route){endpoints[i].method, endpoints[i].pattern, &endpoints[i]};
    dlc_router *r = dlc_router_new(*routes, n, err, errlen);
    if (!r) {
        free(*routes);
        *routes = NULL;
    }
    return r;
}
