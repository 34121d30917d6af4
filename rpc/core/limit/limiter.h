/*
 * dlc_limiter: in-memory rate limiting by key (GCRA, the token bucket's
 * exact equivalent with one int64 of state per key). A rule admits `burst`
 * requests at once and refills at `limit` per `window_ms`: 60/min burst 10 =
 * 10 at once, then one per second. Sharded (no global lock); memory bounded:
 * buckets that have refilled completely are dropped (indistinguishable from
 * absent ones) and a hard cap on keys evicts the bucket nearest to full (a
 * newcomer nearer to full than every bucket held is simply not stored).
 *
 * Arithmetic (the PostgreSQL store's SQL must do the same):
 *   - rule fields below 1 count as 1; limit and window_ms are clamped to
 *     DLC_LIMIT_SPAN_MAX, burst to INT64_MAX;
 *   - emission interval T = ceil(window_ms / limit), rounded up so that the
 *     limiter never admits more than the rule (7 per 1000 ms: T = 143, i.e.
 *     7 per 1001 ms); rates above one per ms therefore refill at one per ms;
 *   - tolerance tau = min(T * (burst - 1), DLC_LIMIT_SPAN_MAX);
 *   - now is clamped to [0, INT64_MAX / 2] and a stored tat to
 *     [now, INT64_MAX / 2 + 2 * DLC_LIMIT_SPAN_MAX] (every reachable state);
 *   - base = max(tat, now); allowed iff base - now <= tau; then
 *     tat' = base + T, remaining = (tau - (base - now)) / T,
 *     reset_ms = tat' - now; denied: retry_after_ms = base - now - tau,
 *     reset_ms = base - now, remaining 0, tat unchanged.
 * The state is time, not a count: after a rule change the time already
 * consumed stays consumed (a bucket drained under 60/min burst 10 owes
 * 10 s, on which a 120/min burst 30 rule still admits 10 more).
 */
#ifndef DLC_LIMITER_H
#define DLC_LIMITER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Bytes kept of a key, NUL included (see dlc_limiter_take). */
#define DLC_LIMIT_KEY_MAX 128
/* Shards of a limiter: the key cap is rounded up to a multiple of this. */
#define DLC_LIMIT_SHARDS 64
/* Bound on T and tau, in ms (2^52 ms, about 142,000 years). */
#define DLC_LIMIT_SPAN_MAX (INT64_C(1) << 52)

typedef struct dlc_limiter dlc_limiter;

typedef struct {
    int64_t limit;     /* requests per window, >= 1 */
    int64_t window_ms; /* >= 1 */
    int64_t burst;     /* requests admitted at once, >= 1 */
} dlc_limit_rule;

typedef struct {
    bool allowed;
    int64_t remaining;      /* requests still admitted right now, after this one */
    int64_t reset_ms;       /* ms until the bucket is full again (0 when full) */
    int64_t retry_after_ms; /* denied: ms until one request is admitted; 0 when allowed */
} dlc_limit_decision;

/* The GCRA step on one bucket's state (*tat: theoretical arrival time in ms,
 * 0 for a new bucket). Pure: the limiter and the PostgreSQL store's SQL both
 * follow it; unit tests drive it with any clock. A denied request leaves
 * *tat unchanged. rule NULL counts as {1, 1, 1}. */
dlc_limit_decision dlc_limit_step(int64_t *tat, const dlc_limit_rule *rule, int64_t now_ms);

/* The rule's emission interval T and tolerance tau, as the step uses them
 * (for the PostgreSQL store, which runs the same step in SQL). */
void dlc_limit_params(const dlc_limit_rule *rule, int64_t *t_ms, int64_t *tau_ms);

/* max_keys: hard cap on buckets (>= 1; spread over the shards, each holding
 * ceil(max_keys / DLC_LIMIT_SHARDS), so at most DLC_LIMIT_SHARDS times that
 * in all). Memory grows with the keys held, up to the cap. NULL on OOM or
 * when max_keys is 0. The caller owns the result (dlc_limiter_free). */
dlc_limiter *dlc_limiter_new(size_t max_keys);
void dlc_limiter_free(dlc_limiter *l);

/* One request for key (any NUL-terminated string, e.g. "greet|203.0.113.7";
 * copied in, the caller keeps it). A key of DLC_LIMIT_KEY_MAX bytes or more
 * is stored as its first DLC_LIMIT_KEY_MAX - 1 bytes, marked truncated, plus
 * a 64-bit SipHash of the whole key under a random per-limiter secret: two
 * distinct long keys share a bucket only if they share that prefix and that
 * keyed hash (2^-64, and not something a client can aim for); a long key
 * never matches a short one. Safe from many threads. On allocation failure
 * (or l or key NULL) the request is allowed and nothing is stored. */
dlc_limit_decision dlc_limiter_take(dlc_limiter *l, const char *key, const dlc_limit_rule *rule,
                                    int64_t now_ms);

/* Drops buckets that are full at now_ms (for a periodic sweep); returns how
 * many. Locks one shard at a time. */
size_t dlc_limiter_sweep(dlc_limiter *l, int64_t now_ms);
/* Buckets held now. */
size_t dlc_limiter_size(dlc_limiter *l);

#endif
