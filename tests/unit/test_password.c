/* argon2id hashing, verification, dummy hash, rehash check, the bounded
 * FIFO of the hashing threads, and callers that are event-loop fibers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "common/clock.h"
#include "common/loop.h"
#include "rpc/core/auth/password.h"

#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <time.h>

/* Far enough that a wait never times out in these tests. */
#define LONG_WAIT_MS 10000

static int64_t later(void)
{
    return dlc_clock_mono_ms() + LONG_WAIT_MS;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static int setup_min(void **state)
{
    *state = dlc_hasher_new(DLC_HASH_MIN, 4);
    return *state == NULL ? -1 : 0;
}

static int teardown(void **state)
{
    dlc_hasher_free(*state);
    return 0;
}

/* Hashes pw (len bytes) with h and checks success. */
static void hash_ok(dlc_hasher *h, const char *pw, size_t len, char out[DLC_PASSWORD_HASH_MAX])
{
    assert_int_equal(dlc_password_hash(h, pw, len, later(), out), DLC_PW_OK);
}

static dlc_pw_rc verify(dlc_hasher *h, const char *stored, const char *pw)
{
    return dlc_password_verify(h, stored, pw, strlen(pw), later());
}

static void parse_strength(void **state)
{
    (void)state;
    dlc_hash_strength s = DLC_HASH_MIN;
    assert_int_equal(dlc_password_parse_strength("interactive", &s), 0);
    assert_int_equal(s, DLC_HASH_INTERACTIVE);
    assert_int_equal(dlc_password_parse_strength("moderate", &s), 0);
    assert_int_equal(s, DLC_HASH_MODERATE);
    assert_int_equal(dlc_password_parse_strength("min", &s), 0);
    assert_int_equal(s, DLC_HASH_MIN);
    assert_int_equal(dlc_password_parse_strength("Interactive", &s), -1);
    assert_int_equal(dlc_password_parse_strength("", &s), -1);
    assert_int_equal(dlc_password_parse_strength("sensitive", &s), -1);
    assert_int_equal(dlc_password_parse_strength(NULL, &s), -1);
    assert_int_equal(s, DLC_HASH_MIN); /* untouched on failure */
}

static void new_rejects_bad_arguments(void **state)
{
    (void)state;
    assert_null(dlc_hasher_new(DLC_HASH_MIN, 0));
    assert_null(dlc_hasher_new((dlc_hash_strength)42, 1));
    dlc_hasher_free(NULL);
}

static void hash_then_verify(void **state)
{
    dlc_hasher *h = *state;
    char out[DLC_PASSWORD_HASH_MAX];
    hash_ok(h, "correct horse", 13, out);
    assert_memory_equal(out, "$argon2id$", 10);
    assert_true(strlen(out) < DLC_PASSWORD_HASH_MAX);
    assert_int_equal(verify(h, out, "correct horse"), DLC_PW_OK);
    assert_int_equal(verify(h, out, "wrong horse"), DLC_PW_MISMATCH);
    assert_int_equal(verify(h, out, ""), DLC_PW_MISMATCH);
}

static void verified_exactly_as_received(void **state)
{
    dlc_hasher *h = *state;
    char out[DLC_PASSWORD_HASH_MAX];
    hash_ok(h, "Secret1", 7, out);
    assert_int_equal(verify(h, out, "Secret1 "), DLC_PW_MISMATCH);
    assert_int_equal(verify(h, out, " Secret1"), DLC_PW_MISMATCH);
    assert_int_equal(verify(h, out, "secret1"), DLC_PW_MISMATCH);
    assert_int_equal(verify(h, out, "SECRET1"), DLC_PW_MISMATCH);
    assert_int_equal(verify(h, out, "Secret1"), DLC_PW_OK);
}

static void nul_bytes_and_utf8(void **state)
{
    dlc_hasher *h = *state;
    char out[DLC_PASSWORD_HASH_MAX];
    static const char nul_pw[] = "ab\0cd";
    hash_ok(h, nul_pw, 5, out);
    assert_int_equal(dlc_password_verify(h, out, nul_pw, 5, later()), DLC_PW_OK);
    /* Everything after the NUL counts. */
    assert_int_equal(dlc_password_verify(h, out, "ab\0ce", 5, later()), DLC_PW_MISMATCH);
    assert_int_equal(dlc_password_verify(h, out, nul_pw, 2, later()), DLC_PW_MISMATCH);

    const char *utf8 = "p\xc3\xa4ssw\xc3\xb6rd \xf0\x9f\x92\x83"; /* "pässwörd 💃" */
    hash_ok(h, utf8, strlen(utf8), out);
    assert_int_equal(verify(h, out, utf8), DLC_PW_OK);
    /* Same glyphs, decomposed (a + combining diaeresis): not normalised. */
    assert_int_equal(verify(h, out, "pa\xcc\x88ssw\xc3\xb6rd \xf0\x9f\x92\x83"), DLC_PW_MISMATCH);
}

static void empty_password(void **state)
{
    dlc_hasher *h = *state;
    char out[DLC_PASSWORD_HASH_MAX];
    assert_int_equal(dlc_password_hash(h, NULL, 0, later(), out), DLC_PW_OK);
    assert_int_equal(verify(h, out, ""), DLC_PW_OK);
    assert_int_equal(verify(h, out, " "), DLC_PW_MISMATCH);
    assert_int_equal(dlc_password_hash(h, NULL, 3, later(), out), DLC_PW_ERROR);
}

static void salted(void **state)
{
    dlc_hasher *h = *state;
    char a[DLC_PASSWORD_HASH_MAX], b[DLC_PASSWORD_HASH_MAX];
    hash_ok(h, "same", 4, a);
    hash_ok(h, "same", 4, b);
    assert_string_not_equal(a, b);
    assert_int_equal(verify(h, a, "same"), DLC_PW_OK);
    assert_int_equal(verify(h, b, "same"), DLC_PW_OK);
}

static void unknown_user_mismatches(void **state)
{
    dlc_hasher *h = *state;
    assert_int_equal(verify(h, NULL, ""), DLC_PW_MISMATCH);
    assert_int_equal(verify(h, NULL, "anything"), DLC_PW_MISMATCH);
}

static void malformed_stored_is_error(void **state)
{
    dlc_hasher *h = *state;
    char out[DLC_PASSWORD_HASH_MAX];
    hash_ok(h, "pw", 2, out);
    char cut[DLC_PASSWORD_HASH_MAX];
    memcpy(cut, out, 20);
    cut[20] = '\0';
    const char *bad[] = {
        "",
        "not a hash",
        "$argon2id$",
        "$argon2id$v=19$m=x,t=1,p=1$AAAA$AAAA",
        "$2b$12$abcdefghijklmnopqrstuu5Bz3zfMZb9Z0x3aYyY7zQKkRhQ0bUW", /* bcrypt */
        cut,
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(verify(h, bad[i], "pw"), DLC_PW_ERROR);
        assert_true(dlc_password_needs_rehash(h, bad[i]));
    }
    /* Longer than any encoded string. */
    char huge[300];
    memset(huge, 'A', sizeof huge - 1);
    huge[sizeof huge - 1] = '\0';
    assert_int_equal(verify(h, huge, "pw"), DLC_PW_ERROR);
}

static void needs_rehash(void **state)
{
    dlc_hasher *min = *state;
    char out[DLC_PASSWORD_HASH_MAX];
    hash_ok(min, "pw", 2, out);
    assert_false(dlc_password_needs_rehash(min, out));
    assert_false(dlc_password_needs_rehash(min, NULL));
    dlc_hasher *interactive = dlc_hasher_new(DLC_HASH_INTERACTIVE, 1);
    assert_non_null(interactive);
    assert_true(dlc_password_needs_rehash(interactive, out));
    dlc_hasher_free(interactive);
}

struct holder {
    dlc_hasher *h;
    atomic_bool started;
    atomic_bool done;
    dlc_pw_rc rc;
    char out[DLC_PASSWORD_HASH_MAX];
};

static void *hold_slot(void *arg)
{
    struct holder *hd = arg;
    atomic_store(&hd->started, true);
    hd->rc = dlc_password_hash(hd->h, "held", 4, later(), hd->out);
    atomic_store(&hd->done, true);
    return NULL;
}

/* Tries a 1 ms wait until one answers BUSY; retries only cover the main
 * thread winning the slot before the holder got it. */
static bool saw_busy(struct holder *hd)
{
    char out[DLC_PASSWORD_HASH_MAX];
    while (!atomic_load(&hd->done)) {
        dlc_pw_rc rc = dlc_password_hash(hd->h, "x", 1, dlc_clock_mono_ms() + 1, out);
        if (rc == DLC_PW_BUSY)
            return true;
        assert_int_equal(rc, DLC_PW_OK);
        sleep_ms(5);
    }
    return false;
}

static void busy_when_no_slot(void **state)
{
    (void)state;
    /* INTERACTIVE (~80 ms) keeps the only slot held long enough. */
    struct holder hd = {.h = dlc_hasher_new(DLC_HASH_INTERACTIVE, 1)};
    assert_non_null(hd.h);
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, hold_slot, &hd), 0);
    while (!atomic_load(&hd.started))
        sleep_ms(1);
    sleep_ms(10);
    assert_true(saw_busy(&hd));
    assert_int_equal(pthread_join(t, NULL), 0);
    assert_int_equal(hd.rc, DLC_PW_OK);
    /* The slot is free again: a 1 ms deadline is enough. */
    assert_int_equal(dlc_password_verify(hd.h, hd.out, "held", 4, dlc_clock_mono_ms() + 1),
                     DLC_PW_OK);
    dlc_hasher_free(hd.h);
}

static void free_slot_taken_past_deadline(void **state)
{
    dlc_hasher *h = *state;
    char out[DLC_PASSWORD_HASH_MAX];
    assert_int_equal(dlc_password_hash(h, "pw", 2, dlc_clock_mono_ms() - 1000, out), DLC_PW_OK);
    assert_int_equal(dlc_password_verify(h, out, "pw", 2, 0), DLC_PW_OK);
}

#define N_VERIFIERS 8
#define ROUNDS 20

struct verifier {
    dlc_hasher *h;
    const char *stored;
    int ok;
};

static void *verify_loop(void *arg)
{
    struct verifier *v = arg;
    for (int i = 0; i < ROUNDS; i++)
        v->ok += dlc_password_verify(v->h, v->stored, "shared", 6, later()) == DLC_PW_OK;
    return NULL;
}

static void concurrent_verifiers_all_succeed(void **state)
{
    (void)state;
    dlc_hasher *h = dlc_hasher_new(DLC_HASH_MIN, 2);
    assert_non_null(h);
    char out[DLC_PASSWORD_HASH_MAX];
    hash_ok(h, "shared", 6, out);
    pthread_t t[N_VERIFIERS];
    struct verifier v[N_VERIFIERS];
    for (int i = 0; i < N_VERIFIERS; i++) {
        v[i] = (struct verifier){.h = h, .stored = out};
        assert_int_equal(pthread_create(&t[i], NULL, verify_loop, &v[i]), 0);
    }
    for (int i = 0; i < N_VERIFIERS; i++) {
        assert_int_equal(pthread_join(t[i], NULL), 0);
        assert_int_equal(v[i].ok, ROUNDS);
    }
    dlc_hasher_free(h);
}

/* ---- callers in event-loop fibers ------------------------------------------ */

#define N_FIBERS 20

typedef struct {
    dlc_hasher *h;
    int order[N_FIBERS + 1]; /* ids in the order their calls returned */
    int n;
    int next_id;
    int failures;
    char stored[DLC_PASSWORD_HASH_MAX]; /* for fiber_verify */
} fiber_case;

static void fiber_hash(void *arg)
{
    fiber_case *c = arg;
    int id = c->next_id++; /* one loop thread: no race */
    char out[DLC_PASSWORD_HASH_MAX];
    c->failures += dlc_password_hash(c->h, "pw", 2, later(), out) != DLC_PW_OK;
    c->order[c->n++] = id;
}

static void fiber_mark(void *arg)
{
    fiber_case *c = arg;
    c->order[c->n++] = 1000 + c->next_id++;
}

static void run_fibers(fiber_case *c, dlc_loop_task *tasks, int n)
{
    dlc_loop *l = dlc_loop_new(0, 4);
    assert_non_null(l);
    assert_int_equal(dlc_loop_start(l), 0);
    for (int i = 0; i < n; i++)
        dlc_loop_post(l, &tasks[i]);
    dlc_loop_free(l); /* returns once every fiber has ended */
    assert_int_equal(c->failures, 0);
}

/* A fiber waiting for its hash does not hold its loop: a fiber posted after
 * it ends first. */
static void hashing_suspends_only_the_fiber(void **state)
{
    (void)state;
    fiber_case c = {.h = dlc_hasher_new(DLC_HASH_INTERACTIVE, 1)};
    assert_non_null(c.h);
    dlc_loop_task tasks[] = {{.fn = fiber_hash, .arg = &c}, {.fn = fiber_mark, .arg = &c}};
    run_fibers(&c, tasks, 2);
    assert_int_equal(c.n, 2);
    assert_int_equal(c.order[0], 1001); /* the marker, while the hash ran */
    assert_int_equal(c.order[1], 0);
    dlc_hasher_free(c.h);
}

/* One hashing thread: calls complete in the order they queued. */
static void queue_is_fifo(void **state)
{
    (void)state;
    fiber_case c = {.h = dlc_hasher_new(DLC_HASH_MIN, 1)};
    assert_non_null(c.h);
    dlc_loop_task tasks[N_FIBERS];
    for (int i = 0; i < N_FIBERS; i++)
        tasks[i] = (dlc_loop_task){.fn = fiber_hash, .arg = &c};
    run_fibers(&c, tasks, N_FIBERS);
    assert_int_equal(c.n, N_FIBERS);
    for (int i = 0; i < N_FIBERS; i++)
        assert_int_equal(c.order[i], i);
    dlc_hasher_free(c.h);
}

static void fiber_verify(void *arg)
{
    fiber_case *c = arg;
    int id = 1000 + c->next_id++;
    c->failures += dlc_password_verify(c->h, c->stored, "pw", 2, later()) != DLC_PW_OK;
    c->order[c->n++] = id;
}

/* One hashing thread, a queue of new hashes, then a login: the queues take
 * turns, so the login is served next, not after every hash ahead of it. */
static void logins_are_not_starved_by_hashes(void **state)
{
    (void)state;
    enum { N_HASHES = 6 };
    fiber_case c = {.h = dlc_hasher_new(DLC_HASH_INTERACTIVE, 1)};
    assert_non_null(c.h);
    hash_ok(c.h, "pw", 2, c.stored);
    dlc_loop_task tasks[N_HASHES + 1];
    for (int i = 0; i < N_HASHES; i++)
        tasks[i] = (dlc_loop_task){.fn = fiber_hash, .arg = &c};
    tasks[N_HASHES] = (dlc_loop_task){.fn = fiber_verify, .arg = &c};
    run_fibers(&c, tasks, N_HASHES + 1);
    assert_int_equal(c.n, N_HASHES + 1);
    int at = -1;
    for (int i = 0; i < c.n; i++)
        if (c.order[i] >= 1000)
            at = i;
    assert_true(at >= 0 && at <= 2); /* behind the hash running, at most one more */
    dlc_hasher_free(c.h);
}

/* Every strength starts (its constant dummy hash matches its parameters)
 * and an unknown user never verifies. */
static void every_strength_has_its_dummy(void **state)
{
    (void)state;
    for (dlc_hash_strength s = DLC_HASH_INTERACTIVE; s <= DLC_HASH_MIN; s++) {
        dlc_hasher *h = dlc_hasher_new(s, 1);
        assert_non_null(h);
        if (s == DLC_HASH_MIN)
            assert_int_equal(dlc_password_verify(h, NULL, "", 0, later()), DLC_PW_MISMATCH);
        dlc_hasher_free(h);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(parse_strength),
        cmocka_unit_test(new_rejects_bad_arguments),
        cmocka_unit_test_setup_teardown(hash_then_verify, setup_min, teardown),
        cmocka_unit_test_setup_teardown(verified_exactly_as_received, setup_min, teardown),
        cmocka_unit_test_setup_teardown(nul_bytes_and_utf8, setup_min, teardown),
        cmocka_unit_test_setup_teardown(empty_password, setup_min, teardown),
        cmocka_unit_test_setup_teardown(salted, setup_min, teardown),
        cmocka_unit_test_setup_teardown(unknown_user_mismatches, setup_min, teardown),
        cmocka_unit_test_setup_teardown(malformed_stored_is_error, setup_min, teardown),
        cmocka_unit_test_setup_teardown(needs_rehash, setup_min, teardown),
        cmocka_unit_test(busy_when_no_slot),
        cmocka_unit_test_setup_teardown(free_slot_taken_past_deadline, setup_min, teardown),
        cmocka_unit_test(concurrent_verifiers_all_succeed),
        cmocka_unit_test(hashing_suspends_only_the_fiber),
        cmocka_unit_test(every_strength_has_its_dummy),
        cmocka_unit_test(queue_is_fifo),
        cmocka_unit_test(logins_are_not_starved_by_hashes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
