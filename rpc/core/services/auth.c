/*
 * AuthService: RegisterUser, Login, AdminLogin and CompletePasswordReset,
 * and the tokens they issue.
 */
#include "rpc/core/services/auth.h"

#include "common/clock.h"
#include "dlc/v1/auth.pb-c.h"
#include "rpc/core/auth/auth.h"
#include "rpc/core/auth/reset_code.h"
#include "rpc/core/limit/ratelimit.h"
#include "rpc/core/services/account.h"
#include "rpc/core/svc.h"
#include "storage/admin_tokens.h"
#include "storage/users.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const dlc_auth *auth_of(const dlc_call *call)
{
    return dlc_svc_of(call)->auth;
}

static dlc_code register_user(dlc_call *call, const ProtobufCMessage *in, ProtobufCMessage **out)
{
    const Dlc__V1__RegisterRequest *rq = (const Dlc__V1__RegisterRequest *)in;
    bool ok = dlc_account_username_ok(rq->username);
    if (!ok)
        dlc_status_violation(&call->status, "username", "must be %d to %d ASCII letters or digits",
                             DLC_USERNAME_MIN, DLC_USERNAME_MAX);
    if (!dlc_account_password_ok(call, "password", rq->password) || !ok)
        return dlc_account_invalid(call);
    if (!dlc_ratelimit_check_password_work(call, DLC_RL_REGISTER_IP, DLC_RL_REGISTER, DLC_RL_COUNT,
                                           NULL))
        return call->status.code;
    char hash[DLC_PASSWORD_HASH_MAX];
    if (dlc_account_hash(call, rq->password, hash) != DLC_OK)
        return call->status.code;
    dlc_user u = {0};
    bool taken = false;
    dlc_db_rc rc =
        dlc_users_create(dlc_svc_db(call), rq->username, hash, call->deadline_ms, &u, &taken);
    if (rc != DLC_DB_OK)
        return dlc_svc_db_fail(call, rc, "register", NULL);
    if (taken) {
        dlc_status_violation(&call->status, "username", "is already taken");
        return dlc_call_fail(call, DLC_ALREADY_EXISTS, "already_exists", "username already taken");
    }
    Dlc__V1__RegisterResponse *r = (Dlc__V1__RegisterResponse *)dlc_call_message(
        call, &dlc__v1__register_response__descriptor);
    if (!r)
        return dlc_call_fail(call, DLC_INTERNAL, NULL, "out of memory");
    r->id = u.id;
    r->username = dlc_arena_strdup(call->arena, u.username);
    r->created_at = dlc_svc_time(call, u.created_at_ms);
    dlc_user_clear(&u);
    *out = &r->base;
    return DLC_OK;
}

/* Signs a token for the claims and fills a TokenResponse. */
static dlc_code issue(dlc_call *call, const dlc_claims *claims, ProtobufCMessage **out)
{
    const dlc_auth *a = auth_of(call);
    char *token = NULL;
    dlc_claims issued;
    dlc_jwt_opts opts = a->jwt;
    opts.ttl_ms = dlc_svc_config(call)->auth.jwt.ttl_ms; /* hot-reloadable: new tokens only */
    dlc_jwt_rc rc = dlc_jwt_sign(a->keyring, &opts, claims, dlc_clock_wall_ms(), &token, &issued);
    if (rc != DLC_JWT_OK)
        return dlc_call_fail(call, DLC_INTERNAL, NULL, "cannot sign a token (%s)",
                             dlc_jwt_rc_name(rc));
    Dlc__V1__TokenResponse *r =
        (Dlc__V1__TokenResponse *)dlc_call_message(call, &dlc__v1__token_response__descriptor);
    if (!r)
        return dlc_call_fail(call, DLC_INTERNAL, NULL, "out of memory");
    r->token = dlc_arena_strdup(call->arena, token);
    free(token);
    r->token_type = "Bearer";
    r->expires_in = issued.exp - issued.iat;
    r->expires_at = dlc_svc_time(call, issued.exp * 1000);
    *out = &r->base;
    return DLC_OK;
}

/* A hash made with other settings (hash_strength changed) is replaced at
 * the next successful login, so old accounts stop timing differently. A
 * failure here only delays the upgrade: the login itself succeeded. */
static void upgrade_hash(dlc_call *call, int64_t id, bool needed, const char *password)
{
    char hash[DLC_PASSWORD_HASH_MAX];
    if (needed && dlc_account_hash(call, password, hash) == DLC_OK)
        dlc_users_rehash(dlc_svc_db(call), id, hash, call->deadline_ms);
    dlc_status_clear(&call->status);
}

static dlc_code login(dlc_call *call, const ProtobufCMessage *in, ProtobufCMessage **out)
{
    const Dlc__V1__LoginRequest *rq = (const Dlc__V1__LoginRequest *)in;
    /* No account has a name of another shape: refused before any budget
     * is charged or any hash computed (the shape rules are public). */
    if (!dlc_account_username_ok(rq->username))
        return dlc_call_fail(call, DLC_UNAUTHENTICATED, "invalid_credentials",
                             "invalid username or password");
    if (!dlc_ratelimit_check_login(call, rq->username))
        return call->status.code;
    dlc_user u = {0};
    bool found = false;
    dlc_db_rc rc =
        dlc_users_find_by_name(dlc_svc_db(call), rq->username, call->deadline_ms, &u, &found);
    if (rc != DLC_DB_OK)
        return dlc_svc_db_fail(call, rc, "login", NULL);
    /* Unknown users cost the same hash as known ones (a dummy). */
    dlc_code verdict = dlc_account_verify(call, found ? u.password_hash : NULL, rq->password);
    bool stored_needs_rehash =
        found && dlc_password_needs_rehash(auth_of(call)->hasher, u.password_hash);
    dlc_claims c = {.is_admin = found && u.is_admin, .gen = u.token_generation};
    snprintf(c.sub, sizeof c.sub, "%lld", (long long)u.id);
    snprintf(c.username, sizeof c.username, "%s", found ? u.username : "");
    int64_t id = u.id;
    dlc_user_clear(&u);
    if (verdict != DLC_OK)
        return verdict;
    dlc_ratelimit_login_ok(call, rq->username); /* only failures count per username */
    upgrade_hash(call, id, stored_needs_rehash, rq->password);
    rc = dlc_users_touch_login(dlc_svc_db(call), id, call->deadline_ms);
    if (rc != DLC_DB_OK)
        return dlc_svc_db_fail(call, rc, "login", NULL);
    return issue(call, &c, out);
}

static dlc_code admin_login(dlc_call *call, const ProtobufCMessage *in, ProtobufCMessage **out)
{
    const Dlc__V1__AdminLoginRequest *rq = (const Dlc__V1__AdminLoginRequest *)in;
    if (dlc_account_check_master(call, rq->master_password) != DLC_OK)
        return call->status.code;
    dlc_claims c = {.sub = "admin", .username = "admin", .is_admin = true};
    dlc_db_rc rc = dlc_admin_tokens_generation(dlc_svc_db(call), call->deadline_ms, &c.gen);
    if (rc != DLC_DB_OK)
        return dlc_svc_db_fail(call, rc, "admin login", NULL);
    return issue(call, &c, out);
}

static dlc_code reset_refused(dlc_call *call)
{
    return dlc_call_fail(call, DLC_PERMISSION_DENIED, "password_reset_not_allowed",
                         "password reset is not allowed for this user");
}

/* Field rules first (400): they say nothing about any user. */
static bool reset_request_ok(dlc_call *call, const Dlc__V1__CompletePasswordResetRequest *rq)
{
    bool ok = dlc_account_password_ok(call, "new_password", rq->new_password);
    if (!rq->reset_code[0]) {
        dlc_status_violation(&call->status, "reset_code", "is required: the code an admin gave");
        ok = false;
    }
    return ok;
}

static dlc_code complete_reset(dlc_call *call, const ProtobufCMessage *in, ProtobufCMessage **out)
{
    const Dlc__V1__CompletePasswordResetRequest *rq =
        (const Dlc__V1__CompletePasswordResetRequest *)in;
    if (!reset_request_ok(call, rq))
        return dlc_account_invalid(call);
    /* No account has a name, and no code a shape, other than the public
     * rules give: refused as a wrong code would be, before any work. */
    if (!dlc_account_username_ok(rq->username) || !dlc_reset_code_shape_ok(rq->reset_code))
        return reset_refused(call);
    if (!dlc_ratelimit_check_password_work(call, DLC_RL_RESET_IP, DLC_RL_RESET, DLC_RL_RESET_USER,
                                           rq->username))
        return call->status.code;
    /* Hashed whatever the outcome: every refusal takes as long. */
    char hash[DLC_PASSWORD_HASH_MAX], digest[DLC_RESET_CODE_DIGEST_LEN + 1];
    if (dlc_account_hash(call, rq->new_password, hash) != DLC_OK)
        return call->status.code;
    dlc_reset_code_digest(rq->reset_code, digest);
    dlc_reset_completion r = {rq->username, digest, hash,
                              dlc_svc_config(call)->auth.password_reset.max_failures};
    bool done = false;
    dlc_db_rc rc = dlc_users_complete_reset(dlc_svc_db(call), &r, call->deadline_ms, &done);
    if (rc != DLC_DB_OK)
        return dlc_svc_db_fail(call, rc, "password reset", NULL);
    if (!done) /* unknown, deleted and unflagged users and wrong codes look alike */
        return reset_refused(call);
    Dlc__V1__CompletePasswordResetResponse *resp =
        (Dlc__V1__CompletePasswordResetResponse *)dlc_call_message(
            call, &dlc__v1__complete_password_reset_response__descriptor);
    if (!resp)
        return dlc_call_fail(call, DLC_INTERNAL, NULL, "out of memory");
    resp->reset = true;
    *out = &resp->base;
    return DLC_OK;
}

int dlc_svc_auth_register(dlc_dispatch *d, char *err, size_t errlen)
{
    static const dlc_binding bindings[] = {
        {"RegisterUser", DLC_ACCESS_PUBLIC, register_user, DLC_METHOD_WRITES},
        {"Login", DLC_ACCESS_PUBLIC, login, 0},
        {"AdminLogin", DLC_ACCESS_PUBLIC, admin_login, 0},
        {"CompletePasswordReset", DLC_ACCESS_PUBLIC, complete_reset, DLC_METHOD_WRITES},
    };
    return dlc_dispatch_add_service(d, &dlc__v1__auth_service__descriptor, bindings, 4, err,
                                    errlen);
}
