/* Log lines are one JSON object each, even when cut to fit the buffer. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "common/log.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Runs one log call with stderr redirected; returns the line (static). */
static const char *capture(const char *msg, const char *key, const char *value)
{
    static char out[8192];
    int fds[2], saved = dup(STDERR_FILENO);
    assert_int_equal(pipe(fds), 0);
    dup2(fds[1], STDERR_FILENO);
    dlc_log_info(msg, key, value, "after", "x");
    dup2(saved, STDERR_FILENO);
    close(fds[1]);
    ssize_t n = read(fds[0], out, sizeof out - 1);
    close(fds[0]);
    close(saved);
    out[n > 0 ? n : 0] = '\0';
    return out;
}

/* One dlc_log_fields line with stderr redirected (static). */
static const char *capture_fields(const dlc_log_field *f, size_t n)
{
    static char out[8192];
    int fds[2], saved = dup(STDERR_FILENO);
    assert_int_equal(pipe(fds), 0);
    dup2(fds[1], STDERR_FILENO);
    dlc_log_fields(DLC_LOG_INFO, "typed", f, n);
    dup2(saved, STDERR_FILENO);
    close(fds[1]);
    ssize_t got = read(fds[0], out, sizeof out - 1);
    close(fds[0]);
    close(saved);
    out[got > 0 ? got : 0] = '\0';
    return out;
}

static json_t *parse(const char *line)
{
    assert_true(strlen(line) > 0 && line[strlen(line) - 1] == '\n');
    json_error_t err;
    json_t *j = json_loads(line, 0, &err);
    if (!j)
        fail_msg("not JSON (%s): %.200s", err.text, line);
    return j;
}

static void short_lines_are_complete(void **state)
{
    (void)state;
    json_t *j = parse(capture("hello \"quoted\" \\ back", "k", "v\n\t\x01"));
    assert_string_equal(json_string_value(json_object_get(j, "msg")), "hello \"quoted\" \\ back");
    assert_string_equal(json_string_value(json_object_get(j, "k")), "v\n\t\x01");
    assert_string_equal(json_string_value(json_object_get(j, "after")), "x");
    json_decref(j);
}

static void numbers_are_json_numbers(void **state)
{
    (void)state;
    const dlc_log_field f[] = {DLC_LOG_NUM("status", 200), DLC_LOG_NUM("duration_ms", 1.2345),
                               DLC_LOG_STR("s", NULL), DLC_LOG_NUM("bad", 0.0 / 0.0)};
    const char *line = capture_fields(f, 4);
    json_t *j = parse(line);
    assert_true(json_is_integer(json_object_get(j, "status")));
    assert_int_equal(json_integer_value(json_object_get(j, "status")), 200);
    assert_true(json_is_real(json_object_get(j, "duration_ms")));
    assert_true(json_real_value(json_object_get(j, "duration_ms")) > 1.2335 &&
                json_real_value(json_object_get(j, "duration_ms")) < 1.2355);
    assert_string_equal(json_string_value(json_object_get(j, "s")), "");
    assert_true(json_is_null(json_object_get(j, "bad")));
    json_decref(j);
}

static void long_values_are_cut_but_valid(void **state)
{
    (void)state;
    /* quotes and backslashes everywhere, so a cut may fall on an escape */
    size_t n = 10000;
    char *big = malloc(n + 1);
    for (size_t i = 0; i < n; i++)
        big[i] = "a\"\\\x02"[i % 4];
    big[n] = '\0';
    for (size_t shift = 0; shift < 8; shift++) {
        json_decref(parse(capture(big + shift, "k", "v")));
        json_t *j = parse(capture("m", "k", big + shift));
        const char *v = json_string_value(json_object_get(j, "k"));
        assert_non_null(v);
        assert_true(strlen(v) < n); /* cut */
        assert_null(json_object_get(j, "after")); /* later fields left out */
        json_decref(j);
    }
    free(big);
}

/* At most the budget a second; what was held back is told to the next line
 * that passes. */
static void repeated_lines_are_limited(void **state)
{
    (void)state;
    static dlc_log_limit limit;
    int held = -1, passed = 0, told = 0;
    assert_true(dlc_log_limit_take(&limit, 10, &held));
    assert_int_equal(held, 0); /* nothing was held back before the first */
    for (int i = 1; i < 1000; i++) {
        held = 0;
        passed += dlc_log_limit_take(&limit, 10, &held);
        told += held;
    }
    /* the loop may straddle a second boundary: at most two budgets */
    assert_in_range(passed + 1, 10, 20);
    atomic_store(&limit.second, 0); /* as if a second went by */
    assert_true(dlc_log_limit_take(&limit, 10, &held));
    assert_int_equal(told + held, 1000 - (passed + 1)); /* every line held back is told */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(short_lines_are_complete),
        cmocka_unit_test(numbers_are_json_numbers),
        cmocka_unit_test(long_values_are_cut_but_valid),
        cmocka_unit_test(repeated_lines_are_limited),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
