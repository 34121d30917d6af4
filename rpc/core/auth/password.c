#include "rpc/core/auth/password.h"

#include "common/clock.h"

#include <errno.h>
#include <pthread.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

_Static_assert(DLC_PASSWORD_HASH_MAX >= crypto_pwhash_STRBYTES,
               "DLC_PASSWORD_HASH_MAX must hold a crypto_pwhash string");

/* The dummy password is random and thrown away: nobody can match the dummy
 * hash, which only exists to make unknown users cost a real verify. */
#define DUMMY_PW_BYTES 32

struct strength_params {
    const char *name;
    unsigned long long ops;
    size_t mem;
};

/* Indexed by dlc_hash_strength. */
static const struct strength_params strengths[] = {
    [DLC_HASH_INTERACTIVE] = {"interactive", crypto_pwhash_OPSLIMIT_INTERACTIVE,
                              crypto_pwhash_MEMLIMIT_INTERACTIVE},
    [DLC_HASH_MODERATE] = {"moderate", crypto_pwhash_OPSLIMIT_MODERATE,
                           crypto_pwhash_MEMLIMIT_MODERATE},
    [DLC_HASH_MIN] = {"min", crypto_pwhash_OPSLIMIT_MIN, crypto_pwhash_MEMLIMIT_MIN},
};

#define N_STRENGTHS (sizeof strengths / sizeof strengths[0])

struct dlc_hasher {
    unsigned long long ops;
    size_t mem;
    /* Counting semaphore over free slots. The condvar runs on
     * CLOCK_MONOTONIC so deadlines survive wall-clock jumps. */
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int free_slots;
    char dummy[DLC_PASSWORD_HASH_MAX]; /* immutable after dlc_hasher_new */
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

static int make_dummy(dlc_hasher *h)
{
    unsigned char pw[DUMMY_PW_BYTES];
    randombytes_buf(pw, sizeof pw);
    dlc_pw_rc rc = hash_into(h, (const char *)pw, sizeof pw, h->dummy);
    sodium_memzero(pw, sizeof pw);
    return rc == DLC_PW_OK ? 0 : -1;
}

static int sync_init(dlc_hasher *h)
{
    pthread_condattr_t attr;
    if (pthread_condattr_init(&attr) != 0)
        return -1;
    int rc = pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    if (rc == 0)
        rc = pthread_cond_init(&h->cv, &attr);
    pthread_condattr_destroy(&attr);
    if (rc != 0)
        return -1;
    if (pthread_mutex_init(&h->mu, NULL) != 0) {
        pthread_cond_destroy(&h->cv);
        return -1;
    }
    return 0;
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
    h->free_slots = max_concurrent;
    if (sync_init(h) != 0) {
        free(h);
        return NULL;
    }
    if (make_dummy(h) != 0) {
        dlc_hasher_free(h);
        return NULL;
    }
    return h;
}

void dlc_hasher_free(dlc_hasher *h)
{
    if (h == NULL)
        return;
    pthread_cond_destroy(&h->cv);
    pthread_mutex_destroy(&h->mu);
    free(h);
}

static struct timespec mono_ts(int64_t ms)
{
    /* dlc_clock_mono_ms reads CLOCK_MONOTONIC, the condvar's clock. */
    struct timespec ts = {.tv_sec = (time_t)(ms / 1000), .tv_nsec = (long)(ms % 1000) * 1000000L};
    return ts;
}

/* Takes a slot, waiting until deadline_ms at most. A free slot is taken even
 * past the deadline: the deadline bounds the wait, not the work. */
static dlc_pw_rc slot_acquire(dlc_hasher *h, int64_t deadline_ms)
{
    struct timespec until = mono_ts(deadline_ms < 0 ? 0 : deadline_ms);
    dlc_pw_rc rc = DLC_PW_OK;
    pthread_mutex_lock(&h->mu);
    while (h->free_slots == 0) {
        if (pthread_cond_timedwait(&h->cv, &h->mu, &until) == ETIMEDOUT && h->free_slots == 0) {
            rc = DLC_PW_BUSY;
            break;
        }
    }
    if (rc == DLC_PW_OK)
        h->free_slots--;
    pthread_mutex_unlock(&h->mu);
    return rc;
}

static void slot_release(dlc_hasher *h)
{
    pthread_mutex_lock(&h->mu);
    h->free_slots++;
    pthread_mutex_unlock(&h->mu);
    pthread_cond_signal(&h->cv);
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
    dlc_pw_rc rc = slot_acquire(h, deadline_ms);
    if (rc != DLC_PW_OK)
        return rc;
    rc = hash_into(h, pw_ptr(pw), len, out);
    slot_release(h);
    return rc;
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

/* -1 covers both a mismatch and an allocation failure; only the latter
 * leaves ENOMEM, and it must not count as a failed login. */
static dlc_pw_rc verify_str(const char *str, const char *pw, size_t len)
{
    errno = 0;
    if (crypto_pwhash_str_verify(str, pw, len) == 0)
        return DLC_PW_OK;
    return errno == ENOMEM ? DLC_PW_ERROR : DLC_PW_MISMATCH;
}

dlc_pw_rc dlc_password_verify(dlc_hasher *h, const char *stored, const char *pw, size_t len,
                              int64_t deadline_ms)
{
    if (!args_valid(h, pw, len))
        return DLC_PW_ERROR;
    if (stored != NULL && check_stored(h, stored) < 0)
        return DLC_PW_ERROR;
    dlc_pw_rc rc = slot_acquire(h, deadline_ms);
    if (rc != DLC_PW_OK)
        return rc;
    rc = verify_str(stored != NULL ? stored : h->dummy, pw_ptr(pw), len);
    slot_release(h);
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
