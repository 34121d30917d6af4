/*
 * dlc_system_db: the core's own statements, which belong to no table
 * family: the health probe of SystemService/Check and the NOTIFY that
 * carries a cache flush to every other core.
 */
#ifndef DLC_SYSTEM_DB_H
#define DLC_SYSTEM_DB_H

#include "storage/db.h"

#include <stddef.h>
#include <stdint.h>

/* The channel of cache flushes: every core LISTENs on it and empties its
 * response cache when a notification arrives. */
#define DLC_SYSTEM_DB_CACHE_CHANNEL "dlc_cache_flush"

/* Register with dlc_db_open. */
extern const dlc_db_stmt dlc_system_db_statements[];
extern const size_t dlc_system_db_statement_count;

/* The database answers and is migrated (schema_migrations is readable).
 * Not logged (the caller reports it); errbuf as dlc_db_exec's. */
dlc_db_rc dlc_system_db_health(dlc_db *db, int64_t deadline_ms, char *errbuf, size_t errlen);

/* NOTIFYs DLC_SYSTEM_DB_CACHE_CHANNEL, so every core (this one too) flushes
 * its cache. A failure is logged. */
dlc_db_rc dlc_system_db_announce_flush(dlc_db *db, int64_t deadline_ms);

#endif
