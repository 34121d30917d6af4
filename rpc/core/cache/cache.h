/*
 * dlc_cache: bounded in-memory TTL cache of byte strings by string key, for
 * the core's response cache (greet per name, version, info). Sharded: no
 * global lock; readers of different shards never meet. Bounded by entries and
 * bytes; when a shard is full, expired entries go first, then the least
 * recently used. Times are passed in (monotonic ms) so tests inject a clock.
 *
 * Shards: the largest power of two <= 16 that leaves every shard at least 8
 * entries and 4 KiB (so one shard when max_entries < 16 or max_bytes < 8 KiB:
 * small caches are exact LRU). Each shard gets ceil(max / shards) entries and
 * bytes, so the totals held never exceed max_entries and max_bytes rounded up
 * to a multiple of the shard count (exactly the maxima when they are
 * multiples of 16). An entry's bytes are strlen(key) + its value length.
 *
 * An entry stored at now_ms with ttl_ms is live while now < now_ms + ttl_ms:
 * a get at now_ms + ttl_ms - 1 hits, at now_ms + ttl_ms misses.
 *
 * Thread-safe; every call takes at most one shard lock at a time, so flush,
 * purge and count see each shard at a different instant.
 */
#ifndef DLC_CACHE_H
#define DLC_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct dlc_cache dlc_cache;

/* max_entries >= 1, max_bytes >= 1 (keys + values), spread over the shards.
 * NULL on OOM or when either is 0. Caller owns the cache (dlc_cache_free). */
dlc_cache *dlc_cache_new(size_t max_entries, size_t max_bytes);
/* Frees the cache and every entry; NULL is a no-op. No call may be running. */
void dlc_cache_free(dlc_cache *c);

/* A live entry's value: copied into a malloc'd buffer (*out, caller free()s; a
 * zero-length value gives a non-NULL 1-byte buffer), its length in *len.
 * false when absent or expired (an expired entry found here is dropped), and
 * when the copy cannot be allocated. A hit makes the entry most recently used. */
bool dlc_cache_get(dlc_cache *c, const char *key, int64_t now_ms, void **out, size_t *len);

/* Stores a copy of key and value for ttl_ms (>= 1) from now_ms, replacing any
 * entry of that key. An entry bigger than a shard's byte budget is not stored
 * (returns 1). 0 stored, 1 not stored (too big), -1 out of memory or bad
 * arguments (NULL cache or key, NULL value with len > 0, ttl_ms < 1; nothing
 * changes). A valid put that stores nothing (1, or -1 for lack of memory)
 * still drops the key's older entry: a refused replacement never leaves the
 * stale value behind. */
int dlc_cache_put(dlc_cache *c, const char *key, const void *value, size_t len, int64_t ttl_ms,
                  int64_t now_ms);

/* Drops every entry; returns how many live (unexpired at now_ms) entries were dropped. */
size_t dlc_cache_flush(dlc_cache *c, int64_t now_ms);
/* Drops expired entries (periodic cleanup); returns how many. */
size_t dlc_cache_purge_expired(dlc_cache *c, int64_t now_ms);
/* Entries held now (expired ones not yet dropped included). */
size_t dlc_cache_count(dlc_cache *c);

/* Lookups since the cache was made (for metrics): gets that found a live
 * entry, gets that did not, entries dropped to make room (least recently
 * used; expiry is not eviction), and entries held now. */
typedef struct {
    uint64_t hits, misses, evictions, entries;
} dlc_cache_counts;
/* Sums every shard's figures (one shard lock at a time); c NULL: zeros. */
void dlc_cache_stats(dlc_cache *c, dlc_cache_counts *out);

#endif
