/* dlc_text: cutting at a UTF-8 boundary after a byte limit. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "common/text.h"

#include <stdio.h>
#include <string.h>

static void trimmed(const char *in, const char *want)
{
    char buf[64];
    assert_true(snprintf(buf, sizeof buf, "%s", in) < (int)sizeof buf);
    dlc_text_trim_utf8(buf);
    assert_string_equal(buf, want);
    assert_int_equal(dlc_text_check(buf, strlen(buf), 100, false), DLC_TEXT_OK);
}

static void cut_sequences_are_dropped(void **state)
{
    (void)state;
    trimmed("abc", "abc");
    trimmed("", "");
    trimmed("ab\xe2\x82\xac", "ab\xe2\x82\xac"); /* € whole */
    trimmed("ab\xe2\x82", "ab");                 /* € cut after 2 of 3 bytes */
    trimmed("ab\xe2", "ab");
    trimmed("\xc3\xa9\xc3", "\xc3\xa9");             /* é, then half an é */
    trimmed("x\xf0\x9f\x98\x80", "x\xf0\x9f\x98\x80"); /* 😀 whole */
    trimmed("x\xf0\x9f\x98", "x");
}

/* What snprintf leaves when 40 × € meet a 64-byte buffer. */
static void snprintf_cut_is_well_formed(void **state)
{
    (void)state;
    char euros[200] = "";
    for (int i = 0; i < 40; i++)
        strcat(euros, "\xe2\x82\xac");
    char buf[64];
    int n = snprintf(buf, sizeof buf, "unknown service %s", euros);
    assert_true(n >= (int)sizeof buf); /* cut */
    assert_int_equal(dlc_text_check(buf, strlen(buf), 100, false), DLC_TEXT_BAD_UTF8);
    dlc_text_trim_utf8(buf);
    assert_int_equal(dlc_text_check(buf, strlen(buf), 100, false), DLC_TEXT_OK);
    assert_true(strlen(buf) >= 60);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(cut_sequences_are_dropped),
        cmocka_unit_test(snprintf_cut_is_well_formed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
