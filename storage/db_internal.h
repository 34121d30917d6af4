/*
 * dlc_db, storage's side: running registered statements and reading their
 * results. Only storage's own .c files (and the tests of storage) include
 * this: SQL and libpq types stay inside storage/, and everything above it
 * calls the table modules (storage/users.h, …) instead of running
 * statements itself.
 */
#ifndef DLC_DB_INTERNAL_H
#define DLC_DB_INTERNAL_H

#include "storage/db.h"

#include <libpq-fe.h>

/* Runs a registered statement. deadline_ms is on dlc_clock_mono_ms's clock.
 * On DLC_DB_OK, *out receives the result (caller frees with PQclear);
 * on other codes *out is NULL. out may be NULL: the result is discarded. On DLC_DB_ERROR, sqlstate
 * (if non-NULL, 6 bytes) gets the SQLSTATE. errbuf (if non-NULL) gets a short message suitable for
 * logs (never parameter values). */
dlc_db_rc dlc_db_exec(dlc_db *db, const char *stmt_name, int nparams, const char *const *values,
                      int64_t deadline_ms, PGresult **out, char sqlstate[6], char *errbuf,
                      size_t errlen);

/* A timestamptz column as milliseconds since the epoch, in a SELECT list. */
#define DLC_DB_EPOCH_MS(col) "(extract(epoch from " col ") * 1000)::bigint"

/* A bigint cell (0 when NULL) and a boolean cell of a result. */
int64_t dlc_db_get_i64(const PGresult *res, int row, int col);
bool dlc_db_get_bool(const PGresult *res, int row, int col);

/* An integer as a statement parameter (text): dlc_db_int(42).text. */
typedef struct {
    char text[24];
} dlc_db_int_text;
dlc_db_int_text dlc_db_int(int64_t v);

/* dlc_db_exec that logs a failure (statement name, code, SQLSTATE, the
 * server's message; never parameter values) unless its SQLSTATE is the
 * one the caller expects (quiet_state, or NULL). sqlstate may be NULL. */
dlc_db_rc dlc_db_run(dlc_db *db, const char *stmt_name, int nparams, const char *const *values,
                     int64_t deadline_ms, PGresult **out, char sqlstate[6],
                     const char *quiet_state);

/* ---- rows into owned C values (db_rows.c) ---- */

/* Rows a listing returns at most. */
#define DLC_DB_LIST_MAX 1000
/* limit clamped to 1..DLC_DB_LIST_MAX. */
int dlc_db_list_limit(int limit);

/* A malloc'd copy of a text cell ("" when NULL); NULL when out of memory. */
char *dlc_db_get_str(const PGresult *res, int row, int col);

/* Runs a statement and reports in *hit (when non-NULL) whether it returned
 * (or touched) exactly one row. */
dlc_db_rc dlc_db_any_row(dlc_db *db, const char *stmt, int nparams, const char *const *values,
                         int64_t deadline_ms, bool *hit);

/* Fills array (rows entries, zeroed) from res; on failure frees whatever it
 * filled and the array itself, and returns false. */
typedef bool (*dlc_db_fill_rows)(const PGresult *res, void *array, size_t rows);

/* Runs a listing statement and turns its rows into a calloc'd array of
 * elem-sized entries with fill: *out (the caller's, NULL when *n is 0) and
 * *n. Out of memory reads as DLC_DB_ERROR. */
dlc_db_rc dlc_db_list(dlc_db *db, const char *stmt, int nparams, const char *const *values,
                      int64_t deadline_ms, size_t elem, dlc_db_fill_rows fill, void **out,
                      size_t *n);

/* One line describing the error of res (or, when res is NULL, of conn) for
 * logs: the primary message without DETAIL, and no text for data exceptions
 * (SQLSTATE class 22), which quote the offending input. */
void dlc_db_error_text(PGconn *conn, const PGresult *res, char *buf, size_t len);

#endif
