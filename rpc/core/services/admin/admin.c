/* AdminService: users (list, allow a password reset, delete, revoke tokens)
 * and the revocation of master-password tokens here; the JWT
 * secrets in secrets.c, the cache flush in cache.c. */
#include "rpc/core/services/admin/admin.h"

#include "dlc/v1/admin.pb-c.h"
#include "rpc/core/auth/reset_code.h"
#include "rpc/core/services/account.h"
#include "rpc/core/services/admin/cache.h"
#include "rpc/core/services/paging.h"
#include "rpc/core/services/admin/secrets.h"
#include "rpc/core/svc.h"
#include "storage/admin_tokens.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LIST_DEFAULT_PAGE 50
#define LIST_MAX_PAGE 200

static dlc_code fill_page(dlc_call *call, dlc_user *users, size_t n, dlc_page *page,
                          Dlc__V1__ListUsersResponse *r)
{
    r->users = dlc_paging_slots(call, page, n);
    for (size_t i = 0; r->users && i < page->shown; i++) {
        r->users[i] = dlc_account_profile(call, &users[i]);
        if (!r->users[i])
            return dlc_call_fail(call, DLC_INTERNAL, NULL, "out of memory");
    }
    r->n_users = page->shown;
    r->next_page_token = page->more ? dlc_paging_token(call, users[page->shown - 1].id) : "";
    return r->users ? DLC_OK : dlc_call_fail(call, DLC_INTERNAL, NULL, "out of memory");
}

static dlc_code list_users(dlc_call *call, const ProtobufCMessage *in, ProtobufCMessage **out)
{
    const Dlc__V1__ListUsersRequest *rq = (const Dlc__V1__ListUsersRequest *)in;
    dlc_page page;
    if (dlc_paging_begin(call, rq->page_size, rq->page_token, LIST_DEFAULT_PAGE, LIST_MAX_PAGE,
                         &page) != DLC_OK)
        return call->status.code;
    dlc_user *users = NULL;
    size_t n = 0; /* one more than a page tells whether another follows */
    dlc_db_rc rc = dlc_users_list(dlc_svc_db(call), page.cursor, page.limit + 1, call->deadline_ms,
                                  &users, &n);
    if (rc != DLC_DB_OK)
        return dlc_svc_db_fail(call, rc, "list users", NULL);
    Dlc__V1__ListUsersResponse *r = (Dlc__V1__ListUsersResponse *)dlc_call_message(
        call, &dlc__v1__list_users_response__descriptor);
    if (!r)
        return dlc_call_fail(call, DLC_INTERNAL, NULL, "out of memory");
    dlc_code code = fill_page(call, users, n, &page, r);
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
    char *code = dlc_arena_alloc(call->arena, DLC_RESET_CODE_LEN + 1);
    char digest[DLC_RESET_CODE_DIGEST_LEN + 1];
    if (!code)
        return dlc_call_fail(call, DLC_INTERNAL, NULL, "out of memory");
    dlc_reset_code_new(code, digest);
    dlc_user u = {0};
    bool found = false;
    dlc_db_rc rc = dlc_users_allow_reset(dlc_svc_db(call), rq->username, digest,
                                         dlc_svc_config(call)->auth.password_reset.code_ttl_ms,
                                         call->deadline_ms, &u, &found);
    if (rc != DLC_DB_OK)
        return dlc_svc_db_fail(call, rc, "allow reset", NULL);
    if (!found)
        return unknown_user(call);
    Dlc__V1__AllowPasswordResetResponse *r = (Dlc__V1__AllowPasswordResetResponse *)
        dlc_call_message(call, &dlc__v1__allow_password_reset_response__descriptor);
    if (!r)
        return dlc_call_fail(call, DLC_INTERNAL, NULL, "out of memory");
    r->username = dlc_arena_strdup(call->arena, u.username);
    r->allow_password_reset = u.allow_password_reset;
    r->reset_code = code; /* shown this once: only its digest is stored */
    r->expires_at = dlc_svc_time(call, u.reset_expires_at_ms);
    dlc_user_clear(&u);
    *out = &r->base;
    return DLC_OK;
}

/* An empty answer of descriptor d. */
static dlc_code answer_empty(dlc_call *call, const ProtobufCMessageDescriptor *d,
                             ProtobufCMessage **out)
{
    *out = dlc_call_message(call, d);
    return *out ? DLC_OK : dlc_call_fail(call, DLC_INTERNAL, NULL, "out of memory");
}

/* A change of one user by name that answers nothing: NOT_FOUND for
 * unknown (or deleted) users. */
typedef dlc_db_rc (*user_change)(dlc_db *db, const char *username, int64_t deadline_ms,
                                 bool *found);

static dlc_code change_user(dlc_call *call, const char *username, user_change change,
                            const char *what, const ProtobufCMessageDescriptor *answer,
                            ProtobufCMessage **out)
{
    bool found = false;
    dlc_db_rc rc = change(dlc_svc_db(call), username, call->deadline_ms, &found);
    if (rc != DLC_DB_OK)
        return dlc_svc_db_fail(call, rc, what, NULL);
    if (!found)
        return unknown_user(call);
    return answer_empty(call, answer, out);
}

static dlc_code delete_user(dlc_call *call, const ProtobufCMessage *in, ProtobufCMessage **out)
{
    const Dlc__V1__DeleteUserRequest *rq = (const Dlc__V1__DeleteUserRequest *)in;
    return change_user(call, rq->username, dlc_users_soft_delete, "delete user",
                       &dlc__v1__delete_user_response__descriptor, out);
}

static dlc_code revoke_user_tokens(dlc_call *call, const ProtobufCMessage *in,
                                   ProtobufCMessage **out)
{
    const Dlc__V1__RevokeUserTokensRequest *rq = (const Dlc__V1__RevokeUserTokensRequest *)in;
    return change_user(call, rq->username, dlc_users_revoke_tokens, "revoke tokens",
                       &dlc__v1__revoke_user_tokens_response__descriptor, out);
}

static dlc_code revoke_admin_tokens(dlc_call *call, const ProtobufCMessage *in,
                                    ProtobufCMessage **out)
{
    (void)in;
    dlc_db_rc rc = dlc_admin_tokens_revoke(dlc_svc_db(call), call->deadline_ms);
    if (rc != DLC_DB_OK)
        return dlc_svc_db_fail(call, rc, "revoke admin tokens", NULL);
    return answer_empty(call, &dlc__v1__revoke_admin_tokens_response__descriptor, out);
}

int dlc_svc_admin_register(dlc_dispatch *d, char *err, size_t errlen)
{
    /* AllowPasswordReset is not flagged: its answer is a reset code, which
     * must not be kept to be replayed; a repeat issues a new code that
     * replaces the previous one, which is safe. */
    static const dlc_binding bindings[] = {
        {"ListUsers", DLC_ACCESS_ADMIN, list_users, 0},
        {"AllowPasswordReset", DLC_ACCESS_ADMIN, allow_reset, 0},
        {"DeleteUser", DLC_ACCESS_ADMIN, delete_user, DLC_METHOD_WRITES},
        {"RevokeUserTokens", DLC_ACCESS_ADMIN, revoke_user_tokens, DLC_METHOD_WRITES},
        {"RevokeAdminTokens", DLC_ACCESS_ADMIN, revoke_admin_tokens, DLC_METHOD_WRITES},
        {"ListJwtSecrets", DLC_ACCESS_ADMIN, dlc_svc_admin_secrets_list, 0},
        {"AddJwtSecret", DLC_ACCESS_ADMIN, dlc_svc_admin_secrets_add, DLC_METHOD_WRITES},
        {"RotateJwtSecret", DLC_ACCESS_ADMIN, dlc_svc_admin_secrets_rotate, DLC_METHOD_WRITES},
        {"FlushCache", DLC_ACCESS_PUBLIC, dlc_svc_admin_cache_flush, DLC_METHOD_WRITES},
    };
    return dlc_dispatch_add_service(d, &dlc__v1__admin_service__descriptor, bindings,
                                    sizeof bindings / sizeof bindings[0], err, errlen);
}
