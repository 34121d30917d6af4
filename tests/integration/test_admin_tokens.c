/*
 * dlc_admin_tokens against a real PostgreSQL: the generation of
 * master-password tokens moves on at a revocation and when the recorded
 * master hash is replaced, and a replacement only happens over the hash
 * the caller read (two cores noticing the same change move it on once).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
/* cmocka.h needs the four above first. */
#include <cmocka.h>

#include "common/clock.h"
#include "storage/admin_tokens.h"
#include "support/testdb.h"

typedef dlc_testdb_fixture fixture;

static int setup(void **state)
{
    return dlc_testdb_fixture_setup(state, dlc_admin_tokens_statements,
                                    dlc_admin_tokens_statement_count);
}

static int64_t generation(fixture *f)
{
    int64_t gen = -1;
    assert_int_equal(dlc_admin_tokens_generation(f->db, dlc_clock_mono_ms() + 5000, &gen),
                     DLC_DB_OK);
    return gen;
}

static void revoke_moves_the_generation_on(void **state)
{
    fixture *f = *state;
    assert_int_equal(generation(f), 0);
    assert_int_equal(dlc_admin_tokens_revoke(f->db, dlc_clock_mono_ms() + 5000), DLC_DB_OK);
    assert_int_equal(dlc_admin_tokens_revoke(f->db, dlc_clock_mono_ms() + 5000), DLC_DB_OK);
    assert_int_equal(generation(f), 2);
}

static void replace_only_over_what_was_read(void **state)
{
    fixture *f = *state;
    char hash[128], err[256];
    bool replaced = false;
    assert_int_equal(dlc_admin_tokens_read(f->conn, hash, sizeof hash, err, sizeof err), 0);
    assert_string_equal(hash, "");
    assert_int_equal(dlc_admin_tokens_replace(f->conn, "", "h1", &replaced, err, sizeof err), 0);
    assert_true(replaced);
    assert_int_equal(generation(f), 1);
    /* a second core that read "" too finds it replaced already */
    assert_int_equal(dlc_admin_tokens_replace(f->conn, "", "h1", &replaced, err, sizeof err), 0);
    assert_false(replaced);
    assert_int_equal(generation(f), 1);
    assert_int_equal(dlc_admin_tokens_read(f->conn, hash, sizeof hash, err, sizeof err), 0);
    assert_string_equal(hash, "h1");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        DLC_TESTDB_TEST(revoke_moves_the_generation_on, setup),
        DLC_TESTDB_TEST(replace_only_over_what_was_read, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
