/*
 * dlc_principals: per-shard hash tables over a slab allocated up front, with
 * CLOCK eviction (a get only sets a flag, so the LRU approximation costs a
 * hit no list surgery) and per-shard generations for the begin/put race.
 */
#include "rpc/core/auth/principals.h"

#include <errno.h>
#include <pthread.h>
#include <stdalign.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#define MAX_SHARDS 16
#define MIN_SHARD_ENTRIES 8
/* Each shard starts on a cache line of its own, so threads busy with
 * neighbouring shards do not contend on one line after all. */
#define CACHE_LINE 64

/* A slot of a shard's slab: in one bucket chain while in use, in the free
 * chain otherwise. */
typedef struct entry {
    struct entry *chain; /* next in its bucket, or in the free chain */
    int64_t user_id;
    dlc_principal_info info;
    bool referenced; /* read since the clock hand last passed: spared once */
} entry;

typedef struct {
    alignas(CACHE_LINE) pthread_mutex_t mu; /* guards every plain field below */
    /* The token a begin hands out now. Moves (by the shard count, so tokens
     * of different shards never coincide) only under mu; read without it. */
    _Atomic uint64_t gen;
    entry **buckets; /* owned; nbuckets (a power of two) chains */
    size_t nbuckets;
    entry *slab; /* owned; cap slots */
    size_t cap;
    size_t count;
    entry *free; /* unused slots */
    size_t hand; /* the clock hand: the next slot eviction looks at */
    atomic_uint_fast64_t hits, misses, evictions, stale_puts;
} shard;

struct dlc_principals {
    atomic_bool trusted;
    size_t nshards; /* a power of two; that many initialised shards */
    shard *shards;  /* owned; aligned_alloc'd */
};

/* ---- one shard (functions taking a shard run under its lock) ------------ */

/* splitmix64's finaliser: ids are sequential, and both the high bits
 * (shard) and the low bits (bucket) must spread them. */
static uint64_t mix(int64_t user_id)
{
    uint64_t h = (uint64_t)user_id;
    h = (h ^ (h >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    h = (h ^ (h >> 27)) * UINT64_C(0x94d049bb133111eb);
    return h ^ (h >> 31);
}

static void count_one(atomic_uint_fast64_t *counter)
{
    atomic_fetch_add_explicit(counter, 1, memory_order_relaxed);
}

/* The link pointing at user_id's entry, or at the NULL ending its chain. */
static entry **find_slot(shard *s, int64_t user_id, uint64_t hash)
{
    entry **link = &s->buckets[hash & (s->nbuckets - 1)];
    while (*link && (*link)->user_id != user_id)
        link = &(*link)->chain;
    return link;
}

/* Moves *link's entry from its bucket to the free chain. */
static void release(shard *s, entry **link)
{
    entry *e = *link;
    *link = e->chain;
    e->chain = s->free;
    s->free = e;
    s->count--;
}

/* Called with every slot in use: the first one the hand finds unread since
 * it last passed (two turns at most). */
static entry *clock_victim(shard *s)
{
    for (;;) {
        entry *e = &s->slab[s->hand];
        s->hand = (s->hand + 1) % s->cap;
        if (!e->referenced)
            return e;
        e->referenced = false;
    }
}

/* A free slot, evicting an entry when there is none; unlinked, uncounted. */
static entry *take_slot(shard *s)
{
    if (!s->free) {
        entry *victim = clock_victim(s);
        release(s, find_slot(s, victim->user_id, mix(victim->user_id)));
        count_one(&s->evictions);
    }
    entry *e = s->free;
    s->free = e->chain;
    return e;
}

static void store(shard *s, int64_t user_id, uint64_t hash, const dlc_principal_info *info)
{
    entry *e = *find_slot(s, user_id, hash);
    if (e) {
        e->info = *info;
        e->referenced = true;
        return;
    }
    e = take_slot(s); /* may unlink others: look the bucket up afresh below */
    *e = (entry){.user_id = user_id, .info = *info};
    entry **bucket = &s->buckets[hash & (s->nbuckets - 1)];
    e->chain = *bucket;
    *bucket = e;
    s->count++;
}

/* Every slot free and every bucket empty. */
static void clear(shard *s)
{
    memset(s->buckets, 0, s->nbuckets * sizeof *s->buckets);
    for (size_t i = 0; i < s->cap; i++)
        s->slab[i].chain = i + 1 < s->cap ? &s->slab[i + 1] : NULL;
    s->free = s->slab;
    s->count = 0;
    s->hand = 0;
}

/* Puts begun before now will be refused. */
static void bump(shard *s, size_t nshards)
{
    atomic_fetch_add(&s->gen, nshards);
}

/* The smallest power of two >= n, or 0 when there is none. */
static size_t pow2_at_least(size_t n)
{
    size_t p = 1;
    while (p < n && p <= SIZE_MAX / 2)
        p *= 2;
    return p >= n ? p : 0;
}

static int shard_init(shard *s, size_t cap, uint64_t first_gen)
{
    s->nbuckets = pow2_at_least(cap);
    s->cap = cap;
    s->buckets = s->nbuckets ? calloc(s->nbuckets, sizeof *s->buckets) : NULL;
    s->slab = calloc(cap, sizeof *s->slab);
    if (!s->buckets || !s->slab || pthread_mutex_init(&s->mu, NULL) != 0) {
        free(s->buckets);
        free(s->slab);
        return -1;
    }
    atomic_init(&s->gen, first_gen);
    clear(s);
    return 0;
}

static void shard_destroy(shard *s)
{
    pthread_mutex_destroy(&s->mu);
    free(s->buckets);
    free(s->slab);
}

/* ---- the cache ----------------------------------------------------------- */

/* The largest power of two <= MAX_SHARDS leaving each shard the minimum. */
static size_t shard_count(size_t max_entries)
{
    size_t n = MAX_SHARDS;
    while (n > 1 && max_entries / n < MIN_SHARD_ENTRIES)
        n /= 2;
    return n;
}

/* Shard i's share of max_entries: the shares differ by at most one and add
 * up to max_entries exactly. */
static size_t share(size_t max_entries, size_t nshards, size_t i)
{
    return max_entries / nshards + (i < max_entries % nshards);
}

dlc_principals *dlc_principals_new(size_t max_entries)
{
    if (max_entries == 0)
        return NULL;
    size_t n = shard_count(max_entries);
    dlc_principals *p = calloc(1, sizeof *p);
    /* sizeof(shard) is a multiple of its alignment, as aligned_alloc needs. */
    shard *shards = p ? aligned_alloc(alignof(shard), n * sizeof *shards) : NULL;
    if (!shards) {
        free(p);
        return NULL;
    }
    memset(shards, 0, n * sizeof *shards);
    p->shards = shards;
    atomic_init(&p->trusted, false);
    for (; p->nshards < n; p->nshards++) {
        size_t i = p->nshards;
        if (shard_init(&shards[i], share(max_entries, n, i), 1 + i) != 0) {
            dlc_principals_free(p); /* frees the nshards initialised so far */
            return NULL;
        }
    }
    return p;
}

void dlc_principals_free(dlc_principals *p)
{
    if (!p)
        return;
    for (size_t i = 0; i < p->nshards; i++)
        shard_destroy(&p->shards[i]);
    free(p->shards);
    free(p);
}

static shard *shard_for(dlc_principals *p, uint64_t hash)
{
    return &p->shards[(hash >> 32) & (p->nshards - 1)];
}

uint64_t dlc_principals_begin(dlc_principals *p, int64_t user_id)
{
    return p ? atomic_load(&shard_for(p, mix(user_id))->gen) : 0;
}

/* Copies user_id's entry, if any, into *out. */
static bool lookup(shard *s, int64_t user_id, uint64_t hash, dlc_principal_info *out)
{
    pthread_mutex_lock(&s->mu);
    entry *e = *find_slot(s, user_id, hash);
    if (e) {
        *out = e->info;
        e->referenced = true;
    }
    pthread_mutex_unlock(&s->mu);
    return e != NULL;
}

bool dlc_principals_get(dlc_principals *p, int64_t user_id, dlc_principal_info *out)
{
    if (!p || !out)
        return false;
    uint64_t hash = mix(user_id);
    shard *s = shard_for(p, hash);
    bool hit = atomic_load(&p->trusted) && lookup(s, user_id, hash, out);
    count_one(hit ? &s->hits : &s->misses);
    return hit;
}

bool dlc_principals_put(dlc_principals *p, int64_t user_id, uint64_t token,
                        const dlc_principal_info *info)
{
    if (!p || !info)
        return false;
    uint64_t hash = mix(user_id);
    shard *s = shard_for(p, hash);
    pthread_mutex_lock(&s->mu);
    /* Compared under the lock that every bump holds: no invalidation can
     * slip between this check and the store. */
    bool fresh = token == atomic_load(&s->gen);
    if (fresh)
        store(s, user_id, hash, info);
    pthread_mutex_unlock(&s->mu);
    if (!fresh)
        count_one(&s->stale_puts);
    return fresh;
}

void dlc_principals_invalidate(dlc_principals *p, int64_t user_id)
{
    if (!p)
        return;
    uint64_t hash = mix(user_id);
    shard *s = shard_for(p, hash);
    pthread_mutex_lock(&s->mu);
    entry **link = find_slot(s, user_id, hash);
    if (*link)
        release(s, link);
    bump(s, p->nshards); /* even when absent: a reader may be about to put it */
    pthread_mutex_unlock(&s->mu);
}

/* A positive decimal id and nothing else; false otherwise. */
static bool parse_id(const char *text, int64_t *id)
{
    if (!text || *text < '0' || *text > '9')
        return false;
    char *end;
    errno = 0;
    long long v = strtoll(text, &end, 10);
    *id = v;
    return errno == 0 && *end == '\0' && v > 0;
}

void dlc_principals_invalidate_text(dlc_principals *p, const char *payload)
{
    int64_t id;
    if (parse_id(payload, &id))
        dlc_principals_invalidate(p, id);
    else
        dlc_principals_flush(p);
}

void dlc_principals_flush(dlc_principals *p)
{
    for (size_t i = 0; p && i < p->nshards; i++) {
        shard *s = &p->shards[i];
        pthread_mutex_lock(&s->mu);
        clear(s);
        bump(s, p->nshards);
        pthread_mutex_unlock(&s->mu);
    }
}

void dlc_principals_set_trusted(dlc_principals *p, bool trusted)
{
    if (!p)
        return;
    if (trusted)
        dlc_principals_flush(p); /* before trusting, or a get could see the old */
    atomic_store(&p->trusted, trusted);
}

size_t dlc_principals_count(dlc_principals *p)
{
    size_t n = 0;
    for (size_t i = 0; p && i < p->nshards; i++) {
        shard *s = &p->shards[i];
        pthread_mutex_lock(&s->mu);
        n += s->count;
        pthread_mutex_unlock(&s->mu);
    }
    return n;
}

static uint64_t read_counter(atomic_uint_fast64_t *counter)
{
    return atomic_load_explicit(counter, memory_order_relaxed);
}

void dlc_principals_stats_get(dlc_principals *p, dlc_principals_stats *out)
{
    *out = (dlc_principals_stats){0};
    for (size_t i = 0; p && i < p->nshards; i++) {
        shard *s = &p->shards[i];
        out->hits += read_counter(&s->hits);
        out->misses += read_counter(&s->misses);
        out->evictions += read_counter(&s->evictions);
        out->stale_puts += read_counter(&s->stale_puts);
    }
}
