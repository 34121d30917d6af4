/*
 * What the OpenAPI document needs that neither the route table nor the
 * contract says: each RPC method's access and whether it writes (mirrors
 * of the core's dispatch bindings in rpc/core/services/; the unit test
 * test_openapi fails when they differ), and the documentation of the routes
 * the gateway answers itself (gateway/handlers.c, gateway/docs.c). JSON texts
 * use ' for ".
 */
#include "gateway/openapi.h"

#include <string.h>

#define PUBLIC DLC_OPENAPI_PUBLIC
#define OPTIONAL DLC_OPENAPI_TOKEN_OPTIONAL
#define USER DLC_OPENAPI_USER
#define ADMIN DLC_OPENAPI_ADMIN

const dlc_openapi_method dlc_openapi_methods[] = {
    {"dlc.v1.GreetService/Greet", OPTIONAL, false},
    {"dlc.v1.GreetService/GreetV2", OPTIONAL, false},
    {"dlc.v1.GreetService/ListHistory", USER, false},
    {"dlc.v1.SystemService/Check", PUBLIC, false},
    {"dlc.v1.SystemService/GetInfo", PUBLIC, false},
    /* admin tokens only, unless rpc.reflection: public (checked in the
     * handler: public at the dispatch level, like FlushCache) */
    {"dlc.v1.SystemService/ListServices", OPTIONAL, false},
    {"dlc.v1.SystemService/GetFileDescriptorSet", OPTIONAL, false},
    {"dlc.v1.AuthService/RegisterUser", PUBLIC, true},
    {"dlc.v1.AuthService/Login", DLC_OPENAPI_CREDENTIALS, false},
    {"dlc.v1.AuthService/AdminLogin", DLC_OPENAPI_CREDENTIALS, false},
    {"dlc.v1.AuthService/CompletePasswordReset", PUBLIC, true},
    {"dlc.v1.UserService/GetMe", USER, false},
    {"dlc.v1.UserService/UpdateMe", USER, true},
    {"dlc.v1.UserService/ChangePassword", USER, true},
    {"dlc.v1.AdminService/ListUsers", ADMIN, false},
    {"dlc.v1.AdminService/AllowPasswordReset", ADMIN, false},
    {"dlc.v1.AdminService/DeleteUser", ADMIN, true},
    {"dlc.v1.AdminService/RevokeUserTokens", ADMIN, true},
    {"dlc.v1.AdminService/RevokeAdminTokens", ADMIN, true},
    {"dlc.v1.AdminService/ListJwtSecrets", ADMIN, false},
    {"dlc.v1.AdminService/AddJwtSecret", ADMIN, true},
    {"dlc.v1.AdminService/RotateJwtSecret", ADMIN, true},
    {"dlc.v1.AdminService/FlushCache", DLC_OPENAPI_ADMIN_OR_PASSWORD, true},
};
const size_t dlc_openapi_method_count = sizeof dlc_openapi_methods / sizeof dlc_openapi_methods[0];

const dlc_openapi_method *dlc_openapi_method_find(const char *rpc)
{
    for (size_t i = 0; i < dlc_openapi_method_count; i++)
        if (strcmp(dlc_openapi_methods[i].rpc, rpc) == 0)
            return &dlc_openapi_methods[i];
    return NULL;
}

/* ---- local routes -------------------------------------------------------- */

#define STR "{'type':'string'}"
#define INT "{'type':'integer','format':'int64'}"
#define TIME "{'type':'string','format':'date-time'}"
#define CONN "{'type':'object','properties':{'status':{'type':'string','enum':['healthy','unhealthy','unknown']},'error':" STR "}}"
#define READY                                                                                    \
    "{'type':'object','properties':{'ready':{'type':'boolean'},'reason':{'type':'string',"       \
    "'description':'why not ready: shutting_down, rpc_unavailable, database_unhealthy'},"        \
    "'connections':{'type':'object','properties':{'rpc':" CONN ",'database':" CONN "}}}}"
#define CONNECT_ERROR                                                                            \
    "{'description':'Connect error','content':{'application/json':{'schema':"                  \
    "{'$ref':'#/components/schemas/ConnectError'}}}}"
#define ERROR_503 "'503':{'$ref':'#/components/responses/Unavailable'}"

const dlc_openapi_local dlc_openapi_locals[] = {
    {"GET", "/api/health", "health", "System", "Health",
     "Always healthy while the gateway answers (no core needed).", 200, "application/json",
     "{'type':'object','properties':{'status':{'type':'string','const':'healthy'}}}", NULL},
    {"GET", "/api/healthz", "healthz", "System", "Liveness of this gateway",
     "This gateway process is alive; no core needed.", 200, "application/json",
     "{'type':'object','properties':{'status':" STR ",'version':" STR ",'uptime_seconds':" INT
     ",'timestamp':" TIME "}}",
     NULL},
    {"GET", "/api/ready", "ready", "System", "Readiness",
     "Ready when a core answers Check with SERVING (503 otherwise, and at once while the "
     "gateway drains).",
     200, "application/json", READY,
     "{'responses':{'503':{'description':'Not ready','content':{'application/json':{'schema':"
     READY "}}}}}"},
    {"GET", "/metrics", "metrics", "System", "Prometheus metrics of this gateway",
     "Text exposition format 0.0.4: requests by route template, method and status, their "
     "durations, requests in flight, the configuration generation, build and process "
     "figures.",
     200, "text/plain; version=0.0.4", STR, NULL},
    {"GET", "/api/version", "version", "System", "Version of the gateway",
     "Version, commit, build date and compiler; format=plain|short|full answers text/plain.",
     200, "application/json",
     "{'type':'object','properties':{'version':" STR ",'commit':" STR ",'build_date':" TIME
     ",'compiler':" STR "}}",
     "{'parameters':[{'name':'format','in':'query','required':false,'schema':{'type':'string',"
     "'enum':['json','plain','short','full'],'default':'json'}}],'responses':{'200':{'content':"
     "{'text/plain':{'schema':" STR "}}},'400':{'$ref':'#/components/responses/BadRequest'}}}"},
    {"GET", "/api/info", "info", "System", "Build and state of the core",
     "What the core that answered says about itself (GetInfo), plus this gateway's "
     "configuration generation.",
     200, "application/json",
     "{'type':'object','properties':{'version':" STR ",'commit_short':" STR
     ",'build_date':" TIME ",'uptime_seconds':" INT ",'cache_enabled':{'type':'boolean'},"
     "'healthz_status':" STR ",'compiler':" STR ",'config_generation':" INT
     ",'gateway_config_generation':" INT "}}",
     "{'responses':{" ERROR_503 "}}"},
    {"GET", "/api/v1/uptime", "uptime", "System", "Uptime of the core",
     "When the core that answered started, and for how long it has run.", 200,
     "application/json", "{'type':'object','properties':{'start_time':" TIME
     ",'uptime_seconds':" INT "}}",
     "{'responses':{" ERROR_503 "}}"},
    {"GET", "/api/openapi.json", "openapi", "Documentation", "This document",
     "The OpenAPI 3.1 description of this API, generated at gateway start from the route "
     "table and the .proto files.",
     200, "application/json", "{'type':'object'}", NULL},
    {"GET", "/api/docs", "docs", "Documentation", "API reference page",
     "Swagger UI over /api/openapi.json.", 200, "text/html", STR, NULL},
    {"GET", "/api/docs/{file}", "docsAsset", "Documentation", "A file of the reference page",
     "The page's scripts and style sheets (swagger-ui-dist, from server.docs_dir).", 200,
     "application/octet-stream", STR,
     "{'parameters':[{'name':'file','in':'path','required':true,'schema':" STR
     "}],'responses':{'404':{'$ref':'#/components/responses/NotFound'}}}"},
    {"POST", "/rpc/{service}/{method}", "rpc", "RPC", "Any RPC method (Connect unary)",
     "Calls any method of the contract with its input message as the JSON body; "
     "errors are Connect errors ({code, message}).",
     200, "application/json", "{'type':'object'}",
     "{'parameters':[{'name':'service','in':'path','required':true,'schema':" STR
     ",'example':'dlc.v1.GreetService'},{'name':'method','in':'path','required':true,"
     "'schema':" STR ",'example':'Greet'}],'requestBody':{'required':false,'content':"
     "{'application/json':{'schema':{'type':'object'}}}},'security':[{},{'bearerAuth':[]}],"
     "'responses':{'4XX':" CONNECT_ERROR ",'5XX':" CONNECT_ERROR ",'default':" CONNECT_ERROR
     "}}"},
};
const size_t dlc_openapi_local_count = sizeof dlc_openapi_locals / sizeof dlc_openapi_locals[0];
