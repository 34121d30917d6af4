/*
 * dlc_greetings: prepared statements over greet_history (see greetings.h).
 */
#include "storage/greetings.h"

#include "storage/db_internal.h"

#include <stdlib.h>

/* The column order rows_to_greetings expects. */
#define GREETING_COLS "id, message, " DLC_DB_EPOCH_MS("created_at")

const dlc_db_stmt dlc_greetings_statements[] = {
    {"greetings_add",
     "INSERT INTO greet_history (user_id, message, context)"
     " VALUES ($1::bigint, $2, COALESCE($3::jsonb, '{}'::jsonb))",
     3},
    {"greetings_list",
     "SELECT " GREETING_COLS " FROM greet_history"
     " WHERE user_id = $1::bigint AND ($2::bigint = 0 OR id < $2::bigint)"
     " ORDER BY id DESC LIMIT $3::int",
     3},
};

const size_t dlc_greetings_statement_count =
    sizeof dlc_greetings_statements / sizeof dlc_greetings_statements[0];

dlc_db_rc dlc_greetings_add(dlc_db *db, int64_t user_id, const char *message,
                            const char *context_json, int64_t deadline_ms)
{
    dlc_db_int_text uid = dlc_db_int(user_id);
    const char *values[] = {uid.text, message, context_json};
    return dlc_db_any_row(db, "greetings_add", 3, values, deadline_ms, NULL);
}

static void free_greetings(dlc_greeting *g, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(g[i].message);
    free(g);
}

/* Fills g from res (id, message, created_at_ms); false on OOM (g freed). */
static bool rows_to_greetings(const PGresult *res, dlc_greeting *g, size_t rows)
{
    for (size_t i = 0; i < rows; i++) {
        g[i] = (dlc_greeting){
            .id = dlc_db_get_i64(res, (int)i, 0),
            .message = dlc_db_get_str(res, (int)i, 1),
            .created_at_ms = dlc_db_get_i64(res, (int)i, 2),
        };
        if (!g[i].message) {
            free_greetings(g, i);
            return false;
        }
    }
    return true;
}

static bool fill_greetings(const PGresult *res, void *array, size_t rows)
{
    return rows_to_greetings(res, array, rows);
}

dlc_db_rc dlc_greetings_list(dlc_db *db, int64_t user_id, int64_t before_id, int limit,
                             int64_t deadline_ms, dlc_greeting **out, size_t *n)
{
    dlc_db_int_text uid = dlc_db_int(user_id);
    dlc_db_int_text before = dlc_db_int(before_id);
    dlc_db_int_text lim = dlc_db_int(dlc_db_list_limit(limit));
    const char *values[] = {uid.text, before.text, lim.text};
    return dlc_db_list(db, "greetings_list", 3, values, deadline_ms, sizeof **out, fill_greetings,
                       (void **)out, n);
}
