/*
 * dlc_principals: a per-core cache of what authorization needs from a user
 * row, by user id, so an authenticated request costs no database round trip
 * of its own. A PostgreSQL NOTIFY on DLC_USERS_CHANNEL (storage/users.h)
 * invalidates an entry when its user's authorization may have changed.
 *
 * Use (a reader, on a miss):
 *     uint64_t t = dlc_principals_begin(p, id);    before the query
 *     ... read the row ...
 *     dlc_principals_put(p, id, t, &info);          only for a live user
 * put stores nothing when an invalidation reached id's shard (or a flush
 * reached every shard) after begin: the row read may predate the change the
 * invalidation announced, so storing it would resurrect what it undid.
 *
 * Trust: the cache is only as fresh as its NOTIFY listener. It starts
 * untrusted, and get misses whenever it is untrusted; the listener's owner
 * sets it untrusted when the connection is lost and trusted once it listens
 * again (set_trusted(true) flushes first: invalidations were missed).
 * Between a silent connection loss and its detection it can serve stale
 * entries: the bound on staleness is the listener's, not this module's.
 *
 * Sharded like dlc_cache: the largest power of two <= 16 that leaves every
 * shard at least 8 entries (one shard below 16 entries). Every call takes at
 * most one shard lock at a time; begin and the stats read atomics only.
 * Bounded: max_entries in total, each shard holding its share (they differ
 * by at most one); a full shard evicts an entry not read since the clock
 * hand last passed it (CLOCK, an approximation of least recently used), so a
 * full cache only misses more. Memory is taken up front, once, for
 * max_entries: per entry a link, the id, the info and a flag (40 bytes on
 * LP64 today) plus one or two bucket pointers, so at most 56 bytes; and a
 * cache-line-aligned header per shard (a few hundred bytes). Nothing is
 * allocated after dlc_principals_new.
 *
 * Thread-safe. set_trusted is meant for one thread (the listener's): calls
 * racing each other may end in either state.
 */
#ifndef DLC_PRINCIPALS_H
#define DLC_PRINCIPALS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* What authorization takes from a live user's row. Deleted users are never
 * stored: absence means "ask the database". */
typedef struct {
    bool is_admin;
    int64_t token_generation; /* the user's tokens of another are revoked */
} dlc_principal_info;

typedef struct {
    uint64_t hits;
    uint64_t misses;     /* untrusted gets included */
    uint64_t evictions;  /* entries dropped to make room (not invalidations) */
    uint64_t stale_puts; /* puts refused because an invalidation came first */
} dlc_principals_stats;

typedef struct dlc_principals dlc_principals;

/* max_entries >= 1. NULL on OOM or 0. The cache starts untrusted. Caller
 * owns it (dlc_principals_free). */
dlc_principals *dlc_principals_new(size_t max_entries);
/* NULL is a no-op. No call may be running. */
void dlc_principals_free(dlc_principals *p);

/* A token for a later put of user_id: read it before the query. Tokens are
 * per shard and unique across shards, so a put of another user accepts it
 * only when that user shares the shard (and then correctly). Never 0 (no
 * put accepts 0; a NULL cache gives it). */
uint64_t dlc_principals_begin(dlc_principals *p, int64_t user_id);
/* Copies user_id's entry into *out and marks it recently used. false on a
 * miss, and always while untrusted. */
bool dlc_principals_get(dlc_principals *p, int64_t user_id, dlc_principal_info *out);
/* Stores (or replaces) user_id's entry, evicting another of its shard when
 * full, unless the token is stale (see above). true when stored. Stores
 * while untrusted too: the next set_trusted(true) flushes. */
bool dlc_principals_put(dlc_principals *p, int64_t user_id, uint64_t token,
                        const dlc_principal_info *info);

/* Drops user_id's entry and refuses puts begun before (for every user of
 * its shard: tokens are per shard). */
void dlc_principals_invalidate(dlc_principals *p, int64_t user_id);
/* A NOTIFY payload: a user id in decimal invalidates that user; anything
 * else (an empty payload, say, for a TRUNCATE) flushes. NULL flushes. */
void dlc_principals_invalidate_text(dlc_principals *p, const char *payload);
/* Drops every entry and refuses every put begun before. */
void dlc_principals_flush(dlc_principals *p);

/* false: every get misses from now on. true: flushes (what was stored
 * meanwhile, or before, may have missed an invalidation), then hits again. */
void dlc_principals_set_trusted(dlc_principals *p, bool trusted);

/* Entries held now (each shard counted at a different instant). */
size_t dlc_principals_count(dlc_principals *p);
/* Counters since creation; each read atomically, not all at one instant. */
void dlc_principals_stats_get(dlc_principals *p, dlc_principals_stats *out);

#endif
