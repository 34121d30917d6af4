/*
 * dlc_account: what the auth, user and admin services share about
 * accounts — field rules, password hashing with its failure mapping, and
 * the Profile message built from a stored user.
 */
#ifndef DLC_SVC_ACCOUNT_H
#define DLC_SVC_ACCOUNT_H

#include "dlc/v1/user.pb-c.h"
#include "rpc/core/auth/password.h"
#include "rpc/runtime/call.h"
#include "storage/users.h"

#include <stdbool.h>

#define DLC_USERNAME_MIN 3
#define DLC_USERNAME_MAX 50
#define DLC_PASSWORD_MIN 8
#define DLC_PASSWORD_MAX 128
#define DLC_PROFILE_TEXT_MAX 1000

/* 3–50 ASCII letters or digits. */
bool dlc_account_username_ok(const char *name);

/* Adds a violation on field unless pw is 8–128 characters of valid UTF-8. */
bool dlc_account_password_ok(dlc_call *call, const char *field, const char *pw);

/* Hashes pw into out; on failure sets the call's status (busy →
 * UNAVAILABLE "unavailable" with Retry-After) and returns its code. */
dlc_code dlc_account_hash(dlc_call *call, const char *pw, char out[DLC_PASSWORD_HASH_MAX]);

/* Verifies pw against stored (NULL: unknown user, same cost). OK, or the
 * call fails: UNAUTHENTICATED "invalid_credentials", or busy/internal. */
dlc_code dlc_account_verify(dlc_call *call, const char *stored, const char *pw);

/* The master password (AdminLogin, X-Admin-Password): rate limited per
 * client like a login, then verified against auth.admin_master_password's
 * hash (a dummy when admin login is disabled, so "disabled" and "wrong"
 * look alike). OK, or the call has failed. */
dlc_code dlc_account_check_master(dlc_call *call, const char *password);

/* INVALID_ARGUMENT "invalid_argument" after violations were added. */
dlc_code dlc_account_invalid(dlc_call *call);

/* The Profile of u, from the call's arena (NULL when out of memory). */
Dlc__V1__Profile *dlc_account_profile(dlc_call *call, const dlc_user *u);

#endif
