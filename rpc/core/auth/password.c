/*
 * dlc_password: argon2id hashing and verification on a bounded pool of
 * threads with two fair, deadline-bounded queues (see password.h).
 */
#include "rpc/core/auth/password.h"

#include "common/clock.h"
#include "common/loop.h"

#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

_Static_assert(DLC_PASSWORD_HASH_MAX >= crypto_pwhash_STRBYTES,
               "DLC_PASSWORD_HASH_MAX must hold a crypto_pwhash string");

struct strength_params {
    const char *name;
    unsigned long long ops;
    size_t mem;
    /* The dummy hash an unknown user is verified against, so that it costs
     * what a wrong password costs. Its only job is that cost: an unknown
     * user never verifies, whatever matches (dlc_password_verify sees to
     * it). Each was made once with these parameters from 32 random bytes
     * that were thrown away; a constant saves a hash (~80 ms at
     * INTERACTIVE) at every start. */
    const char *dummy;
};

/* Indexed by dlc_hash_strength. */
static const struct strength_params strengths[] = {
    [DLC_HASH_INTERACTIVE] = {"interactive", crypto_pwhash_OPSLIMIT_INTERACTIVE,
                              crypto_pwhash_MEMLIMIT_INTERACTIVE,
                              "$argon2id$v=19$m=65536,t=2,p=1$OZROxpjCy8xDY+pf/5dvVg$"
                              "PftWqrGChkLopAVWXo3+1c5KgS/JrMbPpxxyg+JXLa8"},
    [DLC_HASH_MODERATE] = {"moderate", crypto_pwhash_OPSLIMIT_MODERATE,
                           crypto_pwhash_MEMLIMIT_MODERATE,
                           "$argon2id$v=19$m=262144,t=3,p=1$0jxa6FixgtfymdaNtla6qQ$"
                           "WxW9PWnDojkvmMMlG1PK64YE9dGvYCeYvp4ARF4iz20"},
    [DLC_HASH_MIN] = {"min", crypto_pwhash_OPSLIMIT_MIN, crypto_pwhash_MEMLIMIT_MIN,
                      "$argon2id$v=19$m=8,t=1,p=1$j0YLvVlqIrIcRqYU3OUQMQ$"
                      "R0VKstZvjbFVoSs/RyCNVeVr/GUgNr2wPWp6PyZrPh8"},
};

#define N_STRENGTHS (sizeof strengths / sizeof strengths[0])

/* Jobs each queue holds at most; beyond it a request is refused at once.
 * Both together stay below the core's default rpc.max_in_flight (256):
 * callers waiting here never take every context. */
#define QUEUE_MAX 64
/* The first guess of one hash's duration, before any was measured. */
#define FIRST_GUESS_US 80000

/* One hash or verify, on its caller's stack until done. */
typedef struct job {
    const char *pw;
    size_t len;
    const char *stored; /* verify: the hash to check; NULL: hash into out */
    char *out;
    int64_t deadline_ms;
    int64_t queued_us; /* when it joined its queue (dlc_clock_mono_us) */
    bool late_ok; /* admitted past its deadline because a thread was idle */
    dlc_pw_rc rc;
    dlc_loop_fiber *fiber; /* woken when done; NULL: done is posted */
    sem_t done;
    struct job *next;
} job;

/* Two queues served in turn: checks of a password (logins) and new hashes
 * (register, reset): a flood of one kind gets half the threads at most
 * while the other kind waits, so it cannot starve it. */
enum { Q_VERIFY, Q_HASH, N_QUEUES };

typedef struct {
    job *head, *tail;
    int queued;
} fifo;

struct dlc_hasher {
    unsigned long long ops;
    size_t mem;
    /* The queues of jobs and the threads that run them. */
    pthread_mutex_t mu;
    pthread_cond_t cv;
    fifo q[N_QUEUES];
    int turn;                      /* the queue served next when both hold jobs */
    int running, nthreads;         /* running: taken, not yet handed back */
    bool stop;
    pthread_t *threads;
    atomic_llong avg_us; /* moving average of one job's duration */
    atomic_llong waited, wait_us; /* jobs taken from a queue, their time in it */
    const char *dummy; /* strengths[].dummy */
};

int dlc_password_parse_strength(const char *text, dlc_hash_strength *out)
{
    if (text == NULL || out == NULL)
        return -1;
    for (size_t i = 0; i < N_STRENGTHS; i++) {
        if (strcmp(text, strengths[i].name) == 0) {
            *out = (dlc_hash_strength)i;
            return 0;
        }
    }
    return -1;
}

static bool strength_valid(dlc_hash_strength s)
{
    return (unsigned)s < N_STRENGTHS;
}

static dlc_pw_rc hash_into(const dlc_hasher *h, const char *pw, size_t len,
                           char out[DLC_PASSWORD_HASH_MAX])
{
    /* -1 means out of memory (or limits the library refuses). */
    if (crypto_pwhash_str_alg(out, pw, len, h->ops, h->mem, crypto_pwhash_ALG_ARGON2ID13) != 0)
        return DLC_PW_ERROR;
    return DLC_PW_OK;
}

/* -1 covers both a mismatch and an allocation failure; only the latter
 * leaves ENOMEM, and it must not count as a failed login. */
static dlc_pw_rc verify_str(const char *str, const char *pw, size_t len)
{
    errno = 0;
    if (crypto_pwhash_str_verify(str, pw, len) == 0)
        return DLC_PW_OK;
    return errno == ENOMEM ? DLC_PW_ERROR : DLC_PW_MISMATCH;
}

/* ---- the hashing threads and their FIFO ----------------------------------- */

static void run_job(dlc_hasher *h, job *j)
{
    if (!j->late_ok && dlc_clock_mono_ms() > j->deadline_ms) {
        j->rc = DLC_PW_BUSY; /* its wait outlasted its deadline */
        return;
    }
    int64_t t0 = dlc_clock_mono_ms();
    j->rc = j->stored ? verify_str(j->stored, j->pw, j->len) : hash_into(h, j->pw, j->len, j->out);
    long long took = (long long)(dlc_clock_mono_ms() - t0) * 1000;
    long long avg = atomic_load(&h->avg_us);
    atomic_store(&h->avg_us, avg + (took - avg) / 8);
}

/* After this the job belongs to its caller again: do not touch it. */
static void complete(job *j)
{
    if (j->fiber)
        dlc_loop_wake(j->fiber);
    else
        sem_post(&j->done);
}

static int queue_of(const job *j)
{
    return j->stored ? Q_VERIFY : Q_HASH;
}

static int queued(const dlc_hasher *h)
{
    return h->q[Q_VERIFY].queued + h->q[Q_HASH].queued;
}

/* The next job, the queues taking turns; NULL when both are empty. */
static job *take(dlc_hasher *h)
{
    int k = h->q[h->turn].head ? h->turn : 1 - h->turn;
    fifo *f = &h->q[k];
    job *j = f->head;
    if (!j)
        return NULL;
    f->head = j->next;
    if (!f->head)
        f->tail = NULL;
    f->queued--;
    h->turn = 1 - k;
    return j;
}

static void *hash_thread(void *arg)
{
    dlc_hasher *h = arg;
    pthread_mutex_lock(&h->mu);
    for (;;) {
        job *j;
        while (!(j = take(h)) && !h->stop)
            pthread_cond_wait(&h->cv, &h->mu);
        if (!j)
            break; /* stopping, and nothing left to do */
        h->running++;
        pthread_mutex_unlock(&h->mu);
        atomic_fetch_add_explicit(&h->waited, 1, memory_order_relaxed);
        atomic_fetch_add_explicit(&h->wait_us, dlc_clock_mono_us() - j->queued_us,
                                  memory_order_relaxed);
        run_job(h, j);
        pthread_mutex_lock(&h->mu);
        h->running--; /* before the caller learns: its next job finds us free */
        complete(j);
    }
    pthread_mutex_unlock(&h->mu);
    return NULL;
}

/* Jobs that run before one joining queue k now: those of its queue, and as
 * many of the other's (they take turns). */
static int ahead_of(const dlc_hasher *h, int k)
{
    int mine = h->q[k].queued, other = h->q[1 - k].queued;
    return mine + (other < mine + 1 ? other : mine + 1);
}

/* Queues j, or refuses it at once: its queue is full, or the jobs ahead of
 * it would take it past its deadline. A job that finds a thread idle is
 * always taken: the deadline bounds the wait, not the work. */
static bool admit(dlc_hasher *h, job *j)
{
    int k = queue_of(j);
    fifo *f = &h->q[k];
    pthread_mutex_lock(&h->mu);
    bool ok = !h->stop && f->queued < QUEUE_MAX;
    j->late_ok = h->nthreads - h->running > queued(h);
    if (ok && !j->late_ok) {
        long long waves = ahead_of(h, k) / h->nthreads + 1;
        ok = dlc_clock_mono_ms() + waves * atomic_load(&h->avg_us) / 1000 <= j->deadline_ms;
    }
    if (ok) {
        j->queued_us = dlc_clock_mono_us();
        j->next = NULL;
        if (f->tail)
            f->tail->next = j;
        else
            f->head = j;
        f->tail = j;
        f->queued++;
        pthread_cond_signal(&h->cv);
    }
    pthread_mutex_unlock(&h->mu);
    return ok;
}

/* Runs j on a hashing thread and waits for it: a fiber is suspended (its
 * loop serves others meanwhile), an ordinary thread blocks. */
static dlc_pw_rc submit(dlc_hasher *h, job *j)
{
    j->fiber = dlc_loop_self();
    if (!j->fiber && sem_init(&j->done, 0, 0) != 0)
        return DLC_PW_ERROR;
    dlc_pw_rc rc = DLC_PW_BUSY;
    if (admit(h, j)) {
        if (j->fiber)
            dlc_loop_park();
        else
            while (sem_wait(&j->done) != 0 && errno == EINTR)
                ;
        rc = j->rc;
    }
    if (!j->fiber)
        sem_destroy(&j->done);
    return rc;
}

static void stop_threads(dlc_hasher *h, int n)
{
    pthread_mutex_lock(&h->mu);
    h->stop = true;
    pthread_cond_broadcast(&h->cv);
    pthread_mutex_unlock(&h->mu);
    for (int i = 0; i < n; i++)
        pthread_join(h->threads[i], NULL);
}

static int start_threads(dlc_hasher *h, int n)
{
    h->threads = calloc((size_t)n, sizeof *h->threads);
    if (!h->threads)
        return -1;
    for (int i = 0; i < n; i++) {
        if (pthread_create(&h->threads[i], NULL, hash_thread, h) != 0) {
            stop_threads(h, i);
            return -1;
        }
    }
    h->nthreads = n;
    return 0;
}

/* A well-formed argon2id string decodes; the library's rehash check is the
 * one public decoder, and it costs no hashing. crypto_pwhash_str_verify alone
 * answers -1 for both "wrong password" and "garbage". */
static int check_stored(const dlc_hasher *h, const char *stored)
{
    if (strnlen(stored, crypto_pwhash_STRBYTES) >= crypto_pwhash_STRBYTES)
        return -1;
    return crypto_pwhash_argon2id_str_needs_rehash(stored, h->ops, h->mem);
}

dlc_hasher *dlc_hasher_new(dlc_hash_strength strength, int max_concurrent)
{
    if (!strength_valid(strength) || max_concurrent < 1 || sodium_init() < 0)
        return NULL;
    dlc_hasher *h = calloc(1, sizeof *h);
    if (h == NULL)
        return NULL;
    h->ops = strengths[strength].ops;
    h->mem = strengths[strength].mem;
    atomic_store(&h->avg_us, strength == DLC_HASH_MIN ? 100 : FIRST_GUESS_US);
    if (pthread_mutex_init(&h->mu, NULL) != 0 || pthread_cond_init(&h->cv, NULL) != 0) {
        free(h);
        return NULL;
    }
    h->dummy = strengths[strength].dummy;
    /* The constant must be made with this strength, or unknown users
     * would cost something else than wrong passwords. */
    if (check_stored(h, h->dummy) != 0 || start_threads(h, max_concurrent) != 0) {
        pthread_cond_destroy(&h->cv);
        pthread_mutex_destroy(&h->mu);
        free(h->threads);
        free(h);
        return NULL;
    }
    return h;
}

void dlc_hasher_free(dlc_hasher *h)
{
    if (h == NULL)
        return;
    stop_threads(h, h->nthreads);
    free(h->threads);
    pthread_cond_destroy(&h->cv);
    pthread_mutex_destroy(&h->mu);
    free(h);
}

static bool args_valid(const dlc_hasher *h, const char *pw, size_t len)
{
    return h != NULL && (pw != NULL || len == 0);
}

/* libsodium declares the password pointer non-null even for length 0. */
static const char *pw_ptr(const char *pw)
{
    return pw != NULL ? pw : "";
}

/* libsodium takes (pointer, length), so pw is never copied: nothing to wipe
 * on our side. */
dlc_pw_rc dlc_password_hash(dlc_hasher *h, const char *pw, size_t len, int64_t deadline_ms,
                            char out[DLC_PASSWORD_HASH_MAX])
{
    if (!args_valid(h, pw, len) || out == NULL)
        return DLC_PW_ERROR;
    job j = {.pw = pw_ptr(pw), .len = len, .out = out, .deadline_ms = deadline_ms};
    return submit(h, &j);
}


dlc_pw_rc dlc_password_verify(dlc_hasher *h, const char *stored, const char *pw, size_t len,
                              int64_t deadline_ms)
{
    if (!args_valid(h, pw, len))
        return DLC_PW_ERROR;
    if (stored != NULL && check_stored(h, stored) < 0)
        return DLC_PW_ERROR;
    job j = {.pw = pw_ptr(pw),
             .len = len,
             .stored = stored != NULL ? stored : h->dummy,
             .deadline_ms = deadline_ms};
    dlc_pw_rc rc = submit(h, &j);
    /* Unknown user: the dummy verify only spends the same time; its answer
     * is meaningless. */
    if (stored == NULL && rc == DLC_PW_OK)
        rc = DLC_PW_MISMATCH;
    return rc;
}

bool dlc_password_needs_rehash(const dlc_hasher *h, const char *stored)
{
    if (h == NULL || stored == NULL)
        return false;
    /* Malformed or not argon2id (-1) also means "not made with h's
     * parameters": replace it after the next successful login. */
    return check_stored(h, stored) != 0;
}

void dlc_hasher_stats(dlc_hasher *h, dlc_hasher_counts *out)
{
    *out = (dlc_hasher_counts){0};
    if (!h)
        return;
    pthread_mutex_lock(&h->mu);
    out->queued = queued(h);
    out->running = h->running;
    pthread_mutex_unlock(&h->mu);
    out->waited = atomic_load_explicit(&h->waited, memory_order_relaxed);
    out->wait_us = atomic_load_explicit(&h->wait_us, memory_order_relaxed);
}
