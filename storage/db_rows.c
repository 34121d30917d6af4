/*
 * dlc_db, storage's side: turning statement results into owned C values —
 * text cells, "did it hit a row", listings as arrays — for the table
 * modules (see db_internal.h).
 */
#include "storage/db_internal.h"

#include <stdlib.h>
#include <string.h>

int dlc_db_list_limit(int limit)
{
    return limit < 1 ? 1 : limit > DLC_DB_LIST_MAX ? DLC_DB_LIST_MAX : limit;
}

char *dlc_db_get_str(const PGresult *res, int row, int col)
{
    return strdup(PQgetvalue(res, row, col));
}

dlc_db_rc dlc_db_any_row(dlc_db *db, const char *stmt, int nparams, const char *const *values,
                         int64_t deadline_ms, bool *hit)
{
    PGresult *res = NULL;
    dlc_db_rc rc = dlc_db_run(db, stmt, nparams, values, deadline_ms, &res, NULL, NULL);
    if (hit)
        *hit = rc == DLC_DB_OK && PQntuples(res) == 1;
    PQclear(res);
    return rc;
}

dlc_db_rc dlc_db_list(dlc_db *db, const char *stmt, int nparams, const char *const *values,
                      int64_t deadline_ms, size_t elem, dlc_db_fill_rows fill, void **out,
                      size_t *n)
{
    PGresult *res = NULL;
    *out = NULL;
    *n = 0;
    dlc_db_rc rc = dlc_db_run(db, stmt, nparams, values, deadline_ms, &res, NULL, NULL);
    size_t rows = rc == DLC_DB_OK ? (size_t)PQntuples(res) : 0;
    void *array = rows ? calloc(rows, elem) : NULL;
    if (rows && (!array || !fill(res, array, rows))) {
        array = NULL; /* fill freed it */
        rc = DLC_DB_ERROR;
    }
    PQclear(res);
    if (array) {
        *out = array;
        *n = rows;
    }
    return rc;
}
