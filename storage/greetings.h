/*
 * dlc_greetings: greet_history (migrations/0002), the greetings kept for
 * each user. Every function runs registered prepared statements on the
 * caller's dlc_db within deadline_ms and returns a dlc_db_rc, with the
 * error conventions of storage/users.h. Timestamps are epoch milliseconds.
 */
#ifndef DLC_GREETINGS_H
#define DLC_GREETINGS_H

#include "storage/db.h"

#include <stddef.h>
#include <stdint.h>

/* The statements of this module, to register on every connection. */
extern const dlc_db_stmt dlc_greetings_statements[];
extern const size_t dlc_greetings_statement_count;

typedef struct {
    int64_t id;
    char *message;
    int64_t created_at_ms;
} dlc_greeting;

/* context_json: a JSON object as text (e.g. {"name":"ann"}), or NULL for {}. */
dlc_db_rc dlc_greetings_add(dlc_db *db, int64_t user_id, const char *message,
                            const char *context_json, int64_t deadline_ms);
/* The user's greetings older than the cursor (before_id 0: from the newest),
 * newest first, at most limit (clamped to 1..1000). Cursor = the last
 * returned id. "Newest" is id order: ids come from an identity sequence, so
 * a later insert has a larger id, and id (unlike created_at, which is the
 * transaction start time) is unique and a stable keyset cursor. *out is a malloc'd
 * array of *n greetings (free each message, then the array); NULL when *n
 * is 0. */
dlc_db_rc dlc_greetings_list(dlc_db *db, int64_t user_id, int64_t before_id, int limit,
                             int64_t deadline_ms, dlc_greeting **out, size_t *n);

#endif
