/*
 * dlc_account: account rules the auth, user and admin services share —
 * username and password shape, hashing and verifying with their failure
 * mapping, the master password check, the Profile message.
 */
#include "rpc/core/services/account.h"

#include "common/text.h"
#include "rpc/core/auth/auth.h"
#include "rpc/core/limit/ratelimit.h"
#include "rpc/core/svc.h"

#include <ctype.h>
#include <string.h>

bool dlc_account_username_ok(const char *name)
{
    size_t n = strlen(name);
    for (size_t i = 0; i < n; i++) {
        if (!isalnum((unsigned char)name[i]))
            return false;
    }
    return n >= DLC_USERNAME_MIN && n <= DLC_USERNAME_MAX;
}

bool dlc_account_password_ok(dlc_call *call, const char *field, const char *pw)
{
    size_t len = strlen(pw);
    bool ok = dlc_text_check(pw, len, DLC_PASSWORD_MAX, true) == DLC_TEXT_OK &&
              dlc_text_check(pw, len, DLC_PASSWORD_MIN - 1, true) == DLC_TEXT_TOO_LONG;
    if (!ok)
        dlc_status_violation(&call->status, field, "must be %d to %d characters of valid UTF-8",
                             DLC_PASSWORD_MIN, DLC_PASSWORD_MAX);
    return ok;
}

dlc_code dlc_account_invalid(dlc_call *call)
{
    return dlc_call_fail(call, DLC_INVALID_ARGUMENT, "invalid_argument", "invalid request");
}

static dlc_hasher *hasher(const dlc_call *call)
{
    return dlc_svc_of(call)->auth->hasher;
}

/* Hashing is bounded: when the hashing queue is full, or cannot serve the
 * call before its deadline, the caller may retry. A call waits in that
 * queue as a suspended fiber, holding no thread; the queue's bound (far
 * below rpc.max_in_flight) keeps a login flood from taking every context
 * that Check and greet need. */
static dlc_code password_failure(dlc_call *call, dlc_pw_rc rc)
{
    if (rc == DLC_PW_MISMATCH)
        return dlc_call_fail(call, DLC_UNAUTHENTICATED, "invalid_credentials",
                             "invalid username or password");
    if (rc == DLC_PW_BUSY) {
        call->status.retry_after_ms = 1000;
        return dlc_call_fail(call, DLC_UNAVAILABLE, NULL, "too many password operations; retry");
    }
    return dlc_call_fail(call, DLC_INTERNAL, NULL, "password operation failed");
}

dlc_code dlc_account_hash(dlc_call *call, const char *pw, char out[DLC_PASSWORD_HASH_MAX])
{
    dlc_pw_rc rc = dlc_password_hash(hasher(call), pw, strlen(pw), call->deadline_ms, out);
    return rc == DLC_PW_OK ? DLC_OK : password_failure(call, rc);
}

dlc_code dlc_account_verify(dlc_call *call, const char *stored, const char *pw)
{
    /* an unknown user (stored NULL) never verifies: password.c sees to it */
    dlc_pw_rc rc = dlc_password_verify(hasher(call), stored, pw, strlen(pw), call->deadline_ms);
    return rc == DLC_PW_OK ? DLC_OK : password_failure(call, rc);
}

dlc_code dlc_account_check_master(dlc_call *call, const char *password)
{
    if (!dlc_ratelimit_check_master(call))
        return call->status.code;
    const char *hash = dlc_auth_admin_hash(dlc_svc_of(call)->auth);
    return dlc_account_verify(call, hash[0] ? hash : NULL, password);
}

Dlc__V1__Profile *dlc_account_profile(dlc_call *call, const dlc_user *u)
{
    Dlc__V1__Profile *p = (Dlc__V1__Profile *)dlc_call_message(call, &dlc__v1__profile__descriptor);
    if (!p)
        return NULL;
    p->id = u->id;
    p->username = dlc_arena_strdup(call->arena, u->username);
    p->description = dlc_arena_strdup(call->arena, u->description);
    p->current_goal = dlc_arena_strdup(call->arena, u->current_goal);
    p->is_admin = u->is_admin;
    p->created_at = dlc_svc_time(call, u->created_at_ms);
    p->last_login = dlc_svc_time(call, u->last_login_ms);
    return p->username && p->description && p->current_goal && p->created_at && p->last_login
               ? p
               : NULL;
}
