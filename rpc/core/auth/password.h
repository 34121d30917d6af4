/*
 * dlc_password: argon2id through libsodium (crypto_pwhash_str*) on a pool
 * of its own threads: each hash holds up to 64 MiB (INTERACTIVE), so at
 * most max_concurrent run at once, which keeps memory bounded under a login
 * flood. The others wait in two FIFO queues served in turn — checks of a
 * password (logins) and new hashes (register, reset) — so that a flood of
 * one kind cannot starve the other. Each is bounded in length, and each
 * job by its deadline: a job is refused at once (DLC_PW_BUSY) when the queue is
 * full or when the jobs ahead of it (measured, not guessed: a moving average
 * of recent hashes) would take it past its deadline, and a job whose
 * deadline passes while it waits is refused when its turn comes. A caller
 * in an event-loop fiber (common/loop) is suspended while its job waits and
 * runs, and resumed by the hashing thread: no loop thread ever hashes.
 *
 * Strengths (auth.password.hash_strength): interactive (default), moderate,
 * min (tests only: the library minimum, ~0.04 ms). Passwords are verified
 * exactly as received (no trimming, no normalisation).
 *
 * Timing: verifying against a missing user hashes against a dummy hash of
 * the same strength, so unknown users and wrong passwords take alike.
 */
#ifndef DLC_PASSWORD_H
#define DLC_PASSWORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DLC_PASSWORD_HASH_MAX 128 /* ≥ crypto_pwhash_STRBYTES */

typedef enum { DLC_HASH_INTERACTIVE = 0, DLC_HASH_MODERATE, DLC_HASH_MIN } dlc_hash_strength;

typedef enum {
    DLC_PW_OK = 0,    /* hashed / verified and matching */
    DLC_PW_MISMATCH,  /* verified: wrong password (or unknown user) */
    DLC_PW_BUSY,      /* no hashing slot before the deadline */
    DLC_PW_ERROR,     /* out of memory, malformed stored hash */
} dlc_pw_rc;

typedef struct dlc_hasher dlc_hasher;

/* "interactive" | "moderate" | "min" → 0, else -1. */
int dlc_password_parse_strength(const char *text, dlc_hash_strength *out);

/* max_concurrent ≥ 1 hashing threads (no hashing at start: the dummy hash
 * of each strength is a constant, checked against the strength). NULL on
 * failure. One hasher is shared by all loops: every call below is
 * thread-safe.
 * Owned by the caller: free with dlc_hasher_free (NULL is fine). */
dlc_hasher *dlc_hasher_new(dlc_hash_strength strength, int max_concurrent);
void dlc_hasher_free(dlc_hasher *h);

/* Hashes pw (len bytes) into out (NUL-terminated encoded string). deadline_ms
 * on dlc_clock_mono_ms's clock bounds the wait in the queue.
 * An idle thread takes a job at once even when deadline_ms has passed (the
 * deadline bounds the wait, not the work); otherwise DLC_PW_BUSY when the
 * queue is full or the deadline cannot be met. pw may hold any bytes, NUL included; pw may be
 * NULL only when len is 0. The password is neither kept nor copied. */
dlc_pw_rc dlc_password_hash(dlc_hasher *h, const char *pw, size_t len, int64_t deadline_ms,
                            char out[DLC_PASSWORD_HASH_MAX]);

/* Verifies pw against stored; stored NULL (unknown user) verifies against the
 * dummy hash and answers DLC_PW_MISMATCH after the same work. Queue, deadline
 * and pw as for dlc_password_hash.
 * A stored string that is not a well-formed argon2id hash answers
 * DLC_PW_ERROR at once, without queueing: it is a data fault, not a wrong
 * password, and must not count as a failed login. Out of memory: DLC_PW_ERROR. */
dlc_pw_rc dlc_password_verify(dlc_hasher *h, const char *stored, const char *pw, size_t len,
                              int64_t deadline_ms);

/* The queues now and since start (for metrics): jobs waiting, jobs
 * hashing, and the jobs taken from a queue with their total time in it. */
typedef struct {
    int queued, running;
    int64_t waited, wait_us;
} dlc_hasher_counts;
/* Locks the queues briefly; h NULL: zeros. */
void dlc_hasher_stats(dlc_hasher *h, dlc_hasher_counts *out);

/* True when stored was made with other parameters than h's strength.
 * Also true for a malformed or non-argon2id stored string; false for NULL. */
bool dlc_password_needs_rehash(const dlc_hasher *h, const char *stored);

#endif
