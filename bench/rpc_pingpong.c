/*
 * Bench-only RPC ceiling: raw nng REQ/REP round trips of a small message,
 * with the same shape as gateway → core traffic (one REP socket with W
 * worker contexts; a REQ side with C concurrent callers over 4 sockets),
 * but no envelope, dispatch or handler.
 *   rpc_pingpong URL WORKERS CALLERS SECONDS
 * Prints: "requests_per_sec N" and "p99_ms X".
 */
#include "common/clock.h"

#include <nng/nng.h>
#include <nng/protocol/reqrep0/rep.h>
#include <nng/protocol/reqrep0/req.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define REQ_SOCKETS 4
#define MAX_SAMPLES 2000000

static atomic_bool g_stop;
static nng_socket g_rep, g_req[REQ_SOCKETS];
static int64_t g_until;
static float *g_lat;       /* per-call latency samples, ms */
static atomic_long g_n;

static void *echo(void *arg)
{
    (void)arg;
    nng_ctx ctx;
    nng_aio *aio;
    nng_ctx_open(&ctx, g_rep);
    nng_aio_alloc(&aio, NULL, NULL);
    while (!atomic_load(&g_stop)) {
        nng_aio_set_timeout(aio, 200);
        nng_ctx_recv(ctx, aio);
        nng_aio_wait(aio);
        if (nng_aio_result(aio) != 0)
            continue;
        nng_ctx_send(ctx, aio); /* the same message goes back */
        nng_aio_wait(aio);
        if (nng_aio_result(aio) != 0)
            nng_msg_free(nng_aio_get_msg(aio));
    }
    nng_aio_free(aio);
    return NULL;
}

static void *caller(void *arg)
{
    nng_ctx ctx;
    nng_aio *aio;
    nng_ctx_open(&ctx, g_req[(intptr_t)arg % REQ_SOCKETS]);
    nng_aio_alloc(&aio, NULL, NULL);
    nng_aio_set_timeout(aio, 5000);
    char payload[100];
    memset(payload, 'x', sizeof payload);
    while (dlc_clock_mono_ms() < g_until) {
        struct timespec t0, t1;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        nng_msg *m;
        nng_msg_alloc(&m, 0);
        nng_msg_append(m, payload, sizeof payload);
        nng_aio_set_msg(aio, m);
        nng_ctx_send(ctx, aio);
        nng_aio_wait(aio);
        if (nng_aio_result(aio) != 0) {
            nng_msg_free(m);
            continue;
        }
        nng_ctx_recv(ctx, aio);
        nng_aio_wait(aio);
        if (nng_aio_result(aio) != 0)
            continue;
        nng_msg_free(nng_aio_get_msg(aio));
        clock_gettime(CLOCK_MONOTONIC, &t1);
        long i = atomic_fetch_add(&g_n, 1);
        if (i < MAX_SAMPLES)
            g_lat[i] = (float)((t1.tv_sec - t0.tv_sec) * 1e3 + (t1.tv_nsec - t0.tv_nsec) / 1e6);
    }
    nng_aio_free(aio);
    return NULL;
}

static int cmp_float(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
    if (argc != 5) {
        fprintf(stderr, "usage: rpc_pingpong URL WORKERS CALLERS SECONDS\n");
        return 2;
    }
    int workers = atoi(argv[2]), callers = atoi(argv[3]), secs = atoi(argv[4]);
    g_lat = malloc(sizeof *g_lat * MAX_SAMPLES);
    if (!g_lat || nng_rep0_open(&g_rep) != 0 || nng_listen(g_rep, argv[1], NULL, 0) != 0) {
        fprintf(stderr, "rpc_pingpong: cannot listen on %s\n", argv[1]);
        return 1;
    }
    for (int i = 0; i < REQ_SOCKETS; i++) {
        nng_req0_open(&g_req[i]);
        nng_dial(g_req[i], argv[1], NULL, 0);
    }
    pthread_t *t = calloc((size_t)(workers + callers), sizeof *t);
    for (int i = 0; i < workers; i++)
        pthread_create(&t[i], NULL, echo, NULL);
    g_until = dlc_clock_mono_ms() + secs * 1000;
    for (int i = 0; i < callers; i++)
        pthread_create(&t[workers + i], NULL, caller, (void *)(intptr_t)i);
    for (int i = 0; i < callers; i++)
        pthread_join(t[workers + i], NULL);
    atomic_store(&g_stop, true);
    for (int i = 0; i < workers; i++)
        pthread_join(t[i], NULL);
    long n = atomic_load(&g_n);
    long samples = n < MAX_SAMPLES ? n : MAX_SAMPLES;
    qsort(g_lat, (size_t)samples, sizeof *g_lat, cmp_float);
    printf("requests_per_sec %.0f\n", (double)n / secs);
    printf("p99_ms %.2f\n", samples ? g_lat[(long)(samples * 0.99)] : 0.0);
    return 0;
}
