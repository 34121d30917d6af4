/*
 * dlc_users: the users table (migrations/0001_users.sql; greet_history is
 * storage/greetings.h's). Every function runs registered prepared statements on the
 * caller's dlc_db within deadline_ms, and returns a dlc_db_rc; "not found"
 * is not an error (found/changed out-parameters say it).
 *
 * Soft delete: deleted users (deleted_at set) are invisible to every lookup
 * and cannot log in; their username stays taken (unique index on
 * lower(username) covers deleted rows too).
 * Strings in dlc_user are owned by it (dlc_user_clear frees them).
 *
 * Errors: the codes of dlc_db_exec, unchanged (constraint violations such as
 * a malformed username or an over-long description are DLC_DB_ERROR; failed
 * queries are logged with the statement name, never parameter values). An
 * allocation failure while copying a result also reads as DLC_DB_ERROR.
 * Timestamps are epoch milliseconds.
 */
#ifndef DLC_USERS_H
#define DLC_USERS_H

#include "storage/db.h"

#include <stdbool.h>
#include <stdint.h>

/* The channel on which every change that matters to authorization (admin
 * flag, soft or hard delete, password) is announced, one NOTIFY per row
 * with the user's id in decimal as payload, on commit; an empty payload
 * (TRUNCATE) means every user (migrations/0006_users_notify.sql). */
#define DLC_USERS_CHANNEL "dlc_users"

typedef struct {
    int64_t id;
    char *username;
    char *password_hash;
    char *description;
    char *current_goal;
    bool is_admin;
    bool allow_password_reset;
    int64_t created_at_ms;
    int64_t updated_at_ms;
    int64_t last_login_ms; /* 0: never */
    int64_t token_generation; /* tokens of another generation are revoked */
    int64_t reset_expires_at_ms; /* 0: no reset code */
} dlc_user;

/* Frees the strings and zeroes *u (NULL and cleared users are fine). */
void dlc_user_clear(dlc_user *u);

/* The statements of this module, to register on every connection. */
extern const dlc_db_stmt dlc_users_statements[];
extern const size_t dlc_users_statement_count;

/* Inserts; *taken = true (and DLC_DB_OK) when the name exists already, in
 * any case, deleted or not. On success *out is the new row. */
dlc_db_rc dlc_users_create(dlc_db *db, const char *username, const char *password_hash,
                           int64_t deadline_ms, dlc_user *out, bool *taken);

/* Case-insensitive lookup of a live user. */
dlc_db_rc dlc_users_find_by_name(dlc_db *db, const char *username, int64_t deadline_ms,
                                 dlc_user *out, bool *found);
dlc_db_rc dlc_users_find_by_id(dlc_db *db, int64_t id, int64_t deadline_ms, dlc_user *out,
                               bool *found);

/* Sets description and/or current_goal (NULL: leave as is), updated_at. */
dlc_db_rc dlc_users_update_profile(dlc_db *db, int64_t id, const char *description,
                                   const char *current_goal, int64_t deadline_ms, dlc_user *out,
                                   bool *found);
/* The user's own password change: revokes the user's tokens (the token
 * generation moves on) and withdraws a pending reset. */
dlc_db_rc dlc_users_set_password(dlc_db *db, int64_t id, const char *password_hash,
                                 int64_t deadline_ms, bool *found);
/* The same password hashed with other settings: nothing else changes. */
dlc_db_rc dlc_users_rehash(dlc_db *db, int64_t id, const char *password_hash, int64_t deadline_ms);
/* A successful login: last_login, and a pending reset is withdrawn. */
dlc_db_rc dlc_users_touch_login(dlc_db *db, int64_t id, int64_t deadline_ms);

/* An admin allows a live user a password reset with the code whose SHA-256
 * (hex) is code_sha256, valid ttl_ms from now (a new code replaces the
 * previous one and its failures). *out: the row, with reset_expires_at_ms. */
dlc_db_rc dlc_users_allow_reset(dlc_db *db, const char *username, const char *code_sha256,
                                int64_t ttl_ms, int64_t deadline_ms, dlc_user *out, bool *found);

typedef struct {
    const char *username;
    const char *code_sha256;   /* SHA-256 (hex) of the code the user gave */
    const char *password_hash; /* the new password's */
    int max_failures;          /* wrong codes that withdraw the permission */
} dlc_reset_completion;

/* One transaction (migrations/0008): sets the new hash, withdraws the
 * permission and revokes the user's tokens only for a live user allowed a
 * reset whose unexpired code matches. *done false for unknown, deleted and
 * unflagged users and wrong or expired codes alike; a wrong code for an
 * allowed user counts a failure. */
dlc_db_rc dlc_users_complete_reset(dlc_db *db, const dlc_reset_completion *r, int64_t deadline_ms,
                                   bool *done);
/* Soft delete (see above); the user's tokens are revoked with it. */
dlc_db_rc dlc_users_soft_delete(dlc_db *db, const char *username, int64_t deadline_ms,
                                bool *found);
/* Every token issued to the live user so far is refused from now on. */
dlc_db_rc dlc_users_revoke_tokens(dlc_db *db, const char *username, int64_t deadline_ms,
                                  bool *found);

/* Live users with id > after_id, ordered by id, at most limit (≤ 1000).
 * limit is clamped to 1..1000. *out is a malloc'd array of *n users (free
 * each with dlc_user_clear, then the array with free); NULL when *n is 0.
 * Cursor = the last returned id. */
dlc_db_rc dlc_users_list(dlc_db *db, int64_t after_id, int limit, int64_t deadline_ms,
                         dlc_user **out, size_t *n);

#endif
