/*
 * The route table: every REST route of API.md, one row each. Adding an
 * endpoint is one row here plus its proto (and its handler in the core).
 */
#include "gateway/gateway.h"
#include "gateway/local.h"
#include "gateway/metrics.h"

#define GREET "dlc.v1.GreetService/Greet"
#define GREET_V2 "dlc.v1.GreetService/GreetV2"

const dlc_endpoint dlc_endpoints[] = {
    /* System (no auth) */
    {"GET", "/api/health", .local = dlc_local_health},
    {"GET", "/api/healthz", .local = dlc_local_healthz},
    {"GET", "/api/ready", .local = dlc_local_ready},
    {"GET", "/api/version", .local = dlc_local_version},
    {"GET", "/api/info", .local = dlc_local_info},
    {"GET", "/api/v1/uptime", .local = dlc_local_uptime},
    {"GET", "/metrics", .local = dlc_gateway_metrics_serve}, /* Prometheus */
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
    {"POST", "/rpc/{service}/{method}", .local = dlc_local_rpc},
};
const size_t dlc_endpoint_count = sizeof dlc_endpoints / sizeof dlc_endpoints[0];
