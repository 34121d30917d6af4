/*
 * dlc_percent_decode: paths keep '+', queries read it as a space; bad or
 * truncated escapes and %00 are refused; decoding in place works.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
/* cmocka.h needs the four above first. */
#include <cmocka.h>

#include "gateway/percent.h"

#include <string.h>

static const char *decode(const char *in, bool form, long *n)
{
    static char out[256];
    *n = dlc_percent_decode(in, strlen(in), out, form);
    out[*n < 0 ? 0 : *n] = '\0';
    return out;
}

static void decodes_escapes_and_plus(void **state)
{
    (void)state;
    long n;
    assert_string_equal(decode("a%20b+c", false, &n), "a b+c");
    assert_string_equal(decode("a%20b+c", true, &n), "a b c");
    assert_string_equal(decode("%E2%82%ac", true, &n), "\xe2\x82\xac");
    assert_int_equal(n, 3);
    assert_string_equal(decode("", true, &n), "");
    assert_int_equal(n, 0);
}

static void refuses_bad_escapes(void **state)
{
    (void)state;
    long n;
    const char *bad[] = {"%", "%2", "a%zz", "%0g", "%00", "x%00y"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        decode(bad[i], true, &n);
        assert_int_equal(n, -1);
    }
}

static void decodes_in_place(void **state)
{
    (void)state;
    char s[] = "k%3Dv+w";
    long n = dlc_percent_decode(s, strlen(s), s, true);
    assert_int_equal(n, 5);
    s[n] = '\0';
    assert_string_equal(s, "k=v w");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(decodes_escapes_and_plus),
        cmocka_unit_test(refuses_bad_escapes),
        cmocka_unit_test(decodes_in_place),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
