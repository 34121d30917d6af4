/*
 * The database pool under callers who give up: one pipelined connection on
 * a real PostgreSQL, fibers of one real event loop.
 *   - Callers with tiny deadlines keep it full of statements whose results
 *     nobody waits for; a patient caller on the same pool must still be
 *     served every time, and once everyone has left, nothing stays behind.
 *   - Two callers whose deadline is the same millisecond: the reader leaves
 *     for the other just as that one gives up. Their statements must still
 *     be read (and their room freed) with no new caller coming.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "common/clock.h"
#include "common/loop.h"
#include "storage/db_internal.h"
#include "support/testdb.h"

#include <stdatomic.h>
#include <stdio.h>
#include <time.h>

#define N_HASTY 24
#define RUN_MS 2500
#define PATIENT_MS 3000

static const dlc_db_stmt g_stmts[] = {
    /* 16 pipelined (the depth limit) take about 0.5 s: longer than the
     * 250 ms a hasty caller is given, shorter than a stalled second. */
    {"nap", "SELECT pg_sleep(0.03)", 0},
    {"sleep", "SELECT pg_sleep($1::float8)", 1},
};
#define N_STMTS (sizeof g_stmts / sizeof g_stmts[0])

typedef struct {
    dlc_db *db;
    atomic_bool stop;
    atomic_int hasty_left;
    atomic_int patient_calls, patient_ok;
    atomic_bool patient_done;
    char patient_error[256]; /* the first failure of the patient caller */
    dlc_loop_task tasks[N_HASTY + 1];
} pool_case;

static void hasty_main(void *arg)
{
    pool_case *pc = arg;
    while (!atomic_load(&pc->stop))
        dlc_db_run(pc->db, "nap", 0, NULL, dlc_clock_mono_ms() + 1, NULL, NULL, NULL);
    atomic_fetch_sub(&pc->hasty_left, 1);
}

static void patient_call(pool_case *pc, int64_t within_ms)
{
    char err[200] = "";
    int64_t t0 = dlc_clock_mono_ms();
    dlc_db_rc rc = dlc_db_exec(pc->db, "nap", 0, NULL, t0 + within_ms, NULL, NULL, err, sizeof err);
    int n = atomic_fetch_add(&pc->patient_calls, 1);
    atomic_fetch_add(&pc->patient_ok, rc == DLC_DB_OK);
    if (rc != DLC_DB_OK && !pc->patient_error[0])
        snprintf(pc->patient_error, sizeof pc->patient_error, "call %d after %lld ms: %s", n,
                 (long long)(dlc_clock_mono_ms() - t0), err);
}

static void patient_main(void *arg)
{
    pool_case *pc = arg;
    int64_t until = dlc_clock_mono_ms() + RUN_MS;
    while (dlc_clock_mono_ms() < until) {
        patient_call(pc, PATIENT_MS);
    }
    atomic_store(&pc->stop, true);
    /* Everyone has left: within a stalled second nothing may stay behind,
     * so that a call with a short deadline is served at once. */
    while (atomic_load(&pc->hasty_left) > 0)
        dlc_db_run(pc->db, "nap", 0, NULL, dlc_clock_mono_ms() + 1, NULL, NULL, NULL);
    struct timespec ts = {.tv_sec = 1, .tv_nsec = 500 * 1000000L};
    nanosleep(&ts, NULL); /* blocks the loop: no fiber runs meanwhile */
    dlc_loop_waitq q = {0};
    dlc_loop_waitq_wait(&q, dlc_clock_mono_ms() + 1200); /* the tidy fiber's turn */
    patient_call(pc, 200);
    atomic_store(&pc->patient_done, true);
}

static void patient_callers_are_served_among_hasty_ones(void **state)
{
    dlc_testdb_fixture *f = *state;
    static pool_case pc;
    pc = (pool_case){.hasty_left = N_HASTY};
    dlc_db_params p = dlc_testdb_params(f->name, 5000);
    pc.db = dlc_db_open_pool(&p, g_stmts, N_STMTS, 1);
    assert_non_null(pc.db);
    dlc_loop *l = dlc_loop_new(0, N_HASTY + 2);
    assert_non_null(l);
    assert_int_equal(dlc_loop_start(l), 0);
    for (int i = 0; i < N_HASTY; i++) {
        pc.tasks[i] = (dlc_loop_task){.fn = hasty_main, .arg = &pc};
        dlc_loop_post(l, &pc.tasks[i]);
    }
    pc.tasks[N_HASTY] = (dlc_loop_task){.fn = patient_main, .arg = &pc};
    dlc_loop_post(l, &pc.tasks[N_HASTY]);
    dlc_loop_free(l); /* returns once every fiber has ended */
    dlc_db_close(pc.db);
    assert_true(atomic_load(&pc.patient_done));
    assert_true(atomic_load(&pc.patient_calls) > 1);
    if (pc.patient_error[0])
        fail_msg("a patient call failed: %s", pc.patient_error);
}

/* ---- one deadline, two callers ---------------------------------------------- */

typedef struct {
    dlc_db *db;
    int64_t deadline; /* the same for both callers */
    dlc_db_rc rc[3];
    size_t in_flight_after;
    dlc_loop_task tasks[4];
} same_deadline_case;

static void sleeper(same_deadline_case *sc, int i, const char *secs, int64_t deadline)
{
    const char *v[] = {secs};
    sc->rc[i] = dlc_db_run(sc->db, "sleep", 1, v, deadline, NULL, NULL, NULL);
}

/* The first reader: its result comes after 0.1 s and it hands the reading
 * to the next caller, who then waits on the socket again. */
static void first_main(void *arg)
{
    same_deadline_case *sc = arg;
    sleeper(sc, 0, "0.1", dlc_clock_mono_ms() + 5000);
}

static void second_main(void *arg)
{
    same_deadline_case *sc = arg;
    sleeper(sc, 1, "0.3", sc->deadline); /* reads from 0.1 s, gives up at 0.3 s */
}

static void third_main(void *arg)
{
    same_deadline_case *sc = arg;
    sleeper(sc, 2, "0", sc->deadline); /* waits behind the second */
}

static void watcher_main(void *arg)
{
    same_deadline_case *sc = arg;
    dlc_loop_waitq q = {0};
    /* Both statements are done on the server 0.4 s in; no caller is left. */
    dlc_loop_waitq_wait(&q, sc->deadline + 600);
    sc->in_flight_after = dlc_db_in_flight(sc->db);
}

static void statements_of_callers_gone_at_once_are_read(void **state)
{
    dlc_testdb_fixture *f = *state;
    static same_deadline_case sc;
    dlc_db_params p = dlc_testdb_params(f->name, 5000);
    sc = (same_deadline_case){.db = dlc_db_open_pool(&p, g_stmts, N_STMTS, 1)};
    assert_non_null(sc.db);
    char err[200];
    assert_int_equal(dlc_db_ping(sc.db, dlc_clock_mono_ms() + 5000, err, sizeof err), DLC_DB_OK);
    dlc_loop *l = dlc_loop_new(0, 4);
    assert_non_null(l);
    assert_int_equal(dlc_loop_start(l), 0);
    sc.deadline = dlc_clock_mono_ms() + 300;
    void (*fns[])(void *) = {first_main, second_main, third_main, watcher_main};
    for (int i = 0; i < 4; i++) {
        sc.tasks[i] = (dlc_loop_task){.fn = fns[i], .arg = &sc};
        dlc_loop_post(l, &sc.tasks[i]);
    }
    dlc_loop_free(l);
    dlc_db_close(sc.db);
    assert_int_equal(sc.rc[0], DLC_DB_OK);
    assert_int_equal(sc.rc[1], DLC_DB_TIMEOUT);
    assert_int_equal(sc.rc[2], DLC_DB_TIMEOUT);
    assert_int_equal(sc.in_flight_after, 0);
}

static int setup(void **state)
{
    return dlc_testdb_fixture_setup(state, g_stmts, N_STMTS);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        DLC_TESTDB_TEST(patient_callers_are_served_among_hasty_ones, setup),
        DLC_TESTDB_TEST(statements_of_callers_gone_at_once_are_read, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
