/* The event loop and its fibers: tasks, socket waits, FIFO wait queues,
 * cross-thread wakes, stopping, and the plain-thread fallbacks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "common/clock.h"
#include "common/loop.h"

#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <unistd.h>

#define FAR_MS 10000

static int64_t far(void)
{
    return dlc_clock_mono_ms() + FAR_MS;
}

static dlc_loop *started(int keep_idle)
{
    dlc_loop *l = dlc_loop_new(0, keep_idle);
    assert_non_null(l);
    assert_int_equal(dlc_loop_start(l), 0);
    return l;
}

/* ---- tasks ------------------------------------------------------------------ */

static atomic_int g_count;
static atomic_int g_in_fiber;

static void count_task(void *arg)
{
    (void)arg;
    atomic_fetch_add(&g_in_fiber, dlc_loop_in_fiber() && dlc_loop_self() != NULL);
    atomic_fetch_add(&g_count, 1);
}

#define N_TASKS 500

static void tasks_run_in_fibers(void **state)
{
    (void)state;
    atomic_store(&g_count, 0);
    atomic_store(&g_in_fiber, 0);
    assert_false(dlc_loop_in_fiber());
    dlc_loop *l = started(4); /* few idle stacks kept: most are unmapped again */
    static dlc_loop_task tasks[N_TASKS];
    for (int i = 0; i < N_TASKS; i++) {
        tasks[i] = (dlc_loop_task){.fn = count_task};
        dlc_loop_post(l, &tasks[i]);
    }
    dlc_loop_free(l); /* stops once every posted task has run */
    assert_int_equal(atomic_load(&g_count), N_TASKS);
    assert_int_equal(atomic_load(&g_in_fiber), N_TASKS);
}

/* ---- waiting on a socket ------------------------------------------------------ */

typedef struct {
    int fds[2];
    int rc;              /* what the waiter got */
    atomic_bool waiting; /* the waiter is suspended */
    atomic_bool other_ran;
    bool saw_other, saw_waiting; /* checked by the test's thread: cmocka's
                                    asserts cannot fail inside a fiber */
    atomic_bool done;
} pipe_case;

static void wait_read(void *arg)
{
    pipe_case *c = arg;
    atomic_store(&c->waiting, true);
    c->rc = dlc_loop_wait_fd(c->fds[0], POLLIN, far());
    c->saw_other = atomic_load(&c->other_ran); /* it ran while this one waited */
    atomic_store(&c->done, true);
}

static void write_pipe(void *arg)
{
    pipe_case *c = arg;
    c->saw_waiting = atomic_load(&c->waiting); /* suspended, not blocking the loop */
    atomic_store(&c->other_ran, true);
    c->rc = write(c->fds[1], "x", 1) == 1 ? c->rc : -8;
}

static void wait_fd_suspends_only_the_fiber(void **state)
{
    (void)state;
    pipe_case c = {.rc = -9};
    assert_int_equal(pipe(c.fds), 0);
    dlc_loop *l = started(8);
    dlc_loop_task a = {.fn = wait_read, .arg = &c}, b = {.fn = write_pipe, .arg = &c};
    dlc_loop_post(l, &a);
    dlc_loop_post(l, &b);
    dlc_loop_free(l);
    assert_true(atomic_load(&c.done));
    assert_true(c.saw_waiting);
    assert_true(c.saw_other);
    assert_int_equal(c.rc, 1);
    close(c.fds[0]);
    close(c.fds[1]);
}

static void wait_silent(void *arg)
{
    pipe_case *c = arg;
    c->rc = dlc_loop_wait_fd(c->fds[0], POLLIN, dlc_clock_mono_ms() + 30);
}

static void wait_fd_deadline(void **state)
{
    (void)state;
    pipe_case c = {.rc = -9};
    assert_int_equal(pipe(c.fds), 0);
    dlc_loop *l = started(8);
    dlc_loop_task a = {.fn = wait_silent, .arg = &c};
    dlc_loop_post(l, &a);
    dlc_loop_free(l);
    assert_int_equal(c.rc, 0);
    /* Outside a fiber: a plain poll, same answers. */
    assert_int_equal(dlc_loop_wait_fd(c.fds[0], POLLIN, dlc_clock_mono_ms() + 10), 0);
    assert_int_equal(write(c.fds[1], "x", 1), 1);
    assert_int_equal(dlc_loop_wait_fd(c.fds[0], POLLIN, far()), 1);
    assert_int_equal(dlc_loop_wait_fd(-1, POLLIN, far()), -1);
    close(c.fds[0]);
    close(c.fds[1]);
}

/* ---- wait queues ----------------------------------------------------------- */

#define N_WAITERS 200

typedef struct {
    dlc_loop_waitq q;
    int order[N_WAITERS];
    int n_woken;
    int next_id;
    int timed_out;
} queue_case;

static void queued(void *arg)
{
    queue_case *c = arg;
    int id = c->next_id++; /* one loop thread: no race */
    if (dlc_loop_waitq_wait(&c->q, far()))
        c->order[c->n_woken++] = id;
}

static void waker(void *arg)
{
    queue_case *c = arg;
    while (dlc_loop_waitq_wake_one(&c->q))
        ;
}

static void late(void *arg)
{
    queue_case *c = arg;
    c->timed_out += !dlc_loop_waitq_wait(&c->q, dlc_clock_mono_ms() + 20);
}

static void waitq_is_fifo_and_bounded(void **state)
{
    (void)state;
    static queue_case c;
    static dlc_loop_task tasks[N_WAITERS + 2];
    dlc_loop *l = started(16);
    for (int i = 0; i < N_WAITERS; i++) {
        tasks[i] = (dlc_loop_task){.fn = queued, .arg = &c};
        dlc_loop_post(l, &tasks[i]);
    }
    tasks[N_WAITERS] = (dlc_loop_task){.fn = waker, .arg = &c};
    tasks[N_WAITERS + 1] = (dlc_loop_task){.fn = late, .arg = &c};
    dlc_loop_post(l, &tasks[N_WAITERS]);
    dlc_loop_post(l, &tasks[N_WAITERS + 1]);
    dlc_loop_free(l);
    assert_int_equal(c.n_woken, N_WAITERS);
    for (int i = 0; i < N_WAITERS; i++)
        assert_int_equal(c.order[i], i);
    assert_int_equal(c.timed_out, 1); /* nobody woke it: its deadline did */
    assert_null(c.q.head);            /* and it left the queue */
    assert_null(c.q.tail);
    /* An ordinary thread cannot be queued. */
    assert_false(dlc_loop_waitq_wait(&c.q, far()));
}

/* ---- cross-thread wakes ---------------------------------------------------- */

typedef struct {
    dlc_loop_fiber *fiber;
    atomic_bool handed;
    bool resumed;
    int delay_ms;
} park_case;

static void *wake_later(void *arg)
{
    park_case *c = arg;
    while (!atomic_load(&c->handed))
        usleep(100);
    if (c->delay_ms)
        usleep((useconds_t)c->delay_ms * 1000);
    dlc_loop_wake(c->fiber);
    return NULL;
}

static void parks(void *arg)
{
    park_case *c = arg;
    c->fiber = dlc_loop_self();
    atomic_store(&c->handed, true);
    if (c->delay_ms == 0)
        usleep(2000); /* let the wake come first: it must be kept */
    dlc_loop_park();
    c->resumed = true;
}

static void park_and_wake_from_another_thread(void **state)
{
    (void)state;
    for (int delay = 0; delay <= 5; delay += 5) {
        park_case c = {.delay_ms = delay};
        dlc_loop *l = started(2);
        pthread_t t;
        assert_int_equal(pthread_create(&t, NULL, wake_later, &c), 0);
        dlc_loop_task task = {.fn = parks, .arg = &c};
        dlc_loop_post(l, &task);
        assert_int_equal(pthread_join(t, NULL), 0);
        dlc_loop_free(l);
        assert_true(c.resumed);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(tasks_run_in_fibers),
        cmocka_unit_test(wait_fd_suspends_only_the_fiber),
        cmocka_unit_test(wait_fd_deadline),
        cmocka_unit_test(waitq_is_fifo_and_bounded),
        cmocka_unit_test(park_and_wake_from_another_thread),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
