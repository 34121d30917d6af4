/*
 * dlc_loop: event loop threads that run fibers (see loop.h for the model).
 *
 * One iteration: take what other threads posted (new tasks, wakes), run
 * every ready fiber until it waits or ends, then poll() the eventfd plus
 * every socket a fiber waits on, with the nearest deadline as timeout. Under
 * load one poll() serves many requests: that is where the wake-ups a
 * thread-per-request design pays for each request go away.
 *
 * Fibers switch with swapcontext (ucontext); their stacks are mmap'd with a
 * guard page below and reused. Under AddressSanitizer every switch is
 * announced to it, so it keeps track of which stack is live.
 */
#include "common/loop.h"

#include "common/clock.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

#if defined(__SANITIZE_ADDRESS__)
#define DLC_ASAN_FIBERS 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define DLC_ASAN_FIBERS 1
#endif
#endif
#ifdef DLC_ASAN_FIBERS
#include <sanitizer/common_interface_defs.h>
#endif

#define DEFAULT_STACK (256 * 1024)

struct dlc_loop_fiber {
    dlc_loop *loop;
    ucontext_t ctx;
    void *map; /* guard page + stack */
    size_t map_bytes;
    void *asan_fake;
    void (*fn)(void *); /* the task running; NULL once it has ended */
    void *arg;
    /* what it waits for */
    int fd;
    short events;
    int pfd;          /* its index in the loop's pollfd array, or -1 */
    int64_t deadline; /* < 0: none */
    int result;
    bool timed;       /* in the loop's waiter list */
    dlc_loop_waitq *q;
    dlc_loop_fiber *qprev, *qnext; /* in q */
    dlc_loop_fiber *wprev, *wnext; /* in the loop's waiter list */
    dlc_loop_fiber *next;          /* run queue or idle list */
    dlc_loop_task wake;            /* posted by dlc_loop_wake */
};

struct dlc_loop {
    pthread_t thread;
    bool started;
    size_t stack_bytes;
    int keep_idle, n_idle;
    int efd;
    /* posted by other threads */
    pthread_mutex_t mu;
    dlc_loop_task *in_head, *in_tail;
    atomic_int n_in;
    atomic_bool sleeping; /* in poll(): a post must write the eventfd */
    atomic_bool stop;
    /* loop thread only */
    ucontext_t main_ctx;
    const void *main_bottom;
    size_t main_size;
    void *asan_fake;
    dlc_loop_fiber *run_head, *run_tail;
    dlc_loop_fiber *idle;
    dlc_loop_task *deferred, *deferred_tail; /* tasks that found no stack */
    dlc_loop_fiber *waiters; /* waiting on an fd and/or a deadline */
    int live;                /* fibers between start and end of their task */
    struct pollfd *pfds;
    size_t pfd_cap;
};

static _Thread_local dlc_loop_fiber *tls_self;
static _Thread_local dlc_loop_fiber *tls_starting;

/* ---- switching ------------------------------------------------------------ */

static void asan_start(void **save, const void *bottom, size_t size)
{
#ifdef DLC_ASAN_FIBERS
    __sanitizer_start_switch_fiber(save, bottom, size);
#else
    (void)save, (void)bottom, (void)size;
#endif
}

static void asan_finish(void *save, const void **bottom, size_t *size)
{
#ifdef DLC_ASAN_FIBERS
    __sanitizer_finish_switch_fiber(save, bottom, size);
#else
    (void)save, (void)bottom, (void)size;
#endif
}

/* From the running fiber back to its loop. */
static void switch_out(dlc_loop_fiber *f)
{
    dlc_loop *l = f->loop;
    asan_start(&f->asan_fake, l->main_bottom, l->main_size);
    swapcontext(&f->ctx, &l->main_ctx);
    asan_finish(f->asan_fake, &l->main_bottom, &l->main_size);
}

/* Every fiber runs tasks here, one after another: a reused fiber needs no
 * new context. */
static void trampoline(void)
{
    dlc_loop_fiber *f = tls_starting;
    asan_finish(NULL, &f->loop->main_bottom, &f->loop->main_size);
    for (;;) {
        f->fn(f->arg);
        f->fn = NULL;
        switch_out(f);
    }
}

static void fiber_free(dlc_loop_fiber *f)
{
    munmap(f->map, f->map_bytes);
    free(f);
}

/* getcontext returns twice as far as the compiler knows: the volatile
 * pointer keeps -Wclobbered quiet (it is never actually resumed here). */
static dlc_loop_fiber *fiber_new(dlc_loop *l)
{
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    dlc_loop_fiber *volatile f = calloc(1, sizeof *f);
    if (!f)
        return NULL;
    f->loop = l;
    f->map_bytes = l->stack_bytes + page;
    f->map = mmap(NULL, f->map_bytes, PROT_READ | PROT_WRITE,
                  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK, -1, 0);
    if (f->map == MAP_FAILED) {
        free(f);
        return NULL;
    }
    /* Stacks grow down: an overflow hits the guard page, not a neighbour. */
    if (mprotect(f->map, page, PROT_NONE) != 0 || getcontext(&f->ctx) != 0) {
        fiber_free(f);
        return NULL;
    }
    f->ctx.uc_stack.ss_sp = (char *)f->map + page;
    f->ctx.uc_stack.ss_size = l->stack_bytes;
    f->ctx.uc_link = NULL;
    makecontext(&f->ctx, trampoline, 0);
    return f;
}

static void make_ready(dlc_loop *l, dlc_loop_fiber *f);

/* A fiber whose task ended takes a deferred task, if any (true). */
static bool take_deferred(dlc_loop *l, dlc_loop_fiber *f)
{
    dlc_loop_task *t = l->deferred;
    if (!t)
        return false;
    l->deferred = t->next;
    if (!l->deferred)
        l->deferred_tail = NULL;
    f->fn = t->fn;
    f->arg = t->arg;
    make_ready(l, f);
    return true;
}

static void resume(dlc_loop *l, dlc_loop_fiber *f)
{
    tls_self = f;
    tls_starting = f;
    asan_start(&l->asan_fake, f->ctx.uc_stack.ss_sp, f->ctx.uc_stack.ss_size);
    swapcontext(&l->main_ctx, &f->ctx);
    asan_finish(l->asan_fake, NULL, NULL);
    tls_self = NULL;
    if (f->fn)
        return; /* waiting */
    if (take_deferred(l, f))
        return;
    l->live--;
    if (l->n_idle < l->keep_idle) {
        f->next = l->idle;
        l->idle = f;
        l->n_idle++;
    } else {
        fiber_free(f);
    }
}

/* ---- queues (loop thread) ------------------------------------------------- */

static void make_ready(dlc_loop *l, dlc_loop_fiber *f)
{
    f->next = NULL;
    if (l->run_tail)
        l->run_tail->next = f;
    else
        l->run_head = f;
    l->run_tail = f;
}

static void waiter_add(dlc_loop *l, dlc_loop_fiber *f)
{
    f->timed = true;
    f->wprev = NULL;
    f->wnext = l->waiters;
    if (l->waiters)
        l->waiters->wprev = f;
    l->waiters = f;
}

static void waiter_remove(dlc_loop *l, dlc_loop_fiber *f)
{
    if (!f->timed)
        return;
    if (f->wprev)
        f->wprev->wnext = f->wnext;
    else
        l->waiters = f->wnext;
    if (f->wnext)
        f->wnext->wprev = f->wprev;
    f->timed = false;
}

static void q_remove(dlc_loop_fiber *f)
{
    dlc_loop_waitq *q = f->q;
    if (!q)
        return;
    if (f->qprev)
        f->qprev->qnext = f->qnext;
    else
        q->head = f->qnext;
    if (f->qnext)
        f->qnext->qprev = f->qprev;
    else
        q->tail = f->qprev;
    f->q = NULL;
}

/* Ends f's wait with result and queues it to run. */
static void finish_wait(dlc_loop *l, dlc_loop_fiber *f, int result)
{
    waiter_remove(l, f);
    q_remove(f);
    f->result = result;
    make_ready(l, f);
}

/* Starts the task on an idle fiber (or a new one). When no stack can be
 * had (memory, or the process's map count), the task waits for the next
 * fiber that ends: slower, never lost. Only with no fiber alive at all is
 * there nothing left to wait for. */
static void start_task(dlc_loop *l, dlc_loop_task *t)
{
    dlc_loop_fiber *f = l->idle;
    if (f) {
        l->idle = f->next;
        l->n_idle--;
    } else {
        f = fiber_new(l);
    }
    if (!f && l->live == 0)
        abort();
    if (!f) {
        t->next = NULL;
        if (l->deferred_tail)
            l->deferred_tail->next = t;
        else
            l->deferred = t;
        l->deferred_tail = t;
        return;
    }
    f->fn = t->fn;
    f->arg = t->arg;
    l->live++;
    make_ready(l, f);
}

/* Takes what other threads posted: new tasks, and wakes (fn NULL). */
static void drain_inbox(dlc_loop *l)
{
    if (atomic_load(&l->n_in) == 0)
        return;
    pthread_mutex_lock(&l->mu);
    dlc_loop_task *t = l->in_head;
    l->in_head = l->in_tail = NULL;
    atomic_store(&l->n_in, 0);
    pthread_mutex_unlock(&l->mu);
    while (t) {
        dlc_loop_task *next = t->next; /* t may be reused once started, or deferred */
        if (t->fn)
            start_task(l, t);
        else
            make_ready(l, t->arg);
        t = next;
    }
}

static void run_ready(dlc_loop *l)
{
    while (l->run_head) {
        dlc_loop_fiber *f = l->run_head;
        l->run_head = f->next;
        if (!l->run_head)
            l->run_tail = NULL;
        resume(l, f);
    }
}

/* ---- polling -------------------------------------------------------------- */

static size_t build_pollset(dlc_loop *l, int64_t now, int *timeout)
{
    size_t n = 1;
    for (dlc_loop_fiber *w = l->waiters; w; w = w->wnext)
        n += w->fd >= 0;
    if (n > l->pfd_cap) {
        struct pollfd *grown = realloc(l->pfds, n * 2 * sizeof *grown);
        if (!grown)
            abort();
        l->pfds = grown;
        l->pfd_cap = n * 2;
    }
    l->pfds[0] = (struct pollfd){.fd = l->efd, .events = POLLIN};
    n = 1;
    int64_t soonest = -1;
    for (dlc_loop_fiber *w = l->waiters; w; w = w->wnext) {
        w->pfd = -1;
        if (w->fd >= 0) {
            w->pfd = (int)n;
            l->pfds[n++] = (struct pollfd){.fd = w->fd, .events = w->events};
        }
        if (w->deadline >= 0 && (soonest < 0 || w->deadline - now < soonest))
            soonest = w->deadline - now > 0 ? w->deadline - now : 0;
    }
    *timeout = soonest < 0 ? -1 : soonest > 60000 ? 60000 : (int)soonest;
    return n;
}

static void wait_events(dlc_loop *l)
{
    int timeout;
    size_t n = build_pollset(l, dlc_clock_mono_ms(), &timeout);
    atomic_store(&l->sleeping, true);
    if (atomic_load(&l->n_in) > 0 || atomic_load(&l->stop))
        timeout = 0; /* posted between the drain and now */
    int r = poll(l->pfds, (nfds_t)n, timeout);
    atomic_store(&l->sleeping, false);
    if (r > 0 && l->pfds[0].revents) {
        uint64_t v;
        if (read(l->efd, &v, sizeof v) < 0 && errno != EAGAIN)
            abort();
    }
    int64_t now = dlc_clock_mono_ms();
    dlc_loop_fiber *next;
    for (dlc_loop_fiber *w = l->waiters; w; w = next) {
        next = w->wnext;
        short rev = r > 0 && w->pfd > 0 ? l->pfds[w->pfd].revents : 0;
        if (rev)
            finish_wait(l, w, rev & POLLNVAL ? -1 : 1);
        else if (w->deadline >= 0 && now >= w->deadline)
            finish_wait(l, w, 0);
    }
}

static void *loop_main(void *arg)
{
    dlc_loop *l = arg;
    for (;;) {
        drain_inbox(l);
        run_ready(l);
        if (atomic_load(&l->stop) && l->live == 0 && !l->deferred && atomic_load(&l->n_in) == 0)
            break;
        wait_events(l);
    }
    return NULL;
}

/* ---- public --------------------------------------------------------------- */

dlc_loop *dlc_loop_new(size_t stack_bytes, int keep_idle)
{
    dlc_loop *l = calloc(1, sizeof *l);
    if (!l)
        return NULL;
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    stack_bytes = stack_bytes ? stack_bytes : DEFAULT_STACK;
    l->stack_bytes = (stack_bytes + page - 1) / page * page;
    l->keep_idle = keep_idle;
    l->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (l->efd < 0 || pthread_mutex_init(&l->mu, NULL) != 0) {
        if (l->efd >= 0)
            close(l->efd);
        free(l);
        return NULL;
    }
    return l;
}

int dlc_loop_start(dlc_loop *l)
{
    if (pthread_create(&l->thread, NULL, loop_main, l) != 0)
        return -1;
    l->started = true;
    return 0;
}

static void kick(dlc_loop *l)
{
    uint64_t one = 1;
    if (write(l->efd, &one, sizeof one) < 0 && errno != EAGAIN)
        abort();
}

void dlc_loop_stop(dlc_loop *l)
{
    if (!l || !l->started)
        return;
    atomic_store(&l->stop, true);
    kick(l);
    pthread_join(l->thread, NULL);
    l->started = false;
}

void dlc_loop_free(dlc_loop *l)
{
    if (!l)
        return;
    dlc_loop_stop(l);
    while (l->idle) {
        dlc_loop_fiber *f = l->idle;
        l->idle = f->next;
        fiber_free(f);
    }
    free(l->pfds);
    close(l->efd);
    pthread_mutex_destroy(&l->mu);
    free(l);
}

void dlc_loop_post(dlc_loop *l, dlc_loop_task *t)
{
    t->next = NULL;
    pthread_mutex_lock(&l->mu);
    if (l->in_tail)
        l->in_tail->next = t;
    else
        l->in_head = t;
    l->in_tail = t;
    atomic_fetch_add(&l->n_in, 1);
    pthread_mutex_unlock(&l->mu);
    /* Pairs with wait_events: it sets sleeping, then looks at n_in. */
    if (atomic_exchange(&l->sleeping, false))
        kick(l);
}

bool dlc_loop_in_fiber(void)
{
    return tls_self != NULL;
}

dlc_loop_fiber *dlc_loop_self(void)
{
    return tls_self;
}

dlc_loop *dlc_loop_current(void)
{
    return tls_self ? tls_self->loop : NULL;
}

/* Outside a fiber: an ordinary poll() until ready or the deadline. */
static int poll_until(int fd, short events, int64_t deadline_ms)
{
    for (;;) {
        int64_t left = deadline_ms - dlc_clock_mono_ms();
        if (left <= 0)
            return 0;
        struct pollfd p = {.fd = fd, .events = events};
        int r = poll(&p, 1, left > 60000 ? 60000 : (int)left);
        if (r > 0)
            return p.revents & POLLNVAL ? -1 : 1;
        if (r < 0 && errno != EINTR)
            return -1;
    }
}

int dlc_loop_wait_fd(int fd, short events, int64_t deadline_ms)
{
    dlc_loop_fiber *f = tls_self;
    if (fd < 0)
        return -1;
    if (!f)
        return poll_until(fd, events, deadline_ms);
    if (dlc_clock_mono_ms() >= deadline_ms)
        return 0;
    f->fd = fd;
    f->events = events;
    f->deadline = deadline_ms;
    f->q = NULL;
    waiter_add(f->loop, f);
    switch_out(f);
    return f->result;
}

bool dlc_loop_waitq_wait(dlc_loop_waitq *q, int64_t deadline_ms)
{
    dlc_loop_fiber *f = tls_self;
    if (!f)
        return false;
    f->fd = -1;
    f->deadline = deadline_ms;
    f->q = q;
    f->qnext = NULL;
    f->qprev = q->tail;
    if (q->tail)
        q->tail->qnext = f;
    else
        q->head = f;
    q->tail = f;
    if (deadline_ms >= 0)
        waiter_add(f->loop, f);
    switch_out(f);
    return f->result == 1;
}

bool dlc_loop_waitq_wake_one(dlc_loop_waitq *q)
{
    dlc_loop_fiber *f = q->head;
    if (!f)
        return false;
    finish_wait(f->loop, f, 1);
    return true;
}

void dlc_loop_park(void)
{
    dlc_loop_fiber *f = tls_self;
    if (f)
        switch_out(f);
}

void dlc_loop_wake(dlc_loop_fiber *f)
{
    f->wake.fn = NULL;
    f->wake.arg = f;
    dlc_loop_post(f->loop, &f->wake);
}
