/* UserService: the caller's own profile — GetMe, UpdateMe, ChangePassword. */
#include "rpc/core/services/users.h"

#include "common/text.h"
#include "rpc/core/auth/auth.h"
#include "rpc/core/limit/ratelimit.h"
#include "rpc/core/services/account.h"
#include "rpc/core/svc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- the caller's own profile ------------------------------------------ */

/* Not found: the admin of the master password has no profile (404); a
 * user's row gone means a deletion that reached this core's principal cache
 * after the call was authorized (401, as for any deleted user's token). */
static dlc_code no_profile(dlc_call *call)
{
    const dlc_principal *p = call->principal;
    if (p->user_id > 0)
        return dlc_call_fail(call, DLC_UNAUTHENTICATED, "unauthorized",
                             "the token's user no longer exists");
    return dlc_call_fail(call, DLC_NOT_FOUND, "not_found", "no profile for this token");
}

/* The caller's stored user. The admin of the master password has none. */
static dlc_code load_me(dlc_call *call, dlc_user *u)
{
    const dlc_principal *p = call->principal;
    bool found = false;
    dlc_db_rc rc = p->user_id > 0 ? dlc_users_find_by_id(dlc_svc_db(call), p->user_id,
                                                         call->deadline_ms, u, &found)
                                  : DLC_DB_OK;
    if (rc != DLC_DB_OK)
        return dlc_svc_db_fail(call, rc, "profile", NULL);
    return found ? DLC_OK : no_profile(call);
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
    dlc_db_rc rc = p->user_id > 0
                       ? dlc_users_update_profile(dlc_svc_db(call), p->user_id, description, goal,
                                                  call->deadline_ms, &u, &found)
                       : DLC_DB_OK;
    if (rc != DLC_DB_OK)
        return dlc_svc_db_fail(call, rc, "profile update", NULL);
    if (!found)
        return no_profile(call);
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
    /* Guessing the current password with a stolen token costs what
     * guessing it at login does: the same budgets, charged before the hash. */
    if (!dlc_ratelimit_check_login(call, u.username)) {
        dlc_user_clear(&u);
        return call->status.code;
    }
    dlc_code verdict = dlc_account_verify(call, u.password_hash, rq->current_password);
    if (verdict == DLC_OK)
        dlc_ratelimit_login_ok(call, u.username);
    int64_t id = u.id;
    dlc_user_clear(&u);
    char hash[DLC_PASSWORD_HASH_MAX];
    if (verdict != DLC_OK || dlc_account_hash(call, rq->new_password, hash) != DLC_OK)
        return call->status.code;
    bool found = false;
    dlc_db_rc rc = dlc_users_set_password(dlc_svc_db(call), id, hash, call->deadline_ms, &found);
    if (rc != DLC_DB_OK)
        return dlc_svc_db_fail(call, rc, "password change", NULL);
    if (!found) /* deleted meanwhile: nothing changed, say so */
        return dlc_call_fail(call, DLC_UNAUTHENTICATED, "unauthorized",
                             "the token's user no longer exists");
    /* The caller's tokens are revoked: on this core at once (a repeat of
     * this call with its token meets 401 every time), elsewhere when the
     * NOTIFY of the commit arrives. */
    dlc_principals_invalidate(dlc_svc_of(call)->auth->principals, id);
    *out = dlc_call_message(call, &dlc__v1__change_password_response__descriptor);
    if (!*out)
        return dlc_call_fail(call, DLC_INTERNAL, NULL, "out of memory");
    return DLC_OK;
}

int dlc_svc_users_register(dlc_dispatch *d, char *err, size_t errlen)
{
    static const dlc_binding bindings[] = {
        {"GetMe", DLC_ACCESS_USER, get_me, 0},
        {"UpdateMe", DLC_ACCESS_USER, update_me, DLC_METHOD_WRITES},
        {"ChangePassword", DLC_ACCESS_USER, change_password, DLC_METHOD_WRITES},
    };
    return dlc_dispatch_add_service(d, &dlc__v1__user_service__descriptor, bindings, 3, err,
                                    errlen);
}
