/*
 * dlc_reset_code: codes have the promised shape and are all different, the
 * shape check refuses anything else, and the stored digest is the SHA-256
 * of the code in hex.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
/* cmocka.h needs the four above first. */
#include <cmocka.h>

#include "rpc/core/auth/reset_code.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#define DRAWS 2000

static int cmp(const void *a, const void *b)
{
    return strcmp(a, b);
}

static void codes_have_the_shape_and_differ(void **state)
{
    (void)state;
    static char codes[DRAWS][DLC_RESET_CODE_LEN + 1];
    char digest[DLC_RESET_CODE_DIGEST_LEN + 1], again[DLC_RESET_CODE_DIGEST_LEN + 1];
    for (int i = 0; i < DRAWS; i++) {
        dlc_reset_code_new(codes[i], digest);
        assert_int_equal(strlen(codes[i]), DLC_RESET_CODE_LEN);
        assert_true(dlc_reset_code_shape_ok(codes[i]));
        assert_int_not_equal(codes[i][0], '-');
        dlc_reset_code_digest(codes[i], again);
        assert_string_equal(digest, again);
    }
    qsort(codes, DRAWS, sizeof codes[0], cmp);
    for (int i = 1; i < DRAWS; i++)
        assert_string_not_equal(codes[i - 1], codes[i]);
}

static void shape_check_refuses_the_rest(void **state)
{
    (void)state;
    assert_true(dlc_reset_code_shape_ok("AAAAAAAAAAAAAAAAAAAAAAAA"));
    assert_true(dlc_reset_code_shape_ok("a-b_c0123456789xyzXYZ-_A"));
    assert_false(dlc_reset_code_shape_ok(""));
    assert_false(dlc_reset_code_shape_ok("AAAAAAAAAAAAAAAAAAAAAAA"));   /* 23 */
    assert_false(dlc_reset_code_shape_ok("AAAAAAAAAAAAAAAAAAAAAAAAA")); /* 25 */
    assert_false(dlc_reset_code_shape_ok("AAAAAAAAAAAA AAAAAAAAAAA"));
    assert_false(dlc_reset_code_shape_ok("AAAAAAAAAAAA+AAAAAAAAAA="));
    assert_false(dlc_reset_code_shape_ok("AAAAAAAAAAAA\xc3\xa9" "AAAAAAAAAA"));
}

static void digest_is_sha256_hex(void **state)
{
    (void)state;
    char digest[DLC_RESET_CODE_DIGEST_LEN + 1];
    dlc_reset_code_digest("abc", digest);
    assert_string_equal(digest,
                        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

int main(void)
{
    if (sodium_init() < 0)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(codes_have_the_shape_and_differ),
        cmocka_unit_test(shape_check_refuses_the_rest),
        cmocka_unit_test(digest_is_sha256_hex),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
