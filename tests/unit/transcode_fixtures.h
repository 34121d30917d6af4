/*
 * Shared by the transcoding tests (test_transcode.c, test_transcode_errors.c):
 * the arena fixture and helpers over the test-only AllTypes message.
 */
#ifndef DLC_TESTS_TRANSCODE_FIXTURES_H
#define DLC_TESTS_TRANSCODE_FIXTURES_H

/* cmocka.h needs these first */
/* clang-format off */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
/* clang-format on */

#include "dlc/test/v1/types.pb-c.h"
#include "gateway/transcode.h"

#include <stdlib.h>

typedef Dlc__Test__V1__AllTypes AllTypes;
typedef Dlc__Test__V1__Inner Inner;

/* A fresh arena per test. */
static inline int setup(void **state)
{
    dlc_arena *a = malloc(sizeof *a);
    if (!a)
        return -1;
    dlc_arena_init(a, 0);
    *state = a;
    return 0;
}

static inline int teardown(void **state)
{
    dlc_arena_destroy(*state);
    free(*state);
    return 0;
}

static inline AllTypes *fresh(dlc_arena *a)
{
    AllTypes *m = (AllTypes *)dlc_transcode_new(&dlc__test__v1__all_types__descriptor, a);
    assert_non_null(m);
    return m;
}

/* Merges JSON text into m; the text must parse. */
static inline int merge(AllTypes *m, const char *text, dlc_arena *a, dlc_status *st)
{
    json_error_t err;
    json_t *j = json_loads(text, JSON_DECODE_ANY | JSON_ALLOW_NUL, &err);
    if (!j)
        fail_msg("test JSON does not parse: %s: %s", text, err.text);
    dlc_status_clear(st);
    int rc = dlc_transcode_merge_json(&m->base, j, a, st);
    json_decref(j);
    return rc;
}

static inline void merge_ok(AllTypes *m, const char *text, dlc_arena *a)
{
    dlc_status st;
    if (merge(m, text, a, &st) != 0)
        fail_msg("%s: %s", text, st.message);
}

static inline void assert_violation(const dlc_status *st, const char *field)
{
    assert_int_equal(st->code, DLC_INVALID_ARGUMENT);
    assert_string_equal(st->reason, "invalid_argument");
    assert_int_equal(st->n_violations, 1);
    assert_string_equal(st->violations[0].field, field);
    assert_true(st->violations[0].description[0] != '\0');
}

/* Sets path to text through dlc_transcode_set_text; it must succeed. */
static inline void set(AllTypes *m, const char *path, const char *text, dlc_arena *a)
{
    dlc_status st;
    dlc_status_clear(&st);
    if (dlc_transcode_set_text(&m->base, path, text, a, &st) != 0)
        fail_msg("%s=%s: %s", path, text, st.message);
}

#endif
