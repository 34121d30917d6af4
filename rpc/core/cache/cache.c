/*
 * dlc_cache: the sharded, bounded TTL cache of byte strings behind the
 * core's response cache (see cache.h).
 */
#include "rpc/core/cache/cache.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define MAX_SHARDS 16
#define MIN_SHARD_ENTRIES 8
#define MIN_SHARD_BYTES 4096
#define INITIAL_BUCKETS 8
#define MAX_BUCKETS ((size_t)1 << 20)
/* A shard's byte budget never exceeds this, so sizeof(entry) + bytes + 1
 * (the allocation of an entry that fits) cannot overflow. */
#define MAX_SHARD_BYTES (SIZE_MAX / 2)

/* One allocation: this header, the key (NUL-terminated), then the value.
 * Owned by its shard while linked; by a garbage chain once detached. */
typedef struct entry {
    struct entry *chain; /* next in the same bucket, or in a garbage chain */
    struct entry *newer; /* LRU list, towards shard.newest */
    struct entry *older; /* LRU list, towards shard.oldest */
    uint64_t hash;
    int64_t expires_ms; /* live while now < expires_ms */
    size_t key_len;
    size_t val_len;
    char data[];
} entry;

typedef struct {
    pthread_mutex_t mu; /* guards every field below and the entries */
    entry **buckets;    /* owned; nbuckets (a power of two) chains */
    size_t nbuckets;
    entry *newest; /* LRU list through every entry of the shard */
    entry *oldest;
    size_t count;
    size_t bytes;        /* sum of entry_bytes, <= dlc_cache.shard_bytes */
    uint64_t hits, misses, evictions; /* for dlc_cache_stats */
    int64_t next_expiry; /* <= every expires_ms: nothing expired while now < it */
} shard;

struct dlc_cache {
    size_t nshards;       /* a power of two */
    size_t shard_entries; /* per-shard limits */
    size_t shard_bytes;
    shard shards[];
};

/* ---- entries ------------------------------------------------------------- */

/* FNV-1a with the murmur3 finaliser, so that both the high bits (shard) and
 * the low bits (bucket) are well mixed. */
static uint64_t hash_key(const char *key, size_t len)
{
    uint64_t h = UINT64_C(14695981039346656037);
    for (size_t i = 0; i < len; i++) {
        h ^= (unsigned char)key[i];
        h *= UINT64_C(1099511628211);
    }
    h ^= h >> 33;
    h *= UINT64_C(0xff51afd7ed558ccd);
    h ^= h >> 33;
    h *= UINT64_C(0xc4ceb9fe1a85ec53);
    h ^= h >> 33;
    return h;
}

static int64_t expiry(int64_t now_ms, int64_t ttl_ms)
{
    return now_ms > 0 && ttl_ms > INT64_MAX - now_ms ? INT64_MAX : now_ms + ttl_ms;
}

static bool expired(const entry *e, int64_t now_ms)
{
    return now_ms >= e->expires_ms;
}

static size_t entry_bytes(const entry *e)
{
    return e->key_len + e->val_len;
}

static const char *entry_value(const entry *e)
{
    return e->data + e->key_len + 1;
}

/* Caller owns the result; NULL on OOM. key_len + len must fit a shard. */
static entry *entry_new(const char *key, size_t key_len, uint64_t hash, const void *value,
                        size_t len, int64_t expires_ms)
{
    entry *e = malloc(sizeof *e + key_len + 1 + len);
    if (!e)
        return NULL;
    *e = (entry){.hash = hash, .expires_ms = expires_ms, .key_len = key_len, .val_len = len};
    memcpy(e->data, key, key_len + 1);
    if (len > 0)
        memcpy(e->data + key_len + 1, value, len);
    return e;
}

static bool entry_is(const entry *e, const char *key, size_t key_len, uint64_t hash)
{
    return e->hash == hash && e->key_len == key_len && memcmp(e->data, key, key_len) == 0;
}

/* Pushes a detached entry onto a garbage chain, freed after the lock. */
static void discard(entry **garbage, entry *e)
{
    e->chain = *garbage;
    *garbage = e;
}

static void free_chain(entry *e)
{
    while (e) {
        entry *next = e->chain;
        free(e);
        e = next;
    }
}

/* ---- one shard (every function below runs under s->mu) ------------------ */

static void lru_unlink(shard *s, entry *e)
{
    *(e->newer ? &e->newer->older : &s->newest) = e->older;
    *(e->older ? &e->older->newer : &s->oldest) = e->newer;
}

static void lru_push_newest(shard *s, entry *e)
{
    e->newer = NULL;
    e->older = s->newest;
    *(s->newest ? &s->newest->newer : &s->oldest) = e;
    s->newest = e;
}

/* The link pointing at the entry for key, or at the NULL ending its chain. */
static entry **find_slot(shard *s, const char *key, size_t key_len, uint64_t hash)
{
    entry **p = &s->buckets[hash & (s->nbuckets - 1)];
    while (*p && !entry_is(*p, key, key_len, hash))
        p = &(*p)->chain;
    return p;
}

/* Unlinks *slot from its bucket and the LRU list; the caller owns it. */
static entry *detach(shard *s, entry **slot)
{
    entry *e = *slot;
    *slot = e->chain;
    lru_unlink(s, e);
    s->count--;
    s->bytes -= entry_bytes(e);
    return e;
}

static entry *detach_entry(shard *s, entry *e)
{
    return detach(s, find_slot(s, e->data, e->key_len, e->hash));
}

static void rehash_into(shard *s, entry **buckets, size_t n)
{
    for (entry *e = s->newest; e; e = e->older) {
        entry **b = &buckets[e->hash & (n - 1)];
        e->chain = *b;
        *b = e;
    }
    free(s->buckets);
    s->buckets = buckets;
    s->nbuckets = n;
}

/* Doubles the table past one entry per bucket; on OOM chains just grow. */
static void maybe_grow(shard *s)
{
    if (s->count <= s->nbuckets || s->nbuckets >= MAX_BUCKETS)
        return;
    entry **buckets = calloc(s->nbuckets * 2, sizeof *buckets);
    if (buckets)
        rehash_into(s, buckets, s->nbuckets * 2);
}

/* Takes ownership of e (its key must be absent). */
static void insert(shard *s, entry *e)
{
    entry **b = &s->buckets[e->hash & (s->nbuckets - 1)];
    e->chain = *b;
    *b = e;
    lru_push_newest(s, e);
    s->count++;
    s->bytes += entry_bytes(e);
    if (e->expires_ms < s->next_expiry)
        s->next_expiry = e->expires_ms;
    maybe_grow(s);
}

/* Moves the expired entries to *garbage; returns how many. One walk, and
 * only when next_expiry says there may be some (it is then made exact). */
static size_t drop_expired(shard *s, int64_t now_ms, entry **garbage)
{
    if (now_ms < s->next_expiry)
        return 0;
    size_t n = 0;
    int64_t next = INT64_MAX;
    for (entry *e = s->oldest, *newer; e; e = newer) {
        newer = e->newer;
        if (expired(e, now_ms)) {
            discard(garbage, detach_entry(s, e));
            n++;
        } else if (e->expires_ms < next) {
            next = e->expires_ms;
        }
    }
    s->next_expiry = next;
    return n;
}

static bool lacks_room(const shard *s, const dlc_cache *c, size_t need)
{
    return s->count >= c->shard_entries || need > c->shard_bytes - s->bytes;
}

/* Frees room for an entry of need bytes (<= c->shard_bytes): expired entries
 * first, then the least recently used. */
static void make_room(shard *s, const dlc_cache *c, size_t need, int64_t now_ms, entry **garbage)
{
    if (!lacks_room(s, c, need))
        return;
    drop_expired(s, now_ms, garbage);
    while (lacks_room(s, c, need)) {
        discard(garbage, detach_entry(s, s->oldest));
        s->evictions++;
    }
}

static size_t count_live(const shard *s, int64_t now_ms)
{
    size_t n = 0;
    for (const entry *e = s->newest; e; e = e->older)
        n += !expired(e, now_ms);
    return n;
}

/* Empties the shard; returns every entry as a garbage chain (caller owns). */
static entry *take_all(shard *s)
{
    for (entry *e = s->newest; e; e = e->older)
        e->chain = e->older;
    entry *all = s->newest;
    memset(s->buckets, 0, s->nbuckets * sizeof *s->buckets);
    s->newest = s->oldest = NULL;
    s->count = s->bytes = 0;
    s->next_expiry = INT64_MAX;
    return all;
}

static int shard_init(shard *s)
{
    s->buckets = calloc(INITIAL_BUCKETS, sizeof *s->buckets);
    if (!s->buckets)
        return -1;
    if (pthread_mutex_init(&s->mu, NULL) != 0) {
        free(s->buckets);
        return -1;
    }
    s->nbuckets = INITIAL_BUCKETS;
    s->next_expiry = INT64_MAX;
    return 0;
}

static void shard_destroy(shard *s)
{
    free_chain(take_all(s));
    free(s->buckets);
    pthread_mutex_destroy(&s->mu);
}

/* ---- the cache ----------------------------------------------------------- */

/* The largest power of two <= MAX_SHARDS leaving each shard the minimums. */
static size_t shard_count(size_t max_entries, size_t max_bytes)
{
    size_t n = MAX_SHARDS;
    while (n > 1 && (max_entries / n < MIN_SHARD_ENTRIES || max_bytes / n < MIN_SHARD_BYTES))
        n /= 2;
    return n;
}

static size_t ceil_div(size_t a, size_t b)
{
    return a / b + (a % b != 0);
}

dlc_cache *dlc_cache_new(size_t max_entries, size_t max_bytes)
{
    if (max_entries == 0 || max_bytes == 0)
        return NULL;
    size_t n = shard_count(max_entries, max_bytes);
    dlc_cache *c = calloc(1, sizeof *c + n * sizeof c->shards[0]);
    if (!c)
        return NULL;
    c->shard_entries = ceil_div(max_entries, n);
    c->shard_bytes = ceil_div(max_bytes, n);
    if (c->shard_bytes > MAX_SHARD_BYTES)
        c->shard_bytes = MAX_SHARD_BYTES;
    for (; c->nshards < n; c->nshards++) {
        if (shard_init(&c->shards[c->nshards]) != 0) {
            dlc_cache_free(c); /* frees the nshards initialised so far */
            return NULL;
        }
    }
    return c;
}

void dlc_cache_free(dlc_cache *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->nshards; i++)
        shard_destroy(&c->shards[i]);
    free(c);
}

static shard *shard_for(dlc_cache *c, uint64_t hash)
{
    return &c->shards[(hash >> 32) & (c->nshards - 1)];
}

/* Copies e's value into a new buffer (*out, caller owns) and marks e most
 * recently used. false on OOM. */
static bool take_copy(shard *s, entry *e, void **out, size_t *len)
{
    *out = malloc(e->val_len > 0 ? e->val_len : 1);
    if (!*out)
        return false;
    memcpy(*out, entry_value(e), e->val_len);
    *len = e->val_len;
    lru_unlink(s, e);
    lru_push_newest(s, e);
    return true;
}

bool dlc_cache_get(dlc_cache *c, const char *key, int64_t now_ms, void **out, size_t *len)
{
    if (!c || !key || !out || !len)
        return false;
    *out = NULL;
    *len = 0;
    size_t key_len = strlen(key);
    uint64_t hash = hash_key(key, key_len);
    shard *s = shard_for(c, hash);
    entry *dead = NULL;
    bool hit = false;
    pthread_mutex_lock(&s->mu);
    entry **slot = find_slot(s, key, key_len, hash);
    if (*slot && expired(*slot, now_ms))
        dead = detach(s, slot);
    else if (*slot)
        hit = take_copy(s, *slot, out, len);
    if (hit)
        s->hits++;
    else
        s->misses++;
    pthread_mutex_unlock(&s->mu);
    free(dead);
    return hit;
}

int dlc_cache_put(dlc_cache *c, const char *key, const void *value, size_t len, int64_t ttl_ms,
                  int64_t now_ms)
{
    if (!c || !key || (!value && len > 0) || ttl_ms < 1)
        return -1;
    size_t key_len = strlen(key);
    uint64_t hash = hash_key(key, key_len);
    shard *s = shard_for(c, hash);
    bool too_big = len > c->shard_bytes || key_len > c->shard_bytes - len;
    /* Allocated before locking; owned by the shard once inserted. */
    entry *e = too_big ? NULL : entry_new(key, key_len, hash, value, len, expiry(now_ms, ttl_ms));
    entry *garbage = NULL;
    pthread_mutex_lock(&s->mu);
    entry **slot = find_slot(s, key, key_len, hash);
    if (*slot)
        discard(&garbage, detach(s, slot));
    if (e) {
        make_room(s, c, entry_bytes(e), now_ms, &garbage);
        insert(s, e);
    }
    pthread_mutex_unlock(&s->mu);
    free_chain(garbage);
    return too_big ? 1 : e ? 0 : -1;
}

/* Runs op on each shard in turn under its lock, frees what it discarded
 * after unlocking, and sums the results. */
typedef size_t (*shard_op)(shard *s, int64_t now_ms, entry **garbage);

static size_t sum_over_shards(dlc_cache *c, shard_op op, int64_t now_ms)
{
    size_t n = 0;
    for (size_t i = 0; c && i < c->nshards; i++) {
        shard *s = &c->shards[i];
        entry *garbage = NULL;
        pthread_mutex_lock(&s->mu);
        n += op(s, now_ms, &garbage);
        pthread_mutex_unlock(&s->mu);
        free_chain(garbage);
    }
    return n;
}

static size_t flush_shard(shard *s, int64_t now_ms, entry **garbage)
{
    size_t live = count_live(s, now_ms);
    *garbage = take_all(s);
    return live;
}

static size_t count_shard(shard *s, int64_t now_ms, entry **garbage)
{
    (void)now_ms;
    (void)garbage;
    return s->count;
}

size_t dlc_cache_flush(dlc_cache *c, int64_t now_ms)
{
    return sum_over_shards(c, flush_shard, now_ms);
}

size_t dlc_cache_purge_expired(dlc_cache *c, int64_t now_ms)
{
    return sum_over_shards(c, drop_expired, now_ms);
}

size_t dlc_cache_count(dlc_cache *c)
{
    return sum_over_shards(c, count_shard, 0);
}

void dlc_cache_stats(dlc_cache *c, dlc_cache_counts *out)
{
    *out = (dlc_cache_counts){0};
    for (size_t i = 0; c && i < c->nshards; i++) {
        shard *s = &c->shards[i];
        pthread_mutex_lock(&s->mu);
        out->hits += s->hits;
        out->misses += s->misses;
        out->evictions += s->evictions;
        out->entries += s->count;
        pthread_mutex_unlock(&s->mu);
    }
}
