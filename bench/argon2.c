/*
 * Bench-only password ceiling: argon2id verifies through dlc_password (the
 * core's own code, so the same libsodium parameters for a hash_strength and
 * the same slot semaphore), by T threads sharing one hasher of T slots, for
 * S seconds. No RPC, HTTP or database: the raw capacity a login cannot beat.
 *   argon2 STRENGTH THREADS SECONDS
 * Prints: "verifies_per_sec N" and "verify_ms X" (mean time of one verify).
 */
#include "common/clock.h"
#include "rpc/core/auth/password.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char PASSWORD[] = "bench-password-1";

static dlc_hasher *g_hasher;
static char g_stored[DLC_PASSWORD_HASH_MAX];
static int64_t g_until;
static atomic_long g_n;
static atomic_bool g_failed;

static void *verifier(void *arg)
{
    (void)arg;
    while (dlc_clock_mono_ms() < g_until) {
        /* No deadline worth the name: every thread has its own slot. */
        if (dlc_password_verify(g_hasher, g_stored, PASSWORD, strlen(PASSWORD),
                                dlc_clock_mono_ms() + 60000) != DLC_PW_OK) {
            atomic_store(&g_failed, true);
            break;
        }
        atomic_fetch_add(&g_n, 1);
    }
    return NULL;
}

int main(int argc, char **argv)
{
    dlc_hash_strength strength;
    int threads = argc == 4 ? atoi(argv[2]) : 0, secs = argc == 4 ? atoi(argv[3]) : 0;
    if (argc != 4 || dlc_password_parse_strength(argv[1], &strength) != 0 || threads < 1 ||
        secs < 1) {
        fprintf(stderr, "usage: argon2 interactive|moderate|min THREADS SECONDS\n");
        return 2;
    }
    if (!(g_hasher = dlc_hasher_new(strength, threads)) ||
        dlc_password_hash(g_hasher, PASSWORD, strlen(PASSWORD), dlc_clock_mono_ms() + 60000,
                          g_stored) != DLC_PW_OK) {
        fprintf(stderr, "argon2: cannot hash with strength %s\n", argv[1]);
        return 1;
    }
    pthread_t *t = calloc((size_t)threads, sizeof *t);
    if (!t)
        return 1;
    int64_t start = dlc_clock_mono_ms();
    g_until = start + (int64_t)secs * 1000;
    for (int i = 0; i < threads; i++)
        pthread_create(&t[i], NULL, verifier, NULL);
    for (int i = 0; i < threads; i++)
        pthread_join(t[i], NULL);
    /* Every verify counted finished by now: divide by the time they took. */
    double elapsed_s = (double)(dlc_clock_mono_ms() - start) / 1000.0;
    long n = atomic_load(&g_n);
    free(t);
    dlc_hasher_free(g_hasher);
    if (atomic_load(&g_failed) || n == 0) {
        fprintf(stderr, "argon2: a verify failed\n");
        return 1;
    }
    printf("verifies_per_sec %.1f\n", (double)n / elapsed_s);
    printf("verify_ms %.1f\n", elapsed_s * 1000.0 * threads / (double)n);
    return 0;
}
