/*
 * GreetService: Greet (cached for anonymous callers), GreetV2, and the
 * caller's greet history (ListHistory).
 */
#include "rpc/core/services/greet.h"

#include "common/text.h"
#include "dlc/v1/greet.pb-c.h"
#include "rpc/core/auth/auth.h"
#include "rpc/core/limit/ratelimit.h"
#include "rpc/core/services/paging.h"
#include "rpc/core/svc.h"
#include "storage/greetings.h"
#include "storage/users.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HISTORY_DEFAULT_PAGE 20
#define HISTORY_MAX_PAGE 100

/* A name is optional; when given it must be short printable UTF-8. */
static dlc_code check_name(dlc_call *call, const char *name)
{
    dlc_text_rc rc = dlc_text_check(name, strlen(name), DLC_GREET_NAME_MAX_CHARS, false);
    if (rc == DLC_TEXT_OK)
        return DLC_OK;
    if (rc == DLC_TEXT_TOO_LONG)
        dlc_status_violation(&call->status, "name", "must be at most %d characters",
                             DLC_GREET_NAME_MAX_CHARS);
    else
        dlc_status_violation(&call->status, "name", "%s", dlc_text_rc_describe(rc));
    return dlc_call_fail(call, DLC_INVALID_ARGUMENT, "invalid_argument", "invalid name");
}

/* Checks the name and who is calling: *who is NULL without a token; a
 * token that does not verify fails the call. */
static dlc_code prepare(dlc_call *call, const char *name, const dlc_principal **who)
{
    bool failed = false;
    if (check_name(call, name) != DLC_OK)
        return call->status.code;
    *who = dlc_auth_optional(call, &failed);
    return failed ? call->status.code : DLC_OK;
}

/* Greetings of users are kept (the master-password admin has no history). */
static dlc_code record(dlc_call *call, const dlc_principal *who, const char *message,
                       const char *api, const char *name)
{
    if (!who || who->user_id <= 0)
        return DLC_OK;
    json_t *ctx = json_pack("{s:s,s:s}", "api", api, "name", name);
    char *ctx_text = ctx ? json_dumps(ctx, JSON_COMPACT) : NULL;
    json_decref(ctx);
    dlc_db_rc rc =
        dlc_greetings_add(dlc_svc_db(call), who->user_id, message, ctx_text, call->deadline_ms);
    free(ctx_text);
    return rc == DLC_DB_OK ? DLC_OK : dlc_svc_db_fail(call, rc, "greet history", NULL);
}

static dlc_code reply(dlc_call *call, ProtobufCMessage **out, char *message)
{
    Dlc__V1__GreetResponse *resp =
        (Dlc__V1__GreetResponse *)dlc_call_message(call, &dlc__v1__greet_response__descriptor);
    if (!resp || !message)
        return dlc_call_fail(call, DLC_INTERNAL, NULL, "out of memory");
    resp->message = message;
    *out = &resp->base;
    return DLC_OK;
}

/* "Hello ann!", with the current goal when the user has set one. */
static char *personal_greeting(dlc_call *call, const dlc_principal *who)
{
    dlc_user u = {0};
    bool found = false;
    if (who->user_id > 0 && dlc_users_find_by_id(dlc_svc_db(call), who->user_id, call->deadline_ms,
                                                 &u, &found) != DLC_DB_OK)
        found = false; /* the greeting still works; only the goal is left out */
    char *msg = found && u.current_goal[0]
                    ? dlc_arena_printf(call->arena, "Hello %s! Your current goal: %s",
                                       who->username, u.current_goal)
                    : dlc_arena_printf(call->arena, "Hello %s!", who->username);
    dlc_user_clear(&u);
    return msg;
}

/* Greet and GreetV2 are rate limited per client (greet policy); a direct
 * caller with a token is keyed by its subject. */
static bool admitted(dlc_call *call, const dlc_principal *who)
{
    char subject[32];
    snprintf(subject, sizeof subject, "%lld", who ? (long long)who->user_id : 0LL);
    return dlc_ratelimit_check_client(call, DLC_RL_GREET, who ? subject : NULL);
}

/* Anonymous greetings are the same for everyone: cached per name.
 * Personalised ones (a token) are never cached, and are recorded. */
static dlc_code greet_v1(dlc_call *call, const ProtobufCMessage *in, ProtobufCMessage **out)
{
    const Dlc__V1__GreetRequest *req = (const Dlc__V1__GreetRequest *)in;
    const dlc_principal *who = NULL;
    if (prepare(call, req->name, &who) != DLC_OK || !admitted(call, who))
        return call->status.code;
    char *key = who ? NULL : dlc_arena_printf(call->arena, "greet:v1:%s", req->name);
    if (key && (*out = dlc_svc_cache_get(call, key, &dlc__v1__greet_response__descriptor)))
        return DLC_OK;
    char *msg = req->name[0] ? dlc_arena_printf(call->arena, "Hello %s!", req->name)
                : who        ? personal_greeting(call, who)
                             : dlc_arena_strdup(call->arena, "Hello world!");
    if (msg && record(call, who, msg, "v1", req->name) != DLC_OK)
        return call->status.code;
    dlc_code code = reply(call, out, msg);
    if (code == DLC_OK && key)
        dlc_svc_cache_put(call, key, *out, dlc_svc_config(call)->cache.greet_ttl_seconds);
    return code;
}

static dlc_code greet_v2(dlc_call *call, const ProtobufCMessage *in, ProtobufCMessage **out)
{
    const Dlc__V1__GreetRequest *req = (const Dlc__V1__GreetRequest *)in;
    const dlc_principal *who = NULL;
    if (!dlc_svc_config(call)->api.v2_enabled)
        return dlc_call_fail(call, DLC_NOT_FOUND, "not_found", "v2 API is currently disabled");
    if (prepare(call, req->name, &who) != DLC_OK || !admitted(call, who))
        return call->status.code;
    char *msg = req->name[0] ? dlc_arena_printf(call->arena, "Hello my friend %s!", req->name)
                             : dlc_arena_strdup(call->arena, "Hello my friend!");
    if (msg && record(call, who, msg, "v2", req->name) != DLC_OK)
        return call->status.code;
    return reply(call, out, msg);
}

static dlc_code fill_history(dlc_call *call, dlc_greeting *g, size_t n, dlc_page *page,
                             Dlc__V1__ListHistoryResponse *r)
{
    r->greetings = dlc_paging_slots(call, page, n);
    for (size_t i = 0; r->greetings && i < page->shown; i++) {
        Dlc__V1__Greeting *item =
            (Dlc__V1__Greeting *)dlc_call_message(call, &dlc__v1__greeting__descriptor);
        if (!item)
            return dlc_call_fail(call, DLC_INTERNAL, NULL, "out of memory");
        item->message = dlc_arena_strdup(call->arena, g[i].message);
        item->created_at = dlc_svc_time(call, g[i].created_at_ms);
        r->greetings[i] = item;
    }
    r->n_greetings = page->shown;
    r->next_page_token = page->more ? dlc_paging_token(call, g[page->shown - 1].id) : "";
    return r->greetings ? DLC_OK : dlc_call_fail(call, DLC_INTERNAL, NULL, "out of memory");
}

static dlc_code list_history(dlc_call *call, const ProtobufCMessage *in, ProtobufCMessage **out)
{
    const Dlc__V1__ListHistoryRequest *rq = (const Dlc__V1__ListHistoryRequest *)in;
    const dlc_principal *who = call->principal;
    dlc_page page;
    if (dlc_paging_begin(call, rq->page_size, rq->page_token, HISTORY_DEFAULT_PAGE,
                         HISTORY_MAX_PAGE, &page) != DLC_OK)
        return call->status.code;
    dlc_greeting *g = NULL;
    size_t n = 0; /* one more than a page tells whether another follows */
    dlc_db_rc rc = who->user_id > 0 ? dlc_greetings_list(dlc_svc_db(call), who->user_id, page.cursor,
                                                         page.limit + 1, call->deadline_ms, &g, &n)
                                    : DLC_DB_OK;
    if (rc != DLC_DB_OK)
        return dlc_svc_db_fail(call, rc, "greet history", NULL);
    Dlc__V1__ListHistoryResponse *r = (Dlc__V1__ListHistoryResponse *)dlc_call_message(
        call, &dlc__v1__list_history_response__descriptor);
    if (!r)
        return dlc_call_fail(call, DLC_INTERNAL, NULL, "out of memory");
    dlc_code code = fill_history(call, g, n, &page, r);
    for (size_t i = 0; i < n; i++)
        free(g[i].message);
    free(g);
    *out = &r->base;
    return code;
}

int dlc_svc_greet_register(dlc_dispatch *d, char *err, size_t errlen)
{
    static const dlc_binding bindings[] = {
        {"Greet", DLC_ACCESS_PUBLIC, greet_v1, 0},
        {"GreetV2", DLC_ACCESS_PUBLIC, greet_v2, 0},
        {"ListHistory", DLC_ACCESS_USER, list_history, 0},
    };
    return dlc_dispatch_add_service(d, &dlc__v1__greet_service__descriptor, bindings, 3, err,
                                    errlen);
}
