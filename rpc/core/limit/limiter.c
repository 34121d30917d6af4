/*
 * dlc_limiter: in-memory GCRA rate limiting, sharded, with bounded memory
 * (see limiter.h).
 */
#include "rpc/core/limit/limiter.h"

#include <pthread.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

/* Clamp for now: leaves room above for tat = now + tau + T. */
#define NOW_MAX (INT64_MAX / 2)
/* Largest reachable tat: an allowed step leaves tat <= now + tau + T. */
#define TAT_MAX (NOW_MAX + 2 * DLC_LIMIT_SPAN_MAX)

#define SHARD_BITS 6
_Static_assert(DLC_LIMIT_SHARDS == 1 << SHARD_BITS, "shard index is the hash's low bits");
/* Slot values are bucket index + 1 in a uint32_t; the slot table is 2x. */
#define SHARD_CAP_MAX (UINT32_MAX / 4)
/* First allocation of a shard's buckets (then doubled up to the cap). */
#define MIN_ALLOC 8
#define NOT_FOUND SIZE_MAX

/* ---- GCRA ----------------------------------------------------------------- */

typedef struct {
    int64_t t;   /* emission interval, ms: [1, DLC_LIMIT_SPAN_MAX] */
    int64_t tau; /* tolerance, ms: [0, DLC_LIMIT_SPAN_MAX] */
} gcra;

static int64_t clamp(int64_t v, int64_t lo, int64_t hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

static int64_t clamp_now(int64_t now_ms)
{
    return clamp(now_ms, 0, NOW_MAX);
}

static gcra gcra_of(const dlc_limit_rule *rule)
{
    static const dlc_limit_rule ones = {1, 1, 1};
    const dlc_limit_rule *r = rule ? rule : &ones;
    int64_t limit = clamp(r->limit, 1, DLC_LIMIT_SPAN_MAX);
    int64_t window = clamp(r->window_ms, 1, DLC_LIMIT_SPAN_MAX);
    int64_t extra = clamp(r->burst, 1, INT64_MAX) - 1;
    /* Rounded up: never more than the rule admits. */
    int64_t t = window / limit + (window % limit != 0);
    int64_t tau = extra > DLC_LIMIT_SPAN_MAX / t ? DLC_LIMIT_SPAN_MAX : t * extra;
    return (gcra){.t = t, .tau = tau};
}

void dlc_limit_params(const dlc_limit_rule *rule, int64_t *t_ms, int64_t *tau_ms)
{
    gcra g = gcra_of(rule);
    *t_ms = g.t;
    *tau_ms = g.tau;
}

dlc_limit_decision dlc_limit_step(int64_t *tat, const dlc_limit_rule *rule, int64_t now_ms)
{
    gcra g = gcra_of(rule);
    int64_t now = clamp_now(now_ms);
    int64_t debt = clamp(*tat, now, TAT_MAX) - now; /* ms of the bucket in use */
    if (debt > g.tau)
        return (dlc_limit_decision){
            .allowed = false, .remaining = 0, .reset_ms = debt, .retry_after_ms = debt - g.tau};
    *tat = now + debt + g.t;
    return (dlc_limit_decision){.allowed = true,
                                .remaining = (g.tau - debt) / g.t,
                                .reset_ms = debt + g.t,
                                .retry_after_ms = 0};
}

/* ---- keys ----------------------------------------------------------------- */

/* A key is held as its 64-bit SipHash under a random per-limiter secret,
 * never as text: 16 bytes a bucket whatever the key's length. Two keys
 * share a bucket only when their keyed hashes collide (about n^2 / 2^65
 * for n keys held: 3e-10 at 100,000), which a client cannot aim for
 * without the secret; a collision makes limiting coarser, never open. */
typedef struct {
    uint64_t hash;
    int64_t tat;
} bucket;

static uint64_t key_hash(const unsigned char seed[crypto_shorthash_KEYBYTES], const char *key)
{
    unsigned char h[crypto_shorthash_BYTES];
    crypto_shorthash(h, (const unsigned char *)key, strlen(key), seed);
    uint64_t v;
    memcpy(&v, h, sizeof v);
    return v;
}

/* ---- shard: dense buckets + linear-probing index -------------------------- */

typedef struct {
    _Alignas(64) pthread_mutex_t mu; /* guards everything below */
    bucket *buckets;                 /* owned; [0, n) in use, room for alloc */
    uint32_t *slots;                 /* owned; mask + 1 entries (>= 2 * alloc):
                                        bucket index + 1, 0 = empty */
    size_t n, alloc, cap, mask;
    int64_t full_at; /* no bucket is full before this (a lower bound of the tats) */
} shard;

/* Where newcomers go while their shard is full of buckets that still hold
 * state: one bucket for all of them. */
typedef struct {
    _Alignas(64) pthread_mutex_t mu;
    int64_t tat;
} overflow;

struct dlc_limiter {
    shard shards[DLC_LIMIT_SHARDS];
    overflow over;
    unsigned char seed[crypto_shorthash_KEYBYTES];
};

static size_t home(const shard *s, uint64_t hash)
{
    return (size_t)(hash >> SHARD_BITS) & s->mask;
}

static size_t next(const shard *s, size_t i)
{
    return (i + 1) & s->mask;
}

/* Slot position holding id, or NOT_FOUND. Ends: the table is at most half full. */
static size_t shard_find(const shard *s, uint64_t hash)
{
    if (!s->slots)
        return NOT_FOUND;
    for (size_t i = home(s, hash); s->slots[i]; i = next(s, i))
        if (s->buckets[s->slots[i] - 1].hash == hash)
            return i;
    return NOT_FOUND;
}

/* Slot position of bucket idx (which must be indexed). */
static size_t slot_of(const shard *s, size_t idx)
{
    size_t i = home(s, s->buckets[idx].hash);
    while (s->slots[i] != idx + 1)
        i = next(s, i);
    return i;
}

static void slot_put(shard *s, size_t idx)
{
    size_t i = home(s, s->buckets[idx].hash);
    while (s->slots[i])
        i = next(s, i);
    s->slots[i] = (uint32_t)(idx + 1);
}

/* Whether x lies in the cyclic range (lo, hi]. */
static bool cyclic_between(size_t lo, size_t x, size_t hi)
{
    return lo <= hi ? lo < x && x <= hi : lo < x || x <= hi;
}

/* Empties slot hole, shifting back the entries of its probe run (no tombstones). */
static void slot_clear(shard *s, size_t hole)
{
    for (size_t i = next(s, hole); s->slots[i]; i = next(s, i)) {
        if (!cyclic_between(hole, home(s, s->buckets[s->slots[i] - 1].hash), i)) {
            s->slots[hole] = s->slots[i];
            hole = i;
        }
    }
    s->slots[hole] = 0;
}

/* Removes bucket idx; the last bucket takes its place. */
static void shard_remove(shard *s, size_t idx)
{
    slot_clear(s, slot_of(s, idx));
    size_t last = --s->n;
    if (idx != last) {
        s->slots[slot_of(s, last)] = (uint32_t)(idx + 1);
        s->buckets[idx] = s->buckets[last];
    }
}

static size_t slots_for(size_t alloc)
{
    size_t n = 2;
    while (n < 2 * alloc)
        n *= 2;
    return n;
}

/* Doubles the room (up to cap) and rebuilds the index. Unchanged on failure. */
static bool shard_grow(shard *s)
{
    size_t want = s->alloc ? 2 * s->alloc : MIN_ALLOC;
    want = want < s->cap ? want : s->cap;
    size_t nslots = slots_for(want);
    uint32_t *slots = calloc(nslots, sizeof *slots);
    if (!slots)
        return false;
    bucket *b = realloc(s->buckets, want * sizeof *b);
    if (!b) {
        free(slots);
        return false;
    }
    free(s->slots);
    s->buckets = b;
    s->slots = slots;
    s->alloc = want;
    s->mask = nslots - 1;
    for (size_t i = 0; i < s->n; i++)
        slot_put(s, i);
    return true;
}

/* Drops the buckets full at now (tat <= now); returns how many. Notes when
 * the next one can be full, so that a full shard is not scanned in vain. */
static size_t shard_drop_full(shard *s, int64_t now)
{
    size_t dropped = 0;
    s->full_at = INT64_MAX;
    for (size_t i = 0; i < s->n;) {
        if (s->buckets[i].tat <= now) {
            shard_remove(s, i);
            dropped++;
        } else {
            if (s->buckets[i].tat < s->full_at)
                s->full_at = s->buckets[i].tat;
            i++;
        }
    }
    return dropped;
}

/* Room for a newcomer: a free place, or one a full bucket (which holds
 * nothing) leaves. A bucket that still holds state is never evicted:
 * that would forgive its debt. false: the shard is full of such buckets,
 * or memory ran out. */
static bool shard_make_room(shard *s, int64_t now)
{
    if (s->n == s->cap && (now < s->full_at || shard_drop_full(s, now) == 0))
        return false;
    return s->n < s->alloc || shard_grow(s);
}

/* The bucket's state is now tat (new: inserted, full: dropped). */
static void shard_note(shard *s, size_t pos, int64_t tat)
{
    if (tat < s->full_at)
        s->full_at = tat;
    if (pos != NOT_FOUND)
        s->buckets[s->slots[pos] - 1].tat = tat;
}

/* The decision for hash; *stored false when the shard had no room (the
 * caller charges the overflow bucket instead). */
static dlc_limit_decision shard_take(shard *s, uint64_t hash, const dlc_limit_rule *rule,
                                     int64_t now_ms, bool *stored)
{
    *stored = true;
    size_t pos = shard_find(s, hash);
    if (pos != NOT_FOUND)
        return dlc_limit_step(&s->buckets[s->slots[pos] - 1].tat, rule, now_ms);
    int64_t now = clamp_now(now_ms);
    if (!shard_make_room(s, now)) {
        *stored = false;
        return (dlc_limit_decision){0};
    }
    int64_t tat = 0;
    dlc_limit_decision d = dlc_limit_step(&tat, rule, now_ms);
    s->buckets[s->n] = (bucket){.hash = hash, .tat = tat};
    slot_put(s, s->n++);
    shard_note(s, NOT_FOUND, tat);
    return d;
}

/* Gives back one request's time: tat - T, at least now; a bucket full again
 * is dropped. false when hash holds no bucket. */
static bool shard_refund(shard *s, uint64_t hash, const dlc_limit_rule *rule, int64_t now_ms)
{
    size_t pos = shard_find(s, hash);
    if (pos == NOT_FOUND)
        return false;
    size_t idx = s->slots[pos] - 1;
    int64_t now = clamp_now(now_ms);
    int64_t t, tau;
    dlc_limit_params(rule, &t, &tau);
    int64_t tat = s->buckets[idx].tat - t;
    if (tat <= now)
        shard_remove(s, idx);
    else
        shard_note(s, pos, tat);
    return true;
}

/* ---- limiter -------------------------------------------------------------- */

static void shards_destroy(dlc_limiter *l, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        pthread_mutex_destroy(&l->shards[i].mu);
        free(l->shards[i].buckets);
        free(l->shards[i].slots);
    }
}

dlc_limiter *dlc_limiter_new(size_t max_keys)
{
    size_t cap = max_keys / DLC_LIMIT_SHARDS + (max_keys % DLC_LIMIT_SHARDS != 0);
    if (cap == 0 || cap > SHARD_CAP_MAX || sodium_init() < 0)
        return NULL;
    /* sizeof is a multiple of the 64-byte alignment, as aligned_alloc wants. */
    dlc_limiter *l = aligned_alloc(_Alignof(dlc_limiter), sizeof *l);
    if (!l)
        return NULL;
    memset(l, 0, sizeof *l);
    randombytes_buf(l->seed, sizeof l->seed);
    if (pthread_mutex_init(&l->over.mu, NULL) != 0) {
        free(l);
        return NULL;
    }
    for (size_t i = 0; i < DLC_LIMIT_SHARDS; i++) {
        if (pthread_mutex_init(&l->shards[i].mu, NULL) != 0) {
            shards_destroy(l, i);
            pthread_mutex_destroy(&l->over.mu);
            free(l);
            return NULL;
        }
        l->shards[i].cap = cap;
        l->shards[i].full_at = INT64_MAX;
    }
    return l;
}

void dlc_limiter_free(dlc_limiter *l)
{
    if (!l)
        return;
    shards_destroy(l, DLC_LIMIT_SHARDS);
    pthread_mutex_destroy(&l->over.mu);
    free(l);
}

static shard *shard_of(dlc_limiter *l, uint64_t hash)
{
    return &l->shards[hash & (DLC_LIMIT_SHARDS - 1)];
}

dlc_limit_decision dlc_limiter_take(dlc_limiter *l, const char *key, const dlc_limit_rule *rule,
                                    int64_t now_ms)
{
    uint64_t hash = key_hash(l->seed, key);
    shard *s = shard_of(l, hash);
    bool stored;
    pthread_mutex_lock(&s->mu);
    dlc_limit_decision d = shard_take(s, hash, rule, now_ms, &stored);
    pthread_mutex_unlock(&s->mu);
    if (stored)
        return d;
    pthread_mutex_lock(&l->over.mu);
    d = dlc_limit_step(&l->over.tat, rule, now_ms);
    pthread_mutex_unlock(&l->over.mu);
    d.overflow = true;
    return d;
}

void dlc_limiter_refund(dlc_limiter *l, const char *key, const dlc_limit_rule *rule, int64_t now_ms)
{
    uint64_t hash = key_hash(l->seed, key);
    shard *s = shard_of(l, hash);
    pthread_mutex_lock(&s->mu);
    bool found = shard_refund(s, hash, rule, now_ms);
    pthread_mutex_unlock(&s->mu);
    if (found)
        return;
    int64_t t, tau;
    dlc_limit_params(rule, &t, &tau);
    pthread_mutex_lock(&l->over.mu);
    int64_t now = clamp_now(now_ms);
    l->over.tat = l->over.tat - t > now ? l->over.tat - t : now;
    pthread_mutex_unlock(&l->over.mu);
}

size_t dlc_limiter_sweep(dlc_limiter *l, int64_t now_ms)
{
    size_t dropped = 0;
    int64_t now = clamp_now(now_ms);
    for (size_t i = 0; l && i < DLC_LIMIT_SHARDS; i++) {
        pthread_mutex_lock(&l->shards[i].mu);
        dropped += shard_drop_full(&l->shards[i], now);
        pthread_mutex_unlock(&l->shards[i].mu);
    }
    return dropped;
}

size_t dlc_limiter_size(dlc_limiter *l)
{
    size_t n = 0;
    for (size_t i = 0; l && i < DLC_LIMIT_SHARDS; i++) {
        pthread_mutex_lock(&l->shards[i].mu);
        n += l->shards[i].n;
        pthread_mutex_unlock(&l->shards[i].mu);
    }
    return n;
}

size_t dlc_limiter_bytes_per_key(void)
{
    /* a bucket, and at most four index slots (a power of two, at least
     * twice the buckets) */
    return sizeof(bucket) + 4 * sizeof(uint32_t);
}
