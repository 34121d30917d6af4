/* JSON ⇄ protobuf transcoding over the test-only AllTypes message. */
#include "unit/transcode_fixtures.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- helpers (shared ones: transcode_fixtures.h) -------------------------- */

static Inner *inner(dlc_arena *a, const char *label, int32_t count)
{
    Inner *in = (Inner *)dlc_transcode_new(&dlc__test__v1__inner__descriptor, a);
    assert_non_null(in);
    in->label = (char *)label;
    in->count = count;
    return in;
}

static json_t *get(const json_t *obj, const char *key)
{
    json_t *v = json_object_get(obj, key);
    if (!v)
        fail_msg("missing key %s", key);
    return v;
}

static void assert_int_key(const json_t *obj, const char *key, long long want)
{
    json_t *v = get(obj, key);
    assert_true(json_is_integer(v));
    assert_true(json_integer_value(v) == want);
}

static void assert_str_key(const json_t *obj, const char *key, const char *want)
{
    json_t *v = get(obj, key);
    assert_true(json_is_string(v));
    assert_string_equal(json_string_value(v), want);
}

static void assert_real_key(const json_t *obj, const char *key, double want)
{
    json_t *v = get(obj, key);
    assert_true(json_is_real(v));
    assert_true(json_real_value(v) == want);
}

/* Equal messages pack to equal bytes (fields are packed in number order). */
static void assert_same_message(const AllTypes *x, const AllTypes *y)
{
    size_t nx = protobuf_c_message_get_packed_size(&x->base);
    size_t ny = protobuf_c_message_get_packed_size(&y->base);
    assert_int_equal(nx, ny);
    uint8_t *bx = malloc(nx + 1), *by = malloc(ny + 1);
    assert_non_null(bx);
    assert_non_null(by);
    protobuf_c_message_pack(&x->base, bx);
    protobuf_c_message_pack(&y->base, by);
    assert_memory_equal(bx, by, nx);
    free(bx);
    free(by);
}

static char *dump(const AllTypes *m)
{
    json_t *j = dlc_transcode_to_json(&m->base);
    assert_non_null(j);
    char *s = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(j);
    assert_non_null(s);
    return s;
}

/* ---- output and round trip -------------------------------------------------- */

static void fill_all(AllTypes *m, dlc_arena *a)
{
    static int32_t r_int32[] = {1, -2, 3};
    static char *r_string[] = {"a", "", "ünï"};
    static Dlc__Test__V1__Color r_enum[] = {DLC__TEST__V1__COLOR__GREEN, DLC__TEST__V1__COLOR__RED};
    static int64_t r_int64[] = {INT64_MIN, 0, INT64_MAX};
    static uint8_t bytes[] = {0x00, 0xfb, 0xff, 'x'};
    Inner **r_message = dlc_arena_alloc(a, 2 * sizeof *r_message);
    assert_non_null(r_message);
    r_message[0] = inner(a, "one", 1);
    r_message[1] = inner(a, "two", -2);
    m->f_double = 3.141592653589793;
    m->f_float = -0.25f;
    m->f_int32 = INT32_MIN;
    m->f_int64 = INT64_MIN;
    m->f_uint32 = UINT32_MAX;
    m->f_uint64 = UINT64_MAX;
    m->f_sint32 = INT32_MAX;
    m->f_sint64 = INT64_MAX;
    m->f_fixed32 = 7;
    m->f_fixed64 = (uint64_t)INT64_MAX;
    m->f_sfixed32 = -9;
    m->f_sfixed64 = -10;
    m->f_bool = 1;
    m->f_string = "héllo \"world\"";
    m->f_bytes = (ProtobufCBinaryData){sizeof bytes, bytes};
    m->f_enum = DLC__TEST__V1__COLOR__RED;
    m->f_message = inner(a, "in", 42);
    m->n_r_int32 = 3;
    m->r_int32 = r_int32;
    m->n_r_string = 3;
    m->r_string = r_string;
    m->n_r_message = 2;
    m->r_message = r_message;
    m->n_r_enum = 2;
    m->r_enum = r_enum;
    m->n_r_int64 = 3;
    m->r_int64 = r_int64;
    m->choice_case = DLC__TEST__V1__ALL_TYPES__CHOICE_O_INT32;
    m->o_int32 = 5;
}

static void check_all_json(const json_t *j)
{
    assert_real_key(j, "f_double", 3.141592653589793);
    assert_real_key(j, "f_float", -0.25);
    assert_int_key(j, "f_int32", INT32_MIN);
    assert_int_key(j, "f_int64", INT64_MIN);
    assert_int_key(j, "f_uint32", UINT32_MAX);
    assert_str_key(j, "f_uint64", "18446744073709551615");
    assert_int_key(j, "f_sint32", INT32_MAX);
    assert_int_key(j, "f_sint64", INT64_MAX);
    assert_int_key(j, "f_fixed32", 7);
    assert_int_key(j, "f_fixed64", INT64_MAX);
    assert_int_key(j, "f_sfixed32", -9);
    assert_int_key(j, "f_sfixed64", -10);
    assert_true(json_is_true(get(j, "f_bool")));
    assert_str_key(j, "f_string", "héllo \"world\"");
    assert_str_key(j, "f_bytes", "APv/eA==");
    assert_str_key(j, "f_enum", "RED");
    assert_str_key(get(j, "f_message"), "label", "in");
    assert_int_key(get(j, "f_message"), "count", 42);
    assert_true(json_is_array(get(get(j, "f_message"), "tags")));
    assert_int_equal(json_array_size(get(j, "r_int32")), 3);
    assert_int_equal(json_integer_value(json_array_get(get(j, "r_int32"), 1)), -2);
    assert_string_equal(json_string_value(json_array_get(get(j, "r_string"), 2)), "ünï");
    assert_int_key(json_array_get(get(j, "r_message"), 1), "count", -2);
    assert_string_equal(json_string_value(json_array_get(get(j, "r_enum"), 0)), "GREEN");
    assert_true(json_integer_value(json_array_get(get(j, "r_int64"), 0)) == INT64_MIN);
    assert_int_key(j, "o_int32", 5);
    assert_null(json_object_get(j, "o_string"));
    assert_null(json_object_get(j, "o_message"));
}

static void round_trip_every_type(void **state)
{
    dlc_arena *a = *state;
    AllTypes *m = fresh(a);
    fill_all(m, a);
    json_t *j = dlc_transcode_to_json(&m->base);
    assert_non_null(j);
    check_all_json(j);
    /* through text, as on the wire */
    char *text = json_dumps(j, JSON_COMPACT);
    json_decref(j);
    assert_non_null(text);
    AllTypes *back = fresh(a);
    merge_ok(back, text, a);
    free(text);
    assert_same_message(m, back);
    assert_int_equal(back->choice_case, DLC__TEST__V1__ALL_TYPES__CHOICE_O_INT32);
}

static void defaults_are_emitted(void **state)
{
    AllTypes *m = fresh(*state);
    json_t *j = dlc_transcode_to_json(&m->base);
    assert_non_null(j);
    assert_real_key(j, "f_double", 0);
    assert_real_key(j, "f_float", 0);
    assert_int_key(j, "f_int64", 0);
    assert_int_key(j, "f_uint64", 0);
    assert_true(json_is_false(get(j, "f_bool")));
    assert_str_key(j, "f_string", "");
    assert_str_key(j, "f_bytes", "");
    assert_str_key(j, "f_enum", "COLOR_UNSPECIFIED");
    assert_true(json_is_null(get(j, "f_message")));
    const char *repeated[] = {"r_int32", "r_string", "r_message", "r_enum", "r_int64"};
    for (size_t i = 0; i < sizeof repeated / sizeof *repeated; i++) {
        assert_true(json_is_array(get(j, repeated[i])));
        assert_int_equal(json_array_size(get(j, repeated[i])), 0);
    }
    /* no oneof member is set: none is emitted */
    assert_int_equal(json_object_size(j), 22);
    json_decref(j);
}

static void special_floats(void **state)
{
    dlc_arena *a = *state;
    AllTypes *m = fresh(a);
    m->f_double = NAN;
    m->f_float = -INFINITY;
    json_t *j = dlc_transcode_to_json(&m->base);
    assert_non_null(j);
    assert_str_key(j, "f_double", "NaN");
    assert_str_key(j, "f_float", "-Infinity");
    json_decref(j);
    AllTypes *in = fresh(a);
    merge_ok(in, "{\"f_double\": \"Infinity\", \"f_float\": \"NaN\"}", a);
    assert_true(isinf(in->f_double) && in->f_double > 0);
    assert_true(isnan(in->f_float));
    merge_ok(in, "{\"f_double\": \"-Infinity\", \"f_float\": 2}", a);
    assert_true(isinf(in->f_double) && in->f_double < 0);
    assert_true(in->f_float == 2.0f);
    merge_ok(in, "{\"f_double\": \"1.5e3\", \"f_float\": \"-0.5\"}", a);
    assert_true(in->f_double == 1500.0);
    assert_true(in->f_float == -0.5f);
}

/* ---- input ---------------------------------------------------------------------- */

static void camel_case_input(void **state)
{
    dlc_arena *a = *state;
    AllTypes *m = fresh(a);
    merge_ok(m,
             "{\"fDouble\": 1.5, \"rMessage\": [{\"label\": \"x\", \"count\": 2}],"
             " \"oString\": \"s\", \"fInt64\": \"-5\", \"f_bool\": true}",
             a);
    assert_true(m->f_double == 1.5);
    assert_int_equal(m->n_r_message, 1);
    assert_string_equal(m->r_message[0]->label, "x");
    assert_int_equal(m->r_message[0]->count, 2);
    assert_int_equal(m->choice_case, DLC__TEST__V1__ALL_TYPES__CHOICE_O_STRING);
    assert_string_equal(m->o_string, "s");
    assert_true(m->f_int64 == -5);
    assert_true(m->f_bool);
}

static void int64_extremes(void **state)
{
    dlc_arena *a = *state;
    AllTypes *m = fresh(a);
    merge_ok(m,
             "{\"f_int64\": -9223372036854775808, \"f_sint64\": 9223372036854775807,"
             " \"f_sfixed64\": \"-9223372036854775808\", \"r_int64\": [\"9223372036854775807\","
             " -1, 3.0]}",
             a);
    assert_true(m->f_int64 == INT64_MIN);
    assert_true(m->f_sint64 == INT64_MAX);
    assert_true(m->f_sfixed64 == INT64_MIN);
    assert_int_equal(m->n_r_int64, 3);
    assert_true(m->r_int64[0] == INT64_MAX);
    assert_true(m->r_int64[1] == -1);
    assert_true(m->r_int64[2] == 3);
    json_t *j = dlc_transcode_to_json(&m->base);
    assert_non_null(j);
    assert_int_key(j, "f_int64", INT64_MIN);
    assert_int_key(j, "f_sint64", INT64_MAX);
    json_decref(j);
    dlc_status st;
    assert_int_equal(merge(m, "{\"f_int64\": \"9223372036854775808\"}", a, &st), -1);
    assert_violation(&st, "f_int64");
    assert_int_equal(merge(m, "{\"f_int64\": \"-9223372036854775809\"}", a, &st), -1);
    assert_violation(&st, "f_int64");
    assert_int_equal(merge(m, "{\"f_int64\": 1e19}", a, &st), -1);
    assert_violation(&st, "f_int64");
}

static void uint64_max(void **state)
{
    dlc_arena *a = *state;
    AllTypes *m = fresh(a);
    merge_ok(m, "{\"f_uint64\": \"18446744073709551615\", \"f_fixed64\": 9223372036854775807}", a);
    assert_true(m->f_uint64 == UINT64_MAX);
    assert_true(m->f_fixed64 == (uint64_t)INT64_MAX);
    char *s = dump(m);
    assert_non_null(strstr(s, "\"f_uint64\":\"18446744073709551615\""));
    assert_non_null(strstr(s, "\"f_fixed64\":9223372036854775807"));
    free(s);
    dlc_status st;
    assert_int_equal(merge(m, "{\"f_uint64\": \"18446744073709551616\"}", a, &st), -1);
    assert_violation(&st, "f_uint64");
    assert_int_equal(merge(m, "{\"f_uint64\": \"-1\"}", a, &st), -1);
    assert_violation(&st, "f_uint64");
    assert_int_equal(merge(m, "{\"f_fixed64\": -1}", a, &st), -1);
    assert_violation(&st, "f_fixed64");
}

static void enums_by_name_and_number(void **state)
{
    dlc_arena *a = *state;
    AllTypes *m = fresh(a);
    merge_ok(m, "{\"f_enum\": \"GREEN\", \"r_enum\": [\"RED\", 2, \"1\", 7]}", a);
    assert_int_equal(m->f_enum, DLC__TEST__V1__COLOR__GREEN);
    assert_int_equal(m->n_r_enum, 4);
    assert_int_equal(m->r_enum[0], DLC__TEST__V1__COLOR__RED);
    assert_int_equal(m->r_enum[1], DLC__TEST__V1__COLOR__GREEN);
    assert_int_equal(m->r_enum[2], DLC__TEST__V1__COLOR__RED);
    assert_int_equal(m->r_enum[3], 7);
    merge_ok(m, "{\"f_enum\": 1}", a);
    assert_int_equal(m->f_enum, DLC__TEST__V1__COLOR__RED);
    /* a number without a name is emitted as the number */
    json_t *j = dlc_transcode_to_json(&m->base);
    assert_non_null(j);
    assert_str_key(j, "f_enum", "RED");
    json_t *r = get(j, "r_enum");
    assert_string_equal(json_string_value(json_array_get(r, 1)), "GREEN");
    assert_true(json_integer_value(json_array_get(r, 3)) == 7);
    json_decref(j);
}

static void bytes_base64(void **state)
{
    static const struct {
        const char *raw, *b64;
    } cases[] = {
        {"", ""},
        {"f", "Zg=="},
        {"fo", "Zm8="},
        {"foo", "Zm9v"},
        {"foob", "Zm9vYg=="},
        {"fooba", "Zm9vYmE="},
        {"\xfb\xff", "+/8="},
    };
    dlc_arena *a = *state;
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        AllTypes *m = fresh(a);
        m->f_bytes = (ProtobufCBinaryData){strlen(cases[i].raw), (uint8_t *)cases[i].raw};
        json_t *j = dlc_transcode_to_json(&m->base);
        assert_non_null(j);
        assert_str_key(j, "f_bytes", cases[i].b64);
        AllTypes *back = fresh(a);
        dlc_status st;
        assert_int_equal(dlc_transcode_merge_json(&back->base, j, a, &st), 0);
        json_decref(j);
        assert_int_equal(back->f_bytes.len, strlen(cases[i].raw));
        assert_memory_equal(back->f_bytes.data, cases[i].raw, back->f_bytes.len);
    }
    /* unpadded and URL-safe input */
    AllTypes *m = fresh(a);
    merge_ok(m, "{\"f_bytes\": \"Zg\"}", a);
    assert_int_equal(m->f_bytes.len, 1);
    assert_memory_equal(m->f_bytes.data, "f", 1);
    merge_ok(m, "{\"f_bytes\": \"-_8\"}", a);
    assert_int_equal(m->f_bytes.len, 2);
    assert_memory_equal(m->f_bytes.data, "\xfb\xff", 2);
    merge_ok(m, "{\"f_bytes\": \"Zm9vYmE\"}", a);
    assert_int_equal(m->f_bytes.len, 5);
    assert_memory_equal(m->f_bytes.data, "fooba", 5);
    const char *bad[] = {"{\"f_bytes\": \"Z\"}", "{\"f_bytes\": \"Zg=\"}",
                         "{\"f_bytes\": \"Zg===\"}", "{\"f_bytes\": \"Z g=\"}", "{\"f_bytes\": 5}"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        dlc_status st;
        assert_int_equal(merge(m, bad[i], a, &st), -1);
        assert_violation(&st, "f_bytes");
    }
}

static void oneof_emission_and_conflict(void **state)
{
    dlc_arena *a = *state;
    AllTypes *m = fresh(a);
    m->choice_case = DLC__TEST__V1__ALL_TYPES__CHOICE_O_MESSAGE;
    m->o_message = inner(a, "o", 3);
    json_t *j = dlc_transcode_to_json(&m->base);
    assert_non_null(j);
    assert_str_key(get(j, "o_message"), "label", "o");
    assert_null(json_object_get(j, "o_string"));
    assert_null(json_object_get(j, "o_int32"));
    json_decref(j);
    /* a later merge switches the case; the old message is not reused */
    merge_ok(m, "{\"o_string\": \"now a string\"}", a);
    assert_int_equal(m->choice_case, DLC__TEST__V1__ALL_TYPES__CHOICE_O_STRING);
    assert_string_equal(m->o_string, "now a string");
    merge_ok(m, "{\"oMessage\": {\"count\": 9}}", a);
    assert_int_equal(m->choice_case, DLC__TEST__V1__ALL_TYPES__CHOICE_O_MESSAGE);
    assert_int_equal(m->o_message->count, 9);
    assert_string_equal(m->o_message->label, "");
    /* null does not count as setting a member */
    merge_ok(m, "{\"o_string\": null, \"o_int32\": 4}", a);
    assert_int_equal(m->choice_case, DLC__TEST__V1__ALL_TYPES__CHOICE_O_INT32);
    assert_int_equal(m->o_int32, 4);
    dlc_status st;
    assert_int_equal(merge(m, "{\"o_string\": \"a\", \"o_int32\": 1}", a, &st), -1);
    assert_violation(&st, "o_int32");
}

static void null_keeps_value_and_merge_keeps_others(void **state)
{
    dlc_arena *a = *state;
    AllTypes *m = fresh(a);
    m->f_int32 = 5;
    merge_ok(m, "{\"f_int32\": null, \"f_message\": null, \"f_string\": \"x\"}", a);
    assert_int_equal(m->f_int32, 5);
    assert_null(m->f_message);
    assert_string_equal(m->f_string, "x");
    /* a sub-message is merged into, a repeated field replaced */
    dlc_status st;
    assert_int_equal(dlc_transcode_set_text(&m->base, "f_message.label", "url", a, &st), 0);
    assert_int_equal(dlc_transcode_set_text(&m->base, "r_int32", "1", a, &st), 0);
    merge_ok(m, "{\"f_message\": {\"count\": 3}, \"r_int32\": [7, 8]}", a);
    assert_string_equal(m->f_message->label, "url");
    assert_int_equal(m->f_message->count, 3);
    assert_int_equal(m->n_r_int32, 2);
    assert_int_equal(m->r_int32[0], 7);
    merge_ok(m, "{\"r_int32\": []}", a);
    assert_int_equal(m->n_r_int32, 0);
}

static void integer_forms(void **state)
{
    dlc_arena *a = *state;
    AllTypes *m = fresh(a);
    merge_ok(m,
             "{\"f_int32\": 3.0, \"f_uint32\": \"4294967295\", \"f_sint32\": -2147483648,"
             " \"f_fixed32\": 1e3, \"f_sfixed32\": \"-0\"}",
             a);
    assert_int_equal(m->f_int32, 3);
    assert_true(m->f_uint32 == UINT32_MAX);
    assert_true(m->f_sint32 == INT32_MIN);
    assert_int_equal(m->f_fixed32, 1000);
    assert_int_equal(m->f_sfixed32, 0);
}

/* ---- set_text ------------------------------------------------------------------- */

static void set_text_values(void **state)
{
    dlc_arena *a = *state;
    AllTypes *m = fresh(a);
    set(m, "f_int32", "42", a);
    set(m, "f_sint32", "-7", a);
    set(m, "f_int64", "-9223372036854775808", a);
    set(m, "f_uint64", "18446744073709551615", a);
    set(m, "f_bool", "true", a);
    set(m, "f_enum", "GREEN", a);
    set(m, "f_string", "hello world", a);
    set(m, "f_bytes", "Zm9v", a);
    set(m, "fDouble", "1.5", a);
    set(m, "f_float", "-Infinity", a);
    set(m, "f_message.label", "nested", a);
    set(m, "fMessage.count", "3", a);
    set(m, "f_message.tags", "t1", a);
    set(m, "f_message.tags", "t2", a);
    set(m, "r_int32", "1", a);
    set(m, "r_int32", "2", a);
    set(m, "r_enum", "1", a);
    set(m, "r_string", "s", a);
    assert_int_equal(m->f_int32, 42);
    assert_int_equal(m->f_sint32, -7);
    assert_true(m->f_int64 == INT64_MIN);
    assert_true(m->f_uint64 == UINT64_MAX);
    assert_true(m->f_bool);
    assert_int_equal(m->f_enum, DLC__TEST__V1__COLOR__GREEN);
    assert_string_equal(m->f_string, "hello world");
    assert_int_equal(m->f_bytes.len, 3);
    assert_memory_equal(m->f_bytes.data, "foo", 3);
    assert_true(m->f_double == 1.5);
    assert_true(isinf(m->f_float) && m->f_float < 0);
    assert_non_null(m->f_message);
    assert_string_equal(m->f_message->label, "nested");
    assert_int_equal(m->f_message->count, 3);
    assert_int_equal(m->f_message->n_tags, 2);
    assert_string_equal(m->f_message->tags[1], "t2");
    assert_int_equal(m->n_r_int32, 2);
    assert_int_equal(m->r_int32[0], 1);
    assert_int_equal(m->r_int32[1], 2);
    assert_int_equal(m->n_r_enum, 1);
    assert_int_equal(m->r_enum[0], DLC__TEST__V1__COLOR__RED);
    assert_string_equal(m->r_string[0], "s");
    set(m, "f_bool", "0", a);
    assert_false(m->f_bool);
    set(m, "f_enum", "2", a);
    assert_int_equal(m->f_enum, DLC__TEST__V1__COLOR__GREEN);
    /* oneof: a nested path selects the message member */
    set(m, "o_string", "s", a);
    set(m, "o_message.label", "om", a);
    assert_int_equal(m->choice_case, DLC__TEST__V1__ALL_TYPES__CHOICE_O_MESSAGE);
    assert_string_equal(m->o_message->label, "om");
    set(m, "o_int32", "5", a);
    assert_int_equal(m->choice_case, DLC__TEST__V1__ALL_TYPES__CHOICE_O_INT32);
    assert_int_equal(m->o_int32, 5);
}

/* ---- names ---------------------------------------------------------------------- */

static void camel_names(void **state)
{
    (void)state;
    static const struct {
        const char *in, *out;
    } cases[] = {
        {"name", "name"},
        {"page_size", "pageSize"},
        {"f_int32", "fInt32"},
        {"r_message", "rMessage"},
        {"a_b_c", "aBC"},
        {"foo__bar", "fooBar"},
        {"_foo", "Foo"},
        {"foo_", "foo"},
        {"item_2", "item2"},
        {"already_Up", "alreadyUp"},
        {"", ""},
    };
    char buf[32];
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        dlc_transcode_camel(cases[i].in, buf, sizeof buf);
        assert_string_equal(buf, cases[i].out);
    }
    /* out is cut to len - 1 characters */
    dlc_transcode_camel("page_size", buf, 5);
    assert_string_equal(buf, "page");
    buf[0] = 'x';
    dlc_transcode_camel("page_size", buf, 1);
    assert_string_equal(buf, "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(round_trip_every_type, setup, teardown),
        cmocka_unit_test_setup_teardown(defaults_are_emitted, setup, teardown),
        cmocka_unit_test_setup_teardown(special_floats, setup, teardown),
        cmocka_unit_test_setup_teardown(camel_case_input, setup, teardown),
        cmocka_unit_test_setup_teardown(int64_extremes, setup, teardown),
        cmocka_unit_test_setup_teardown(uint64_max, setup, teardown),
        cmocka_unit_test_setup_teardown(enums_by_name_and_number, setup, teardown),
        cmocka_unit_test_setup_teardown(bytes_base64, setup, teardown),
        cmocka_unit_test_setup_teardown(oneof_emission_and_conflict, setup, teardown),
        cmocka_unit_test_setup_teardown(null_keeps_value_and_merge_keeps_others, setup, teardown),
        cmocka_unit_test_setup_teardown(integer_forms, setup, teardown),
        cmocka_unit_test_setup_teardown(set_text_values, setup, teardown),
        cmocka_unit_test(camel_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
