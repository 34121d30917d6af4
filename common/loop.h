/*
 * dlc_loop: an event loop thread that runs fibers.
 *
 * Why fibers: a request handler is a sequence of waits (a database round
 * trip, a password hash) with a little CPU between them. Written as one
 * blocking thread per request it costs a thread wake-up and a context
 * switch per wait, and threads ≈ requests in flight. Here each request runs
 * on a small fiber (its own stack, cooperatively scheduled) on one of a few
 * loop threads (≈ cores): a wait suspends the fiber, the loop polls every
 * waiting socket at once and resumes whoever is ready. The handler code stays
 * sequential; the suspension points are explicit (the functions below), and
 * nothing else ever blocks a loop thread.
 *
 * Work enters a loop through dlc_loop_post (any thread, e.g. an nng aio
 * callback): the task runs in a new fiber. Fibers never migrate between
 * threads. A fiber waits with:
 *   - dlc_loop_wait_fd: a socket ready (libpq's, for instance) or a deadline;
 *   - dlc_loop_waitq_wait: a FIFO wait queue of the same loop (e.g. for a free
 *     database connection), woken by dlc_loop_waitq_wake_one, or a deadline;
 *   - dlc_loop_park: woken once by dlc_loop_wake from any thread (e.g. a
 *     hashing thread handing back its result).
 * Outside a fiber dlc_loop_wait_fd simply poll()s, so code that uses it
 * (storage/db) works from ordinary threads too.
 */
#ifndef DLC_LOOP_H
#define DLC_LOOP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct dlc_loop dlc_loop;
typedef struct dlc_loop_fiber dlc_loop_fiber;

/* Work for a loop: fn(arg) runs in a fiber of its own. The caller owns the
 * task and keeps it valid until fn has started (embed it in the request). */
typedef struct dlc_loop_task {
    void (*fn)(void *arg);
    void *arg;
    struct dlc_loop_task *next; /* the loop's */
} dlc_loop_task;

/* A FIFO of fibers of one loop; zero-initialised. */
typedef struct {
    dlc_loop_fiber *head, *tail;
} dlc_loop_waitq;

/* stack_bytes per fiber (0 → 256 KiB); stacks are mapped lazily, reused,
 * and at most keep_idle of them stay mapped when idle. NULL on failure. */
dlc_loop *dlc_loop_new(size_t stack_bytes, int keep_idle);
/* Starts the loop's thread. 0, or -1. */
int dlc_loop_start(dlc_loop *l);
/* Returns once every posted task has run to its end, then stops and joins
 * the thread. Nothing may be posted after it returns. */
void dlc_loop_stop(dlc_loop *l);
void dlc_loop_free(dlc_loop *l);

/* Thread-safe: runs t->fn(t->arg) in a new fiber on l's thread. */
void dlc_loop_post(dlc_loop *l, dlc_loop_task *t);

/* True on a loop thread, inside a fiber. */
bool dlc_loop_in_fiber(void);
/* The calling fiber, or NULL outside one. */
dlc_loop_fiber *dlc_loop_self(void);
/* The loop of the calling fiber, or NULL outside one. */
dlc_loop *dlc_loop_current(void);

/* Waits until fd is ready for events (POLLIN/POLLOUT; an error or hang-up
 * counts as ready) or deadline_ms (dlc_clock_mono_ms's clock) passes.
 * 1: ready, 0: the deadline passed, -1: cannot wait (bad fd, poll failed). */
int dlc_loop_wait_fd(int fd, short events, int64_t deadline_ms);

/* In a fiber: queues the caller on q until woken (true) or deadline_ms
 * passes (false; deadline_ms < 0: no deadline). Outside a fiber: false at
 * once (an ordinary thread cannot be queued). */
bool dlc_loop_waitq_wait(dlc_loop_waitq *q, int64_t deadline_ms);
/* Wakes the oldest waiter of q (same loop thread only). True if one was. */
bool dlc_loop_waitq_wake_one(dlc_loop_waitq *q);

/* In a fiber: suspends it until dlc_loop_wake(self). Call it right after
 * handing dlc_loop_self() to the waker: a wake that comes first is kept. */
void dlc_loop_park(void);
/* Thread-safe: resumes a parked fiber (exactly once per park). */
void dlc_loop_wake(dlc_loop_fiber *f);

#endif
