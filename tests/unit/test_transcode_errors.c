/* JSON ⇄ protobuf transcoding: malformed input and set_text errors. */
#include "unit/transcode_fixtures.h"

#include <string.h>

/* ---- malformed JSON ------------------------------------------------------------ */

/* Each malformed input names the field it is about. */
static void malformed_inputs(void **state)
{
    static const struct {
        const char *json, *field;
    } cases[] = {
        {"{\"f_int32\": \"x\"}", "f_int32"},
        {"{\"f_int32\": 3000000000}", "f_int32"},
        {"{\"f_int32\": -2147483649}", "f_int32"},
        {"{\"f_int32\": 3.5}", "f_int32"},
        {"{\"f_int32\": \" 1\"}", "f_int32"},
        {"{\"f_int32\": \"+1\"}", "f_int32"},
        {"{\"f_int32\": true}", "f_int32"},
        {"{\"f_int32\": [1]}", "f_int32"},
        {"{\"f_uint32\": -1}", "f_uint32"},
        {"{\"f_uint32\": 4294967296}", "f_uint32"},
        {"{\"f_int64\": \"12x\"}", "f_int64"},
        {"{\"f_int64\": \"\"}", "f_int64"},
        {"{\"f_bool\": 1}", "f_bool"},
        {"{\"f_bool\": \"true\"}", "f_bool"},
        {"{\"f_enum\": \"BLUE\"}", "f_enum"},
        {"{\"f_enum\": 2147483648}", "f_enum"},
        {"{\"f_enum\": true}", "f_enum"},
        {"{\"f_message\": 5}", "f_message"},
        {"{\"f_message\": {\"nope\": 1}}", "f_message.nope"},
        {"{\"f_message\": {\"tags\": [\"a\", 1]}}", "f_message.tags[1]"},
        {"{\"r_int32\": [1, \"a\"]}", "r_int32[1]"},
        {"{\"r_int32\": [1, null]}", "r_int32[1]"},
        {"{\"r_int32\": 5}", "r_int32"},
        {"{\"r_message\": [{\"count\": \"x\"}]}", "r_message[0].count"},
        {"{\"r_message\": [{}, 3]}", "r_message[1]"},
        {"{\"r_enum\": [\"RED\", \"BLUE\"]}", "r_enum[1]"},
        {"{\"nope\": 1}", "nope"},
        {"{\"F_int32\": 1}", "F_int32"},
        {"{\"fint32\": 1}", "fint32"},
        {"{\"f_bytes\": \"!!!\"}", "f_bytes"},
        {"{\"f_string\": 5}", "f_string"},
        {"{\"f_string\": null, \"r_string\": [\"a\\u0000b\"]}", "r_string[0]"},
        {"{\"f_string\": \"a\\u0000b\"}", "f_string"},
        {"{\"f_float\": \"abc\"}", "f_float"},
        {"{\"f_float\": 1e39}", "f_float"},
        {"{\"f_float\": \"inf\"}", "f_float"},
        {"{\"f_double\": true}", "f_double"},
        {"{\"f_double\": \"1e999\"}", "f_double"},
        {"[1, 2]", ""},
        {"\"text\"", ""},
        {"{\"o_string\": \"a\", \"o_int32\": 1}", "o_int32"},
        {"{\"o_message\": {}, \"oString\": \"a\"}", "oString"},
        {"{\"f_int32\": 1, \"fInt32\": 2}", "fInt32"},
    };
    dlc_arena *a = *state;
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        AllTypes *m = fresh(a);
        dlc_status st;
        if (merge(m, cases[i].json, a, &st) != -1)
            fail_msg("accepted: %s", cases[i].json);
        if (st.n_violations != 1 || strcmp(st.violations[0].field, cases[i].field))
            fail_msg("%s: violation on \"%s\", want \"%s\"", cases[i].json,
                     st.n_violations ? st.violations[0].field : "(none)", cases[i].field);
        assert_violation(&st, cases[i].field);
    }
}

static void error_replaces_earlier_status(void **state)
{
    dlc_arena *a = *state;
    AllTypes *m = fresh(a);
    dlc_status st;
    dlc_status_clear(&st);
    dlc_status_violation(&st, "stale", "left over");
    json_t *j = json_pack("{s:s}", "f_bool", "x");
    assert_non_null(j);
    assert_int_equal(dlc_transcode_merge_json(&m->base, j, a, &st), -1);
    json_decref(j);
    assert_violation(&st, "f_bool");
    assert_non_null(strstr(st.message, "f_bool"));
    j = json_array();
    assert_int_equal(dlc_transcode_merge_json(&m->base, j, a, &st), -1);
    json_decref(j);
    assert_violation(&st, "");
    assert_string_equal(st.message, "body must be a JSON object");
}

/* ---- set_text ------------------------------------------------------------------- */

static void set_text_errors(void **state)
{
    static const struct {
        const char *path, *text;
    } cases[] = {
        {"nope", "1"},
        {"f_int32", "abc"},
        {"f_int32", "3000000000"},
        {"f_int32", ""},
        {"f_int32", "1.0"},
        {"f_uint32", "-1"},
        {"f_bool", "yes"},
        {"f_enum", "BLUE"},
        {"f_message", "x"},
        {"f_int32.x", "1"},
        {"r_message.label", "x"},
        {"f_message.nope", "1"},
        {"f_float", "1e39"},
        {"f_double", "abc"},
        {"f_bytes", "!!"},
        {"r_int32", "x"},
        {"", "1"},
        {"f_message.", "1"},
    };
    dlc_arena *a = *state;
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        AllTypes *m = fresh(a);
        dlc_status st;
        dlc_status_clear(&st);
        if (dlc_transcode_set_text(&m->base, cases[i].path, cases[i].text, a, &st) != -1)
            fail_msg("accepted %s=%s", cases[i].path, cases[i].text);
        assert_violation(&st, cases[i].path);
    }
    /* a failed append leaves the array as it was */
    AllTypes *m = fresh(a);
    set(m, "r_int32", "1", a);
    dlc_status st;
    assert_int_equal(dlc_transcode_set_text(&m->base, "r_int32", "x", a, &st), -1);
    assert_int_equal(m->n_r_int32, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(malformed_inputs, setup, teardown),
        cmocka_unit_test_setup_teardown(error_replaces_earlier_status, setup, teardown),
        cmocka_unit_test_setup_teardown(set_text_errors, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
