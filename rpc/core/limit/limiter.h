/*
 * dlc_limiter: in-memory rate limiting by key (GCRA, the token bucket's
 * exact equivalent with one int64 of state per key). A rule admits `burst`
 * requests at once and refills at `limit` per `window_ms`: 60/min burst 10 =
 * 10 at once, then one per second. Sharded (no global lock). Memory is
 * bounded and the limiter never opens: a key is held as a 64-bit keyed
 * hash (dlc_limiter_bytes_per_key bytes a key, whatever its length);
 * buckets that have refilled completely hold nothing and are dropped
 * (indistinguishable from absent ones); a bucket that still holds state is
 * never evicted. A newcomer that finds its shard full of such buckets is
 * charged to the limiter's one overflow bucket, shared by every key in that
 * position: limiting gets coarser under a flood of keys, it never stops.
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
    bool overflow;          /* decided on the overflow bucket (the table was full) */
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

/* One request for key (any NUL-terminated string, e.g. "203.0.113.7";
 * only its keyed hash is kept). Safe from many threads. */
dlc_limit_decision dlc_limiter_take(dlc_limiter *l, const char *key, const dlc_limit_rule *rule,
                                    int64_t now_ms);

/* Gives back the time of one request of key taken under rule (e.g. a
 * login that succeeded, when only failures count); the overflow bucket's
 * when key holds no bucket. Never below a full bucket. */
void dlc_limiter_refund(dlc_limiter *l, const char *key, const dlc_limit_rule *rule,
                        int64_t now_ms);

/* Drops buckets that are full at now_ms (for a periodic sweep); returns how
 * many. Locks one shard at a time. */
size_t dlc_limiter_sweep(dlc_limiter *l, int64_t now_ms);
/* Buckets held now. */
size_t dlc_limiter_size(dlc_limiter *l);
/* Memory a key held costs: at most max_keys (rounded up to a multiple of
 * DLC_LIMIT_SHARDS) times this, plus a fixed few kilobytes. */
size_t dlc_limiter_bytes_per_key(void);

#endif
