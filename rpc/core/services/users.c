#include "rpc/core/services/users.h"

#include "common/text.h"
#include "dlc/v1/admin.pb-c.h"
#include "rpc/core/auth/auth.h"
#include "rpc/core/core.h"
#include "rpc/core/services/account.h"
#include "rpc/core/services/cache.h"
#include "rpc/core/services/secrets.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- the caller's own profile ------------------------------------------ */

/* The caller's stored user. The admin of the master password has none. */
static dlc_code load_me(dlc_call *call, dlc_user *u)
{
    const dlc_principal *p = call->principal;
    bool found = false;
    dlc_db_rc rc = p->user_id > 0 ? dlc_users_find_by_id(dlc_core_db(call), p->user_id,
                                                         call->deadline_ms, u, &found)
                                  : DLC_DB_OK;
    if (rc != DLC_DB_OK)
        return dlc_core_db_fail(call, rc, "profile", NULL);
    return found ? DLC_OK : dlc_call_fail(call, DLC_NOT_FOUND, "not_found", "no profile for this token");
}

static dlc_code answer_profile(dlc_call *call, dlc_user *u, ProtobufCMessage **out)
{
    Dlc__V1__Profile *p = dlc_account_profile(call, u);
    dlc_user_clear(u);
    if (!p)
        return dlc_call_fail(call, DLC_INTERNAL, NULL, "out of memory");
    *out = &p->base;
    return DLC_OK;
}

static dlc_code get_me(dlc_call *call, const ProtobufCMessage *in, ProtobufCMessage **out)
{
    (void)in;
    dlc_user u = {0};
    return load_me(call, &u) == DLC_OK ? answer_profile(call, &u, out) : call->status.code;
}

/* A present profile text must be short printable text (newlines allowed). */
static bool text_ok(dlc_call *call, const char *field, const char *text)
{
    dlc_text_rc rc = text ? dlc_text_check(text, strlen(text), DLC_PROFILE_TEXT_MAX, true)
                          : DLC_TEXT_OK;
    if (rc == DLC_TEXT_TOO_LONG)
        dlc_status_violation(&call->status, field, "must be at most %d characters",
                             DLC_PROFILE_TEXT_MAX);
    else if (rc != DLC_TEXT_OK)
        dlc_status_violation(&call->status, field, "%s", dlc_text_rc_describe(rc));
    return rc == DLC_TEXT_OK;
}

static dlc_code update_me(dlc_call *call, const ProtobufCMessage *in, ProtobufCMessage **out)
{
    const Dlc__V1__UpdateMeRequest *rq = (const Dlc__V1__UpdateMeRequest *)in;
    const char *description =
        rq->description_set_case == DLC__V1__UPDATE_ME_REQUEST__DESCRIPTION_SET_DESCRIPTION
            ? rq->description
            : NULL;
    const char *goal =
        rq->current_goal_set_case == DLC__V1__UPDATE_ME_REQUEST__CURRENT_GOAL_SET_CURRENT_GOAL
            ? rq->current_goal
            : NULL;
    bool ok = text_ok(call, "description", description);
    if (!text_ok(call, "current_goal", goal) || !ok)
        return dlc_account_invalid(call);
    const dlc_principal *p = call->principal;
    dlc_user u = {0};
    bool found = false;
    dlc_db_rc rc = p->user_id > 0 ? dlc_users_update_profile(dlc_core_db(call), p->user_id,
                                                             description, goal, call->deadline_ms,
                                                             &u, &found)
                                  : DLC_DB_OK;
    if (rc != DLC_DB_OK)
        return dlc_core_db_fail(call, rc, "profile update", NULL);
    if (!found)
        return dlc_call_fail(call, DLC_NOT_FOUND, "not_found", "no profile for this token");
    return answer_profile(call, &u, out);
}

static dlc_code change_password(dlc_call *call, const ProtobufCMessage *in, ProtobufCMessage **out)
{
    const Dlc__V1__ChangePasswordRequest *rq = (const Dlc__V1__ChangePasswordRequest *)in;
    if (!dlc_account_password_ok(call, "new_password", rq->new_password))
        return dlc_account_invalid(call);
    dlc_user u = {0};
    if (load_me(call, &u) != DLC_OK)
        return call->status.code;
    dlc_code verdict = dlc_account_verify(call, u.password_hash, rq->current_password);
    int64_t id = u.id;
    dlc_user_clear(&u);
    char hash[DLC_PASSWORD_HASH_MAX];
    if (verdict != DLC_OK || dlc_account_hash(call, rq->new_password, hash) != DLC_OK)
        return call->status.code;
    bool found = false;
    dlc_db_rc rc = dlc_users_set_password(dlc_core_db(call), id, hash, call->deadline_ms, &found);
    if (rc != DLC_DB_OK)
        return dlc_core_db_fail(call, rc, "password change", NULL);
    if (!found) /* deleted meanwhile: nothing changed, say so */
        return dlc_call_fail(call, DLC_UNAUTHENTICATED, "unauthorized",
                             "the token's user no longer exists");
    *out = dlc_call_message(call, &dlc__v1__change_password_response__descriptor);
    if (!*out)
        return dlc_call_fail(call, DLC_INTERNAL, NULL, "out of memory");
    return DLC_OK;
}

int dlc_user_service_register(dlc_dispatch *d, char *err, size_t errlen)
{
    static const dlc_binding bindings[] = {
        {"GetMe", DLC_ACCESS_USER, get_me},
        {"UpdateMe", DLC_ACCESS_USER, update_me},
        {"ChangePassword", DLC_ACCESS_USER, change_password},
    };
    return dlc_dispatch_add_service(d, &dlc__v1__user_service__descriptor, bindings, 3, err,
                                    errlen);
}

/* ---- administration ---------------------------------------------------- */

static dlc_code fill_page(dlc_call *call, dlc_user *users, size_t n, int limit,
                          Dlc__V1__ListUsersResponse *r)
{
    size_t shown = n > (size_t)limit ? (size_t)limit : n;
    r->users = dlc_arena_zalloc(call->arena, (shown ? shown : 1) * sizeof *r->users);
    for (size_t i = 0; r->users && i < shown; i++) {
        r->users[i] = dlc_account_profile(call, &users[i]);
        if (!r->users[i])
            return dlc_call_fail(call, DLC_INTERNAL, NULL, "out of memory");
    }
    r->n_users = shown;
    r->next_page_token = n > shown ? dlc_account_page_token(call, users[shown - 1].id) : "";
    return r->users ? DLC_OK : dlc_call_fail(call, DLC_INTERNAL, NULL, "out of memory");
}

static dlc_code list_users(dlc_call *call, const ProtobufCMessage *in, ProtobufCMessage **out)
{
    const Dlc__V1__ListUsersRequest *rq = (const Dlc__V1__ListUsersRequest *)in;
    int64_t after = 0;
    int limit;
    if (dlc_account_page(call, rq->page_size, rq->page_token, DLC_LIST_DEFAULT_PAGE,
                         DLC_LIST_MAX_PAGE, &limit, &after) != DLC_OK)
        return call->status.code;
    dlc_user *users = NULL;
    size_t n = 0; /* one more than a page tells whether another follows */
    dlc_db_rc rc = dlc_users_list(dlc_core_db(call), after, limit + 1, call->deadline_ms, &users, &n);
    if (rc != DLC_DB_OK)
        return dlc_core_db_fail(call, rc, "list users", NULL);
    Dlc__V1__ListUsersResponse *r = (Dlc__V1__ListUsersResponse *)dlc_call_message(
        call, &dlc__v1__list_users_response__descriptor);
    if (!r)
        return dlc_call_fail(call, DLC_INTERNAL, NULL, "out of memory");
    dlc_code code = fill_page(call, users, n, limit, r);
    for (size_t i = 0; i < n; i++)
        dlc_user_clear(&users[i]);
    free(users);
    *out = &r->base;
    return code;
}

static dlc_code unknown_user(dlc_call *call)
{
    return dlc_call_fail(call, DLC_NOT_FOUND, "not_found", "no such user");
}

static dlc_code allow_reset(dlc_call *call, const ProtobufCMessage *in, ProtobufCMessage **out)
{
    const Dlc__V1__AllowPasswordResetRequest *rq = (const Dlc__V1__AllowPasswordResetRequest *)in;
    dlc_user u = {0};
    bool found = false;
    dlc_db_rc rc = dlc_users_allow_reset(dlc_core_db(call), rq->username, call->deadline_ms, &u,
                                         &found);
    if (rc != DLC_DB_OK)
        return dlc_core_db_fail(call, rc, "allow reset", NULL);
    if (!found)
        return unknown_user(call);
    Dlc__V1__AllowPasswordResetResponse *r = (Dlc__V1__AllowPasswordResetResponse *)
        dlc_call_message(call, &dlc__v1__allow_password_reset_response__descriptor);
    if (!r)
        return dlc_call_fail(call, DLC_INTERNAL, NULL, "out of memory");
    r->username = dlc_arena_strdup(call->arena, u.username);
    r->allow_password_reset = u.allow_password_reset;
    dlc_user_clear(&u);
    *out = &r->base;
    return DLC_OK;
}

static dlc_code delete_user(dlc_call *call, const ProtobufCMessage *in, ProtobufCMessage **out)
{
    const Dlc__V1__DeleteUserRequest *rq = (const Dlc__V1__DeleteUserRequest *)in;
    bool found = false;
    dlc_db_rc rc = dlc_users_soft_delete(dlc_core_db(call), rq->username, call->deadline_ms,
                                         &found);
    if (rc != DLC_DB_OK)
        return dlc_core_db_fail(call, rc, "delete user", NULL);
    if (!found)
        return unknown_user(call);
    *out = dlc_call_message(call, &dlc__v1__delete_user_response__descriptor);
    if (!*out)
        return dlc_call_fail(call, DLC_INTERNAL, NULL, "out of memory");
    return DLC_OK;
}

int dlc_admin_service_register(dlc_dispatch *d, char *err, size_t errlen)
{
    static const dlc_binding bindings[] = {
        {"ListUsers", DLC_ACCESS_ADMIN, list_users},
        {"AllowPasswordReset", DLC_ACCESS_ADMIN, allow_reset},
        {"DeleteUser", DLC_ACCESS_ADMIN, delete_user},
        {"ListJwtSecrets", DLC_ACCESS_ADMIN, dlc_secrets_svc_list},
        {"AddJwtSecret", DLC_ACCESS_ADMIN, dlc_secrets_svc_add},
        {"RotateJwtSecret", DLC_ACCESS_ADMIN, dlc_secrets_svc_rotate},
        {"FlushCache", DLC_ACCESS_PUBLIC, dlc_cache_svc_flush},
    };
    return dlc_dispatch_add_service(d, &dlc__v1__admin_service__descriptor, bindings,
                                    sizeof bindings / sizeof bindings[0], err, errlen);
}
