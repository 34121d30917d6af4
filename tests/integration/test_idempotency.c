/*
 * dlc_idem_store against a real PostgreSQL: a claim is the caller's until
 * its transaction ends — a concurrent claim waits and then finds the
 * stored answer (or takes the key over when the first rolled back, or
 * gives up at its lock timeout) — a caller's live keys are bounded, and
 * expired keys are taken over and cleaned up.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
/* cmocka.h needs the four above first. */
#include <cmocka.h>

#include "common/clock.h"
#include "storage/idempotency.h"
#include "support/testdb.h"

#include <string.h>

typedef dlc_testdb_fixture fixture;

static int setup(void **state)
{
    return dlc_testdb_fixture_setup(state, dlc_idem_store_statements,
                                    dlc_idem_store_statement_count);
}

static int64_t deadline(void)
{
    return dlc_clock_mono_ms() + 5000;
}

static dlc_idem_claim claim_of(const char *scope, const char *key, unsigned char fill)
{
    dlc_idem_claim c = {.scope = scope, .key = key, .ttl_ms = 3600000, .max_keys = 3,
                        .lock_timeout_ms = 200};
    memset(c.request_sha256, fill, sizeof c.request_sha256);
    return c;
}

/* Claims in a transaction of its own (left open on db). */
static dlc_idem_claim_rc claim(dlc_db *db, const dlc_idem_claim *c)
{
    dlc_idem_claim_rc got = DLC_IDEM_IN_USE;
    assert_int_equal(dlc_idem_store_begin(db, deadline()), DLC_DB_OK);
    assert_int_equal(dlc_idem_store_claim(db, c, deadline(), &got), DLC_DB_OK);
    return got;
}

static void answer(dlc_db *db, const char *scope, const char *key, const char *body)
{
    char state[6] = "";
    assert_int_equal(dlc_idem_store_put(db, scope, key, "st", 2, body, strlen(body), deadline(),
                                        state),
                     DLC_DB_OK);
    assert_int_equal(dlc_idem_store_commit(db, deadline()), DLC_DB_OK);
}

static void claim_answer_replay(void **state)
{
    fixture *f = *state;
    dlc_idem_claim c = claim_of("user:1", "k1", 0xab);
    assert_int_equal(claim(f->db, &c), DLC_IDEM_CLAIMED);
    answer(f->db, "user:1", "k1", "the answer");

    assert_int_equal(claim(f->db, &c), DLC_IDEM_EXISTS);
    dlc_idem_answer a;
    bool found = false;
    assert_int_equal(dlc_idem_store_get(f->db, "user:1", "k1", deadline(), &a, &found), DLC_DB_OK);
    assert_int_equal(dlc_idem_store_rollback(f->db, deadline()), DLC_DB_OK);
    assert_true(found);
    assert_memory_equal(a.request_sha256, c.request_sha256, DLC_IDEM_SHA256_LEN);
    assert_int_equal(a.status_len, 2);
    assert_memory_equal(a.status, "st", 2);
    assert_int_equal(a.payload_len, 10);
    assert_memory_equal(a.payload, "the answer", 10);
    dlc_idem_answer_clear(&a);

    /* the same key of another caller is another key */
    dlc_idem_claim other = claim_of("user:2", "k1", 0xab);
    assert_int_equal(claim(f->db, &other), DLC_IDEM_CLAIMED);
    assert_int_equal(dlc_idem_store_rollback(f->db, deadline()), DLC_DB_OK);
}

static void concurrent_claim_waits_for_the_first(void **state)
{
    fixture *f = *state;
    dlc_db *second = dlc_testdb_open(f->name, dlc_idem_store_statements,
                                     dlc_idem_store_statement_count);
    dlc_idem_claim c = claim_of("user:1", "k", 1);
    assert_int_equal(claim(f->db, &c), DLC_IDEM_CLAIMED);
    /* the first is still running: the second gives up at its lock timeout */
    assert_int_equal(claim(second, &c), DLC_IDEM_IN_USE);
    assert_int_equal(dlc_idem_store_rollback(second, deadline()), DLC_DB_OK);
    /* the first rolled back (a core died): the key is free again */
    assert_int_equal(dlc_idem_store_rollback(f->db, deadline()), DLC_DB_OK);
    assert_int_equal(claim(second, &c), DLC_IDEM_CLAIMED);
    answer(second, "user:1", "k", "done");
    assert_int_equal(claim(f->db, &c), DLC_IDEM_EXISTS);
    assert_int_equal(dlc_idem_store_rollback(f->db, deadline()), DLC_DB_OK);
    dlc_db_close(second);
}

static void live_keys_per_caller_are_bounded(void **state)
{
    fixture *f = *state;
    const char *keys[] = {"a", "b", "c"};
    for (int i = 0; i < 3; i++) {
        dlc_idem_claim c = claim_of("ip:10.0.0.1", keys[i], 2);
        assert_int_equal(claim(f->db, &c), DLC_IDEM_CLAIMED);
        answer(f->db, "ip:10.0.0.1", keys[i], "x");
    }
    dlc_idem_claim full = claim_of("ip:10.0.0.1", "d", 2);
    assert_int_equal(claim(f->db, &full), DLC_IDEM_FULL);
    assert_int_equal(dlc_idem_store_rollback(f->db, deadline()), DLC_DB_OK);
    /* a repeat of a live key is still answered */
    dlc_idem_claim again = claim_of("ip:10.0.0.1", "b", 2);
    assert_int_equal(claim(f->db, &again), DLC_IDEM_EXISTS);
    assert_int_equal(dlc_idem_store_rollback(f->db, deadline()), DLC_DB_OK);
}

static void expired_keys_are_taken_over_and_cleaned(void **state)
{
    fixture *f = *state;
    dlc_idem_claim c = claim_of("admin", "old", 3);
    assert_int_equal(claim(f->db, &c), DLC_IDEM_CLAIMED);
    answer(f->db, "admin", "old", "x");
    dlc_idem_claim d = claim_of("admin", "older", 3);
    assert_int_equal(claim(f->db, &d), DLC_IDEM_CLAIMED);
    answer(f->db, "admin", "older", "x");
    assert_int_equal(dlc_testdb_exec(f->conn, "UPDATE idempotency_keys"
                                              " SET expires_at = now() - interval '1 s'"),
                     0);
    assert_int_equal(claim(f->db, &c), DLC_IDEM_CLAIMED); /* taken over */
    answer(f->db, "admin", "old", "y");
    assert_int_equal(dlc_idem_store_cleanup(f->conn, 100), 1); /* "older" only */
    assert_int_equal(claim(f->db, &c), DLC_IDEM_EXISTS);
    assert_int_equal(dlc_idem_store_rollback(f->db, deadline()), DLC_DB_OK);
}

static void forget_drops_the_claim(void **state)
{
    fixture *f = *state;
    dlc_idem_claim c = claim_of("user:1", "k", 4);
    assert_int_equal(claim(f->db, &c), DLC_IDEM_CLAIMED);
    char st[6] = "";
    assert_int_equal(dlc_idem_store_forget(f->db, "user:1", "k", deadline(), st), DLC_DB_OK);
    assert_int_equal(dlc_idem_store_commit(f->db, deadline()), DLC_DB_OK);
    assert_int_equal(claim(f->db, &c), DLC_IDEM_CLAIMED);
    assert_int_equal(dlc_idem_store_rollback(f->db, deadline()), DLC_DB_OK);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        DLC_TESTDB_TEST(claim_answer_replay, setup),
        DLC_TESTDB_TEST(concurrent_claim_waits_for_the_first, setup),
        DLC_TESTDB_TEST(live_keys_per_caller_are_bounded, setup),
        DLC_TESTDB_TEST(expired_keys_are_taken_over_and_cleaned, setup),
        DLC_TESTDB_TEST(forget_drops_the_claim, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
