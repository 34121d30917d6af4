/*
 * dlc_system_db: the health probe and the cache-flush NOTIFY, each one
 * registered statement (so a probe costs one round trip, no parsing).
 */
#include "storage/system.h"

#include "storage/db_internal.h"

#define STMT_HEALTH "system_health"
#define STMT_CACHE_FLUSH "cache_flush_notify"

const dlc_db_stmt dlc_system_db_statements[] = {
    {STMT_HEALTH, "SELECT count(*) FROM schema_migrations", 0},
    {STMT_CACHE_FLUSH, "SELECT pg_notify('" DLC_SYSTEM_DB_CACHE_CHANNEL "', '')", 0},
};
const size_t dlc_system_db_statement_count =
    sizeof dlc_system_db_statements / sizeof dlc_system_db_statements[0];

dlc_db_rc dlc_system_db_health(dlc_db *db, int64_t deadline_ms, char *errbuf, size_t errlen)
{
    return dlc_db_exec(db, STMT_HEALTH, 0, NULL, deadline_ms, NULL, NULL, errbuf, errlen);
}

dlc_db_rc dlc_system_db_announce_flush(dlc_db *db, int64_t deadline_ms)
{
    return dlc_db_run(db, STMT_CACHE_FLUSH, 0, NULL, deadline_ms, NULL, NULL, NULL);
}
