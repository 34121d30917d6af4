/* The wire codec and the status model, without sockets. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "rpc/runtime/envelope.h"

#include <stdalign.h>
#include <stdio.h>
#include <string.h>

static void request_round_trip(void **state)
{
    (void)state;
    dlc_md md[] = {{"authorization", "Bearer x"}, {"x-client-ip", "10.0.0.1"}};
    nng_msg *msg;
    assert_int_equal(dlc_envelope_pack_request("dlc.v1.GreetService/Greet", "\x0a\x03" "ann", 5,
                                               md, 2, 250, "rid-1", &msg),
                     0);
    dlc_arena arena;
    dlc_arena_init(&arena, 0);
    dlc_status st;
    dlc_status_clear(&st);
    Dlc__Rpc__V1__Request *req =
        dlc_envelope_decode_request(&arena, nng_msg_body(msg), nng_msg_len(msg), 0, &st);
    assert_non_null(req);
    assert_string_equal(req->method, "dlc.v1.GreetService/Greet");
    assert_int_equal(req->payload.len, 5);
    assert_memory_equal(req->payload.data, "\x0a\x03" "ann", 5);
    assert_int_equal(req->timeout_ms, 250);
    assert_string_equal(req->request_id, "rid-1");
    assert_string_equal(dlc_envelope_md_get(req->metadata, req->n_metadata, "X-Client-IP"),
                        "10.0.0.1");
    assert_null(dlc_envelope_md_get(req->metadata, req->n_metadata, "traceparent"));
    nng_msg_free(msg);
    dlc_arena_destroy(&arena);
}

static void response_carries_status_and_payload_only_when_ok(void **state)
{
    (void)state;
    dlc_status st;
    dlc_status_clear(&st);
    dlc_status_set(&st, DLC_INVALID_ARGUMENT, NULL, "bad %s", "name");
    dlc_status_violation(&st, "name", "too long");
    st.retry_after_ms = 1500;
    dlc_md md[] = {{"x-cache", "MISS"}};
    nng_msg *msg;
    assert_int_equal(dlc_envelope_pack_response(&st, "xyz", 3, md, 1, "rid", &msg), 0);
    Dlc__Rpc__V1__Response *r = dlc_envelope_decode_response(nng_msg_body(msg), nng_msg_len(msg));
    assert_non_null(r);
    assert_int_equal(r->payload.len, 0); /* not OK: no payload */
    dlc_status back;
    dlc_status_from_proto(&back, r->status);
    assert_int_equal(back.code, DLC_INVALID_ARGUMENT);
    assert_string_equal(back.reason, "invalid_argument");
    assert_string_equal(back.message, "bad name");
    assert_int_equal(back.n_violations, 1);
    assert_string_equal(back.violations[0].field, "name");
    assert_int_equal(back.retry_after_ms, 1500);
    assert_string_equal(r->request_id, "rid");
    assert_string_equal(r->metadata[0]->value, "MISS");
    dlc__rpc__v1__response__free_unpacked(r, NULL);
    nng_msg_free(msg);

    dlc_status_clear(&st);
    assert_int_equal(dlc_envelope_pack_response(&st, "xyz", 3, NULL, 0, NULL, &msg), 0);
    r = dlc_envelope_decode_response(nng_msg_body(msg), nng_msg_len(msg));
    assert_int_equal(r->payload.len, 3);
    dlc__rpc__v1__response__free_unpacked(r, NULL);
    nng_msg_free(msg);
}

static void garbage_and_oversize_are_invalid_argument(void **state)
{
    (void)state;
    static const struct {
        const char *bytes;
        size_t len;
    } bad[] = {
        {"\xff\xff\xff\xff", 4},          /* invalid tag */
        {"\x0a\x10" "abc", 5},            /* length beyond the buffer */
        {"", 0},                          /* decodes, but names no method */
        {"\x12\x02" "hi", 4},             /* payload without method */
        {"\x0a\x05" "hello\x1a", 8},      /* truncated metadata */
    };
    dlc_arena arena;
    dlc_arena_init(&arena, 0);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        dlc_status st;
        dlc_status_clear(&st);
        assert_null(dlc_envelope_decode_request(&arena, bad[i].bytes, bad[i].len, 0, &st));
        assert_int_equal(st.code, DLC_INVALID_ARGUMENT);
    }
    char big[100] = {0};
    dlc_status st;
    dlc_status_clear(&st);
    assert_null(dlc_envelope_decode_request(&arena, big, sizeof big, 64, &st));
    assert_string_equal(st.reason, "message_too_large");
    dlc_arena_destroy(&arena);
}

static void code_names_round_trip(void **state)
{
    (void)state;
    for (int c = 0; c <= 16; c++) {
        dlc_code back;
        assert_int_equal(dlc_code_from_name(dlc_code_name((dlc_code)c), &back), 0);
        assert_int_equal(back, c);
    }
    assert_string_equal(dlc_code_name(DLC_RESOURCE_EXHAUSTED), "resource_exhausted");
    assert_string_equal(dlc_code_name((dlc_code)99), "unknown");
    dlc_code out;
    assert_int_equal(dlc_code_from_name("nope", &out), -1);
}

static void violations_are_bounded(void **state)
{
    (void)state;
    dlc_status st;
    dlc_status_clear(&st);
    for (int i = 0; i < DLC_STATUS_MAX_VIOLATIONS + 5; i++)
        dlc_status_violation(&st, "f", "d%d", i);
    assert_int_equal(st.n_violations, DLC_STATUS_MAX_VIOLATIONS);
}

static void arena_survives_large_and_many_allocations(void **state)
{
    (void)state;
    dlc_arena a;
    dlc_arena_init(&a, 256);
    for (int round = 0; round < 3; round++) {
        char *first = dlc_arena_printf(&a, "item-%d", 0);
        for (int i = 1; i < 1000; i++) {
            char want[16];
            snprintf(want, sizeof want, "item-%d", i);
            assert_string_equal(dlc_arena_printf(&a, "item-%d", i), want);
        }
        assert_string_equal(first, "item-0"); /* earlier chunks stay valid */
        unsigned char *big = dlc_arena_alloc(&a, 100000);
        memset(big, 0xab, 100000);
        assert_int_equal(((uintptr_t)dlc_arena_alloc(&a, 3)) % alignof(max_align_t), 0);
        dlc_arena_reset(&a);
    }
    dlc_arena_destroy(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(request_round_trip),
        cmocka_unit_test(response_carries_status_and_payload_only_when_ok),
        cmocka_unit_test(garbage_and_oversize_are_invalid_argument),
        cmocka_unit_test(code_names_round_trip),
        cmocka_unit_test(violations_are_bounded),
        cmocka_unit_test(arena_survives_large_and_many_allocations),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
