/*
 * dlc_admin_tokens: the admin_tokens row (migrations/0008) — the token
 * generation of the master-password admin, and the argon2id hash of the
 * master password that generation belongs to.
 *
 * Request path (dlc_db with dlc_admin_tokens_statements): read the
 * generation (every call made with a master-password token, and AdminLogin
 * to stamp new tokens), and move it on (RevokeAdminTokens).
 * Start-up and the auth watcher, on a blocking connection: read the row and
 * replace the hash, moving the generation on, when the master password
 * changed.
 */
#ifndef DLC_ADMIN_TOKENS_H
#define DLC_ADMIN_TOKENS_H

#include "storage/db.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Register with dlc_db_open; names start with "admin_tokens_". */
extern const dlc_db_stmt dlc_admin_tokens_statements[];
extern const size_t dlc_admin_tokens_statement_count;

/* The current generation of master-password tokens. */
dlc_db_rc dlc_admin_tokens_generation(dlc_db *db, int64_t deadline_ms, int64_t *gen);
/* Every master-password token issued so far is refused from now on. */
dlc_db_rc dlc_admin_tokens_revoke(dlc_db *db, int64_t deadline_ms);

/* The stored master hash ("" when none) into hash (hashlen bytes). 0, or
 * -1 with err filled. */
int dlc_admin_tokens_read(dlc_conn *conn, char *hash, size_t hashlen, char *err, size_t errlen);
/* Stores new_hash and moves the generation on, if the stored hash is still
 * old_hash (a core that raced us did the same already: *replaced false).
 * 0, or -1 with err filled. */
int dlc_admin_tokens_replace(dlc_conn *conn, const char *old_hash, const char *new_hash,
                             bool *replaced, char *err, size_t errlen);

#endif
