/*
 * Bench-only RPC hop: raw nng REQ/REP round trips of a small message, with
 * the shape of gateway → core traffic, measured several ways against one
 * echo server. No envelope, dispatch or handler: the ceiling of the hop.
 *
 *   rpc_pingpong URL WORKERS CALLERS SECONDS [MODE,MODE…]
 *
 * The echo server runs in a forked process (a REP socket with WORKERS
 * contexts driven by aio callbacks, the same for every mode), so the client
 * CPU is measured alone. CALLERS threads (like civetweb workers) each make
 * one call at a time, for SECONDS per mode after a short warm-up:
 *   ctx-wait          rpc/runtime/client.c today: a pool of REQ contexts over
 *                     4 REQ sockets; send and receive aios posted together,
 *                     nng_aio_wait on them
 *   aio-callback      the same pool, the aios complete through callbacks
 *                     that post a semaphore the caller sleeps on
 *   socket-per-thread every caller owns a REQ socket: nng_sendmsg/nng_recvmsg
 *   raw-demux         4 raw REQ sockets; callers stamp their own request ids
 *                     and one receiver thread per socket hands replies back
 * Default: every mode. One line per mode (after a header line):
 *   MODE ROUND_TRIPS_PER_SEC P99_MS CLIENT_CPU_MS_PER_1K SERVER_CPU_MS_PER_1K ERRORS
 * CPU: getrusage (client), /proc/PID/stat utime+stime (server).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <nng/nng.h>
#include <nng/protocol/reqrep0/rep.h>
#include <nng/protocol/reqrep0/req.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define REQ_SOCKETS 4
#define MAX_CALLERS 1024 /* raw-demux: caller index in the low 10 bits of an id */
#define MAX_SAMPLES 2000000
#define PAYLOAD 100
#define TIMEOUT_MS 5000
#define WARMUP_MS 500

enum { WARMUP, MEASURE, STOP };

/* A pooled REQ context (ctx-wait, aio-callback). */
typedef struct slot {
    nng_ctx ctx;
    nng_aio *send_aio, *recv_aio;
    sem_t done;          /* aio-callback: posted when both aios are done */
    atomic_int pending;  /* aio-callback: aios still running */
    struct slot *next;
} slot;

/* raw-demux: what one caller waits for. */
typedef struct {
    sem_t wake;
    atomic_uint expect; /* request id awaited, 0 when none */
    nng_msg *reply;
    uint32_t seq;
} waiter;

typedef struct mode {
    const char *name;
    int (*open)(void);
    int (*call)(int caller, nng_msg *m); /* takes m; 0 when a reply came */
    void (*close)(void);
} mode;

static struct {
    const char *url;
    int callers;
    nng_socket *socks;
    int n_socks;
    slot *slots;
    slot *free;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    waiter *waiters;
    pthread_t readers[REQ_SOCKETS];
    atomic_int phase;
    float *lat; /* ms, one per measured call */
    atomic_long n, errors;
} g = {.mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER};

/* ---- echo server (its own process) ---------------------------------------- */

typedef struct {
    nng_ctx ctx;
    nng_aio *aio;
    bool sending;
} echo_worker;

/* Receive → send the same message back → receive … never blocking. */
static void echo_step(void *arg)
{
    echo_worker *w = arg;
    int rv = nng_aio_result(w->aio);
    if (rv == NNG_ECLOSED)
        return;
    if (w->sending && rv != 0)
        nng_msg_free(nng_aio_get_msg(w->aio));
    if (w->sending || rv != 0) {
        w->sending = false;
        nng_ctx_recv(w->ctx, w->aio);
        return;
    }
    w->sending = true;
    nng_ctx_send(w->ctx, w->aio); /* the received message is still set */
}

/* Listens, reports readiness on ready_fd, serves until quit_fd closes. */
static void serve(const char *url, int workers, int ready_fd, int quit_fd)
{
    nng_socket rep;
    if (nng_rep0_open(&rep) != 0 || nng_listen(rep, url, NULL, 0) != 0)
        _exit(1);
    echo_worker *w = calloc((size_t)workers, sizeof *w);
    for (int i = 0; w && i < workers; i++) {
        if (nng_ctx_open(&w[i].ctx, rep) != 0 || nng_aio_alloc(&w[i].aio, echo_step, &w[i]) != 0)
            _exit(1);
        nng_ctx_recv(w[i].ctx, w[i].aio);
    }
    char c = 1, buf;
    if (!w || write(ready_fd, &c, 1) != 1)
        _exit(1);
    while (read(quit_fd, &buf, 1) > 0)
        ;
    _exit(0);
}

/* Forks the server; returns its pid, *quit_fd: close it to stop the server. */
static pid_t start_server(const char *url, int workers, int *quit_fd)
{
    int ready[2], quit[2];
    if (pipe(ready) != 0 || pipe(quit) != 0)
        return -1;
    pid_t pid = fork();
    if (pid == 0) {
        close(ready[0]), close(quit[1]);
        serve(url, workers, ready[1], quit[0]);
    }
    close(ready[1]), close(quit[0]);
    char c;
    bool up = pid > 0 && read(ready[0], &c, 1) == 1;
    close(ready[0]);
    *quit_fd = quit[1];
    return up ? pid : -1;
}

/* ---- sockets and the context pool ------------------------------------------ */

static int open_sockets(int n, int (*open_fn)(nng_socket *))
{
    g.socks = calloc((size_t)n, sizeof *g.socks);
    if (!g.socks)
        return NNG_ENOMEM;
    int rv = 0;
    for (; rv == 0 && g.n_socks < n; g.n_socks++) {
        rv = open_fn(&g.socks[g.n_socks]);
        if (rv == 0)
            rv = nng_socket_set_ms(g.socks[g.n_socks], NNG_OPT_SENDTIMEO, TIMEOUT_MS);
        if (rv == 0)
            rv = nng_socket_set_ms(g.socks[g.n_socks], NNG_OPT_RECVTIMEO, TIMEOUT_MS);
        if (rv == 0)
            rv = nng_dial(g.socks[g.n_socks], g.url, NULL, 0); /* connected on return */
    }
    return rv;
}

static void close_sockets(void)
{
    for (int i = 0; i < g.n_socks; i++)
        nng_close(g.socks[i]);
    free(g.socks);
    g.socks = NULL;
    g.n_socks = 0;
}

/* aio-callback: the last of a slot's two aios to finish wakes the caller. */
static void slot_aio_done(void *arg)
{
    slot *s = arg;
    if (atomic_fetch_sub(&s->pending, 1) == 1)
        sem_post(&s->done);
}

/* One context per caller (the gateway sizes its pool to its threads),
 * spread round robin over the sockets; cb NULL: callers wait on the aios. */
static int open_pool(void (*cb)(void *))
{
    g.slots = calloc((size_t)g.callers, sizeof *g.slots);
    int rv = g.slots ? 0 : NNG_ENOMEM;
    for (int i = 0; rv == 0 && i < g.callers; i++) {
        slot *s = &g.slots[i];
        sem_init(&s->done, 0, 0);
        rv = nng_ctx_open(&s->ctx, g.socks[i % g.n_socks]);
        if (rv == 0)
            rv = nng_aio_alloc(&s->send_aio, cb, s);
        if (rv == 0)
            rv = nng_aio_alloc(&s->recv_aio, cb, s);
        if (rv == 0)
            nng_aio_set_timeout(s->send_aio, TIMEOUT_MS), nng_aio_set_timeout(s->recv_aio, TIMEOUT_MS);
        s->next = g.free;
        g.free = s;
    }
    return rv;
}

static void close_pool(void)
{
    close_sockets(); /* closes the contexts too */
    for (int i = 0; i < g.callers; i++) {
        nng_aio_free(g.slots[i].send_aio);
        nng_aio_free(g.slots[i].recv_aio);
        sem_destroy(&g.slots[i].done);
    }
    free(g.slots);
    g.slots = g.free = NULL;
}

static slot *borrow(void)
{
    pthread_mutex_lock(&g.mu);
    while (!g.free)
        pthread_cond_wait(&g.cv, &g.mu);
    slot *s = g.free;
    g.free = s->next;
    pthread_mutex_unlock(&g.mu);
    return s;
}

static void give_back(slot *s)
{
    pthread_mutex_lock(&g.mu);
    s->next = g.free;
    g.free = s;
    pthread_cond_signal(&g.cv);
    pthread_mutex_unlock(&g.mu);
}

/* After both aios finished: frees what was not handed over, 0 on a reply. */
static int slot_result(slot *s, nng_msg *m)
{
    int rv = nng_aio_result(s->recv_aio);
    if (nng_aio_result(s->send_aio) != 0)
        nng_msg_free(m);
    if (rv == 0)
        nng_msg_free(nng_aio_get_msg(s->recv_aio));
    return rv;
}

/* Posts the send, and the receive right behind it, on a borrowed context. */
static void slot_post(slot *s, nng_msg *m)
{
    nng_aio_set_msg(s->send_aio, m);
    nng_ctx_send(s->ctx, s->send_aio);
    nng_ctx_recv(s->ctx, s->recv_aio);
}

/* ---- the modes -------------------------------------------------------------- */

static int pool_open_wait(void)
{
    int rv = open_sockets(REQ_SOCKETS, nng_req0_open);
    return rv ? rv : open_pool(NULL);
}

static int pool_open_callback(void)
{
    int rv = open_sockets(REQ_SOCKETS, nng_req0_open);
    return rv ? rv : open_pool(slot_aio_done);
}

/* As rpc/runtime/client.c: the receive is posted once the send completed
 * (nng 1.5.2 crashes when a receive posted behind a queued send is
 * cancelled, issue #1702). */
static int ctx_wait_call(int caller, nng_msg *m)
{
    (void)caller;
    slot *s = borrow();
    nng_aio_set_msg(s->send_aio, m);
    nng_ctx_send(s->ctx, s->send_aio);
    nng_aio_wait(s->send_aio);
    int rv = nng_aio_result(s->send_aio);
    if (rv != 0) {
        nng_msg_free(m);
    } else {
        nng_ctx_recv(s->ctx, s->recv_aio);
        nng_aio_wait(s->recv_aio);
        rv = nng_aio_result(s->recv_aio);
        if (rv == 0)
            nng_msg_free(nng_aio_get_msg(s->recv_aio));
    }
    give_back(s);
    return rv;
}

static int aio_callback_call(int caller, nng_msg *m)
{
    (void)caller;
    slot *s = borrow();
    atomic_store(&s->pending, 2);
    slot_post(s, m);
    while (sem_wait(&s->done) != 0 && errno == EINTR)
        ;
    int rv = slot_result(s, m);
    give_back(s);
    return rv;
}

static int socket_open(void)
{
    return open_sockets(g.callers, nng_req0_open);
}

/* One blocking send and receive on the caller's socket. */
static int socket_call(int caller, nng_msg *m)
{
    nng_socket s = g.socks[caller];
    int rv = nng_sendmsg(s, m, 0);
    if (rv != 0) {
        nng_msg_free(m);
        return rv;
    }
    nng_msg *r;
    rv = nng_recvmsg(s, &r, 0);
    if (rv == 0)
        nng_msg_free(r);
    return rv;
}

/* raw-demux: the reply r to request id goes to its caller, if still awaited. */
static void raw_deliver(uint32_t id, nng_msg *r)
{
    unsigned want = id;
    waiter *w = id % MAX_CALLERS < (unsigned)g.callers ? &g.waiters[id % MAX_CALLERS] : NULL;
    if (w && atomic_compare_exchange_strong(&w->expect, &want, 0)) {
        w->reply = r;
        sem_post(&w->wake);
    } else {
        nng_msg_free(r); /* late or unknown */
    }
}

/* raw-demux: one per raw socket; hands each reply to the caller awaiting it. */
static void *raw_reader(void *arg)
{
    nng_socket s = g.socks[(intptr_t)arg];
    for (;;) {
        nng_msg *r;
        int rv = nng_recvmsg(s, &r, 0);
        if (rv == NNG_ECLOSED)
            return NULL;
        uint32_t id;
        if (rv != 0 || nng_msg_header_trim_u32(r, &id) != 0) {
            if (rv == 0)
                nng_msg_free(r);
            continue;
        }
        raw_deliver(id, r);
    }
}

static int raw_open(void)
{
    g.waiters = calloc((size_t)g.callers, sizeof *g.waiters);
    int rv = g.waiters ? open_sockets(REQ_SOCKETS, nng_req0_open_raw) : NNG_ENOMEM;
    for (int i = 0; rv == 0 && i < g.callers; i++)
        sem_init(&g.waiters[i].wake, 0, 0);
    for (intptr_t i = 0; rv == 0 && i < g.n_socks; i++)
        rv = pthread_create(&g.readers[i], NULL, raw_reader, (void *)i) ? NNG_ENOMEM : 0;
    return rv;
}

static void raw_close(void)
{
    int n = g.n_socks;
    close_sockets(); /* the readers see NNG_ECLOSED */
    for (int i = 0; i < n; i++)
        pthread_join(g.readers[i], NULL);
    for (int i = 0; i < g.callers; i++)
        sem_destroy(&g.waiters[i].wake);
    free(g.waiters);
    g.waiters = NULL;
}

/* Waits for this caller's reply; on timeout withdraws the expectation. */
static int raw_await(waiter *w)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += TIMEOUT_MS / 1000;
    while (sem_timedwait(&w->wake, &ts) != 0) {
        if (errno == EINTR)
            continue;
        if (atomic_exchange(&w->expect, 0) != 0)
            return NNG_ETIMEDOUT;
        sem_wait(&w->wake); /* the reader won the race: its post is coming */
        break;
    }
    nng_msg_free(w->reply);
    return 0;
}

/* Request id: high bit set (REQ's rule), a sequence, the caller index. */
static int raw_call(int caller, nng_msg *m)
{
    waiter *w = &g.waiters[caller];
    uint32_t id = 0x80000000u | ((++w->seq & 0x1fffffu) * MAX_CALLERS) | (uint32_t)caller;
    atomic_store(&w->expect, id);
    int rv = nng_msg_header_append_u32(m, id);
    if (rv == 0)
        rv = nng_sendmsg(g.socks[caller % g.n_socks], m, 0);
    if (rv != 0) {
        atomic_store(&w->expect, 0);
        nng_msg_free(m);
        return rv;
    }
    return raw_await(w);
}

static const mode MODES[] = {
    {"ctx-wait", pool_open_wait, ctx_wait_call, close_pool},
    {"aio-callback", pool_open_callback, aio_callback_call, close_pool},
    {"socket-per-thread", socket_open, socket_call, close_sockets},
    {"raw-demux", raw_open, raw_call, raw_close},
};
#define N_MODES (sizeof MODES / sizeof MODES[0])

/* ---- the driver ------------------------------------------------------------- */

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void record(int rv, double ms)
{
    if (atomic_load(&g.phase) != MEASURE)
        return;
    if (rv != 0) {
        atomic_fetch_add(&g.errors, 1);
        return;
    }
    long i = atomic_fetch_add(&g.n, 1);
    if (i < MAX_SAMPLES)
        g.lat[i] = (float)ms;
}

typedef struct {
    const mode *md;
    int index;
} caller_arg;

static void *caller_main(void *arg)
{
    const caller_arg *a = arg;
    char payload[PAYLOAD];
    memset(payload, 'x', sizeof payload);
    while (atomic_load(&g.phase) != STOP) {
        nng_msg *m;
        if (nng_msg_alloc(&m, 0) != 0 || nng_msg_append(m, payload, sizeof payload) != 0)
            abort();
        double t0 = now_ms();
        int rv = a->md->call(a->index, m);
        record(rv, now_ms() - t0);
    }
    return NULL;
}

static double self_cpu_ms(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e3 +
           (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e3;
}

/* utime+stime of pid in ms, from /proc/PID/stat (fields 14 and 15). */
static double proc_cpu_ms(pid_t pid)
{
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "r");
    size_t len = f ? fread(buf, 1, sizeof buf - 1, f) : 0;
    if (f)
        fclose(f);
    buf[len] = '\0';
    const char *p = strrchr(buf, ')'); /* the command name may hold spaces */
    unsigned long ut = 0, st = 0;
    if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st) != 2)
        return 0;
    return (double)(ut + st) * 1e3 / (double)sysconf(_SC_CLK_TCK);
}

static int cmp_float(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

static double p99_ms(long n)
{
    long samples = n < MAX_SAMPLES ? n : MAX_SAMPLES;
    qsort(g.lat, (size_t)samples, sizeof *g.lat, cmp_float);
    return samples ? g.lat[(long)((double)samples * 0.99)] : 0.0;
}

/* Runs the callers: warm-up, then secs measured; cpu[] gets client, server ms. */
static int drive(const mode *md, pid_t server, int secs, double cpu[2])
{
    pthread_t *t = calloc((size_t)g.callers, sizeof *t);
    caller_arg *args = calloc((size_t)g.callers, sizeof *args);
    if (!t || !args)
        return NNG_ENOMEM;
    atomic_store(&g.phase, WARMUP);
    for (int i = 0; i < g.callers; i++) {
        args[i] = (caller_arg){md, i};
        pthread_create(&t[i], NULL, caller_main, &args[i]);
    }
    usleep(WARMUP_MS * 1000);
    double c0 = self_cpu_ms(), s0 = proc_cpu_ms(server);
    atomic_store(&g.phase, MEASURE);
    usleep((useconds_t)secs * 1000000);
    atomic_store(&g.phase, STOP);
    cpu[0] = self_cpu_ms() - c0, cpu[1] = proc_cpu_ms(server) - s0;
    for (int i = 0; i < g.callers; i++)
        pthread_join(t[i], NULL);
    free(t);
    free(args);
    return 0;
}

static int run_mode(const mode *md, pid_t server, int secs)
{
    atomic_store(&g.n, 0);
    atomic_store(&g.errors, 0);
    double cpu[2];
    int rv = md->open();
    if (rv == 0)
        rv = drive(md, server, secs, cpu);
    md->close();
    if (rv != 0) {
        fprintf(stderr, "rpc_pingpong: %s: %s\n", md->name, nng_strerror(rv));
        return rv;
    }
    long n = atomic_load(&g.n);
    double per_1k = n ? 1000.0 / (double)n : 0;
    printf("%-18s %14.0f %8.2f %16.1f %16.1f %7ld\n", md->name, (double)n / secs, p99_ms(n),
           cpu[0] * per_1k, cpu[1] * per_1k, atomic_load(&g.errors));
    fflush(stdout);
    return 0;
}

static const mode *find_mode(const char *name, size_t len)
{
    for (size_t i = 0; i < N_MODES; i++)
        if (strlen(MODES[i].name) == len && strncmp(MODES[i].name, name, len) == 0)
            return &MODES[i];
    return NULL;
}

/* Runs each mode named in the comma-separated list, in its order. */
static int run_modes(const char *list, pid_t server, int secs)
{
    printf("%-18s %14s %8s %16s %16s %7s\n", "mode", "round_trips/s", "p99_ms", "client_cpu_ms/1k",
           "server_cpu_ms/1k", "errors");
    int rv = 0;
    for (const char *p = list; rv == 0 && *p;) {
        size_t len = strcspn(p, ",");
        const mode *md = find_mode(p, len);
        if (!md) {
            fprintf(stderr, "rpc_pingpong: unknown mode %.*s\n", (int)len, p);
            return 2;
        }
        rv = run_mode(md, server, secs);
        p += len + (p[len] == ',');
    }
    return rv;
}

int main(int argc, char **argv)
{
    if (argc != 5 && argc != 6) {
        fprintf(stderr, "usage: rpc_pingpong URL WORKERS CALLERS SECONDS [MODE,…]\n"
                        "modes: ctx-wait,aio-callback,socket-per-thread,raw-demux (default: all)\n");
        return 2;
    }
    g.url = argv[1];
    g.callers = atoi(argv[3]);
    int workers = atoi(argv[2]), secs = atoi(argv[4]);
    if (workers < 1 || g.callers < 1 || g.callers > MAX_CALLERS || secs < 1) {
        fprintf(stderr, "rpc_pingpong: WORKERS ≥ 1, 1 ≤ CALLERS ≤ %d, SECONDS ≥ 1\n", MAX_CALLERS);
        return 2;
    }
    int quit_fd;
    pid_t server = start_server(g.url, workers, &quit_fd); /* before any thread */
    g.lat = malloc(sizeof *g.lat * MAX_SAMPLES);
    if (server < 0 || !g.lat) {
        fprintf(stderr, "rpc_pingpong: cannot serve on %s\n", g.url);
        return 1;
    }
    int rv = run_modes(argc == 6 ? argv[5] : "ctx-wait,aio-callback,socket-per-thread,raw-demux",
                       server, secs);
    close(quit_fd);
    waitpid(server, NULL, 0);
    return rv;
}
