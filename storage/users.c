/*
 * dlc_users: prepared statements over users. Every query
 * that returns users selects USER_COLS, and row_to_user reads that order.
 * Parameters go as text with explicit casts where inference would be narrow.
 */
#include "storage/users.h"

#include "storage/db_internal.h"

#include <stdlib.h>
#include <string.h>

/* The column order row_to_user expects (enum user_col). */
#define USER_COLS                                                                                  \
    "id, username, password_hash, description, current_goal, is_admin, "                           \
    "allow_password_reset, " DLC_DB_EPOCH_MS("created_at") ", " DLC_DB_EPOCH_MS(                   \
        "updated_at") ", " DLC_DB_EPOCH_MS("last_login") ", token_generation, " DLC_DB_EPOCH_MS(      \
        "reset_expires_at")

enum user_col {
    COL_ID,
    COL_USERNAME,
    COL_HASH,
    COL_DESCRIPTION,
    COL_GOAL,
    COL_ADMIN,
    COL_RESET,
    COL_CREATED,
    COL_UPDATED,
    COL_LAST_LOGIN,
    COL_GENERATION,
    COL_RESET_EXPIRES,
};

#define LIVE "deleted_at IS NULL"
/* The user remembered (login, change) or is gone: no reset any more. */
#define NO_RESET                                                                                   \
    "allow_password_reset = false, reset_code_sha256 = NULL, reset_expires_at = NULL,"             \
    " reset_failures = 0"
#define BY_NAME "lower(username) = lower($1) AND " LIVE

const dlc_db_stmt dlc_users_statements[] = {
    /* a taken name returns no row rather than an error, which would abort
     * the transaction of a keyed call (rpc/core/idempotency.h) */
    {"users_create",
     "INSERT INTO users (username, password_hash) VALUES ($1, $2)"
     " ON CONFLICT ((lower(username))) DO NOTHING RETURNING " USER_COLS,
     2},
    {"users_find_by_name", "SELECT " USER_COLS " FROM users WHERE " BY_NAME, 1},
    {"users_find_by_id", "SELECT " USER_COLS " FROM users WHERE id = $1::bigint AND " LIVE, 1},
    {"users_update_profile",
     "UPDATE users SET description = COALESCE($2::text, description),"
     " current_goal = COALESCE($3::text, current_goal), updated_at = now()"
     " WHERE id = $1::bigint AND " LIVE " RETURNING " USER_COLS,
     3},
    {"users_set_password",
     "UPDATE users SET password_hash = $2, token_generation = token_generation + 1,"
     " " NO_RESET ", updated_at = now() WHERE id = $1::bigint AND " LIVE " RETURNING id",
     2},
    {"users_rehash",
     "UPDATE users SET password_hash = $2 WHERE id = $1::bigint AND " LIVE " RETURNING id", 2},
    {"users_touch_login",
     "UPDATE users SET last_login = now(), " NO_RESET " WHERE id = $1::bigint AND " LIVE, 1},
    {"users_allow_reset",
     "UPDATE users SET allow_password_reset = true, reset_code_sha256 = $2, reset_failures = 0,"
     " reset_expires_at = now() + $3::bigint * interval '1 millisecond', updated_at = now()"
     " WHERE " BY_NAME " RETURNING " USER_COLS,
     3},
    {"users_complete_reset", "SELECT dlc_complete_password_reset($1, $2, $3, $4::int)", 4},
    {"users_soft_delete",
     "UPDATE users SET deleted_at = now(), token_generation = token_generation + 1, " NO_RESET
     ", updated_at = now() WHERE " BY_NAME " RETURNING id",
     1},
    {"users_revoke_tokens",
     "UPDATE users SET token_generation = token_generation + 1, updated_at = now()"
     " WHERE " BY_NAME " RETURNING id",
     1},
    {"users_list",
     "SELECT " USER_COLS " FROM users WHERE id > $1::bigint AND " LIVE " ORDER BY id LIMIT $2::int",
     2},
};

const size_t dlc_users_statement_count =
    sizeof dlc_users_statements / sizeof dlc_users_statements[0];

/* ---- helpers ------------------------------------------------------------- */

/* Fills *u from row (USER_COLS order). false (and *u cleared) on OOM. */
static bool row_to_user(const PGresult *res, int row, dlc_user *u)
{
    *u = (dlc_user){
        .id = dlc_db_get_i64(res, row, COL_ID),
        .username = dlc_db_get_str(res, row, COL_USERNAME),
        .password_hash = dlc_db_get_str(res, row, COL_HASH),
        .description = dlc_db_get_str(res, row, COL_DESCRIPTION),
        .current_goal = dlc_db_get_str(res, row, COL_GOAL),
        .is_admin = dlc_db_get_bool(res, row, COL_ADMIN),
        .allow_password_reset = dlc_db_get_bool(res, row, COL_RESET),
        .created_at_ms = dlc_db_get_i64(res, row, COL_CREATED),
        .updated_at_ms = dlc_db_get_i64(res, row, COL_UPDATED),
        .last_login_ms = dlc_db_get_i64(res, row, COL_LAST_LOGIN),
        .token_generation = dlc_db_get_i64(res, row, COL_GENERATION),
        .reset_expires_at_ms = dlc_db_get_i64(res, row, COL_RESET_EXPIRES),
    };
    if (u->username && u->password_hash && u->description && u->current_goal)
        return true;
    dlc_user_clear(u);
    return false;
}

/* Runs a statement returning at most one user: *found says whether it did,
 * and *out (when non-NULL) receives it. Out-of-memory reads as an error. */
static dlc_db_rc one_user(dlc_db *db, const char *stmt, int nparams, const char *const *values,
                          int64_t deadline_ms, dlc_user *out, bool *found)
{
    PGresult *res = NULL;
    *found = false;
    dlc_db_rc rc = dlc_db_run(db, stmt, nparams, values, deadline_ms, &res, NULL, NULL);
    if (rc == DLC_DB_OK && PQntuples(res) == 1) {
        *found = true;
        if (out && !row_to_user(res, 0, out)) {
            *found = false;
            rc = DLC_DB_ERROR;
        }
    }
    PQclear(res);
    return rc;
}

/* ---- users --------------------------------------------------------------- */

void dlc_user_clear(dlc_user *u)
{
    if (!u)
        return;
    free(u->username);
    free(u->password_hash);
    free(u->description);
    free(u->current_goal);
    *u = (dlc_user){0};
}

dlc_db_rc dlc_users_create(dlc_db *db, const char *username, const char *password_hash,
                           int64_t deadline_ms, dlc_user *out, bool *taken)
{
    const char *values[] = {username, password_hash};
    PGresult *res = NULL;
    char state[6];
    dlc_db_rc rc = dlc_db_run(db, "users_create", 2, values, deadline_ms, &res, state, "23505");
    /* 23505 still: a concurrent insert of the name not yet committed when
     * ours checked, then committed */
    *taken = (rc == DLC_DB_OK && PQntuples(res) == 0) ||
             (rc == DLC_DB_ERROR && strcmp(state, "23505") == 0);
    if (*taken)
        rc = DLC_DB_OK;
    else if (rc == DLC_DB_OK && (PQntuples(res) != 1 || !row_to_user(res, 0, out)))
        rc = DLC_DB_ERROR;
    PQclear(res);
    return rc;
}

dlc_db_rc dlc_users_find_by_name(dlc_db *db, const char *username, int64_t deadline_ms,
                                 dlc_user *out, bool *found)
{
    const char *values[] = {username};
    return one_user(db, "users_find_by_name", 1, values, deadline_ms, out, found);
}

dlc_db_rc dlc_users_find_by_id(dlc_db *db, int64_t id, int64_t deadline_ms, dlc_user *out,
                               bool *found)
{
    dlc_db_int_text idt = dlc_db_int(id);
    const char *values[] = {idt.text};
    return one_user(db, "users_find_by_id", 1, values, deadline_ms, out, found);
}

dlc_db_rc dlc_users_update_profile(dlc_db *db, int64_t id, const char *description,
                                   const char *current_goal, int64_t deadline_ms, dlc_user *out,
                                   bool *found)
{
    dlc_db_int_text idt = dlc_db_int(id);
    const char *values[] = {idt.text, description, current_goal};
    return one_user(db, "users_update_profile", 3, values, deadline_ms, out, found);
}

dlc_db_rc dlc_users_set_password(dlc_db *db, int64_t id, const char *password_hash,
                                 int64_t deadline_ms, bool *found)
{
    dlc_db_int_text idt = dlc_db_int(id);
    const char *values[] = {idt.text, password_hash};
    return dlc_db_any_row(db, "users_set_password", 2, values, deadline_ms, found);
}

dlc_db_rc dlc_users_rehash(dlc_db *db, int64_t id, const char *password_hash, int64_t deadline_ms)
{
    dlc_db_int_text idt = dlc_db_int(id);
    const char *values[] = {idt.text, password_hash};
    return dlc_db_any_row(db, "users_rehash", 2, values, deadline_ms, NULL);
}

dlc_db_rc dlc_users_touch_login(dlc_db *db, int64_t id, int64_t deadline_ms)
{
    dlc_db_int_text idt = dlc_db_int(id);
    const char *values[] = {idt.text};
    return dlc_db_any_row(db, "users_touch_login", 1, values, deadline_ms, NULL);
}

dlc_db_rc dlc_users_allow_reset(dlc_db *db, const char *username, const char *code_sha256,
                                int64_t ttl_ms, int64_t deadline_ms, dlc_user *out, bool *found)
{
    dlc_db_int_text ttl = dlc_db_int(ttl_ms);
    const char *values[] = {username, code_sha256, ttl.text};
    return one_user(db, "users_allow_reset", 3, values, deadline_ms, out, found);
}

dlc_db_rc dlc_users_complete_reset(dlc_db *db, const dlc_reset_completion *r, int64_t deadline_ms,
                                   bool *done)
{
    dlc_db_int_text max = dlc_db_int(r->max_failures);
    const char *values[] = {r->username, r->code_sha256, r->password_hash, max.text};
    PGresult *res = NULL;
    dlc_db_rc rc = dlc_db_run(db, "users_complete_reset", 4, values, deadline_ms, &res, NULL, NULL);
    *done = rc == DLC_DB_OK && PQntuples(res) == 1 && dlc_db_get_bool(res, 0, 0);
    PQclear(res);
    return rc;
}

dlc_db_rc dlc_users_revoke_tokens(dlc_db *db, const char *username, int64_t deadline_ms,
                                  bool *found)
{
    const char *values[] = {username};
    return dlc_db_any_row(db, "users_revoke_tokens", 1, values, deadline_ms, found);
}

dlc_db_rc dlc_users_soft_delete(dlc_db *db, const char *username, int64_t deadline_ms, bool *found)
{
    const char *values[] = {username};
    return dlc_db_any_row(db, "users_soft_delete", 1, values, deadline_ms, found);
}

static void free_users(dlc_user *users, size_t n)
{
    for (size_t i = 0; i < n; i++)
        dlc_user_clear(&users[i]);
    free(users);
}

/* Fills users from res (USER_COLS rows); false on OOM (users freed). */
static bool rows_to_users(const PGresult *res, dlc_user *users, size_t rows)
{
    for (size_t i = 0; i < rows; i++) {
        if (!row_to_user(res, (int)i, &users[i])) {
            free_users(users, i);
            return false;
        }
    }
    return true;
}

static bool fill_users(const PGresult *res, void *array, size_t rows)
{
    return rows_to_users(res, array, rows);
}

dlc_db_rc dlc_users_list(dlc_db *db, int64_t after_id, int limit, int64_t deadline_ms,
                         dlc_user **out, size_t *n)
{
    dlc_db_int_text after = dlc_db_int(after_id);
    dlc_db_int_text lim = dlc_db_int(dlc_db_list_limit(limit));
    const char *values[] = {after.text, lim.text};
    return dlc_db_list(db, "users_list", 2, values, deadline_ms, sizeof **out, fill_users,
                       (void **)out, n);
}
