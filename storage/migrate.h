/*
 * dlc_migrate: applies migrations/NNNN_description.sql in order.
 *
 * - schema_migrations(version int primary key, name text, checksum text
 *   (sha256 hex of the file), applied_at timestamptz) records what ran.
 * - The whole run holds pg_advisory_lock(DLC_MIGRATE_LOCK_KEY) so several
 *   cores starting at once do not race: the second waits, then sees every
 *   migration applied and does nothing.
 * - Each migration runs in its own transaction together with its
 *   schema_migrations row: it applies completely or not at all.
 * - An applied migration whose checksum differs from the file → refusal
 *   (-1, message names the file); nothing further is applied.
 * - Names must match NNNN_*.sql and versions must be strictly increasing.
 */
#ifndef DLC_MIGRATE_H
#define DLC_MIGRATE_H

#include "storage/db.h"

#include <stddef.h>

#define DLC_MIGRATE_LOCK_KEY 0x646c63 /* "dlc" */

typedef struct {
    const char *name; /* "0001_users.sql" */
    const char *sql;
} dlc_migration;

/* The migrations/ folder, embedded at build time (sorted by name). */
extern const dlc_migration dlc_migrations_embedded[];
extern const size_t dlc_migrations_embedded_count;

typedef struct {
    int applied; /* how many this run applied */
    int skipped; /* already applied, checksum verified */
} dlc_migrate_report;

/* Runs on an open connection (not inside a transaction). Logs each applied
 * migration. Returns 0, or -1 with errbuf filled. */
int dlc_migrate_run(dlc_conn *conn, const dlc_migration *migs, size_t n, dlc_migrate_report *report,
                    char *errbuf, size_t errlen);

#endif
