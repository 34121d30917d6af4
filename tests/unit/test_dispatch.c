/* The method table: built from service descriptors, it must refuse any
 * disagreement with the contract and find methods by full name. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "dlc/v1/greet.pb-c.h"
#include "dlc/v1/system.pb-c.h"
#include "rpc/runtime/dispatch.h"

#include <string.h>

static dlc_code h1(dlc_call *c, const ProtobufCMessage *in, ProtobufCMessage **out)
{
    (void)c, (void)in, (void)out;
    return DLC_OK;
}

static dlc_code h2(dlc_call *c, const ProtobufCMessage *in, ProtobufCMessage **out)
{
    (void)c, (void)in, (void)out;
    return DLC_INTERNAL;
}

static const dlc_binding GREET[] = {
    {"Greet", DLC_ACCESS_PUBLIC, h1, 0},
    {"GreetV2", DLC_ACCESS_USER, h2, 0},
    {"ListHistory", DLC_ACCESS_USER, h2, 0},
};
#define N_GREET (sizeof GREET / sizeof GREET[0])
static const dlc_binding SYSTEM[] = {
    {"Check", DLC_ACCESS_PUBLIC, h1, 0},
    {"GetInfo", DLC_ACCESS_ADMIN, h2, 0},
    {"ListServices", DLC_ACCESS_PUBLIC, h1, 0},
    {"GetFileDescriptorSet", DLC_ACCESS_PUBLIC, h1, 0},
};
#define N_SYSTEM (sizeof SYSTEM / sizeof SYSTEM[0])

static void finds_methods_with_their_descriptors(void **state)
{
    (void)state;
    char err[256];
    dlc_dispatch *d = dlc_dispatch_new();
    assert_int_equal(dlc_dispatch_add_service(d, &dlc__v1__system_service__descriptor, SYSTEM,
                                              N_SYSTEM, err, sizeof err), 0);
    assert_int_equal(dlc_dispatch_add_service(d, &dlc__v1__greet_service__descriptor, GREET,
                                              N_GREET, err, sizeof err), 0);
    assert_int_equal(dlc_dispatch_count(d), N_SYSTEM + N_GREET);
    const dlc_method *m = dlc_dispatch_find(d, "dlc.v1.GreetService/GreetV2");
    assert_non_null(m);
    assert_ptr_equal(m->input, &dlc__v1__greet_request__descriptor);
    assert_ptr_equal(m->output, &dlc__v1__greet_response__descriptor);
    assert_int_equal(m->access, DLC_ACCESS_USER);
    assert_ptr_equal(m->handler, h2);
    m = dlc_dispatch_find(d, "dlc.v1.SystemService/GetInfo");
    assert_non_null(m);
    assert_int_equal(m->access, DLC_ACCESS_ADMIN);
    assert_ptr_equal(m->output, &dlc__v1__get_info_response__descriptor);
    /* near misses are unknown */
    assert_null(dlc_dispatch_find(d, "dlc.v1.GreetService/greet"));
    assert_null(dlc_dispatch_find(d, "dlc.v1.GreetService/"));
    assert_null(dlc_dispatch_find(d, "GreetService/Greet"));
    assert_null(dlc_dispatch_find(d, ""));
    /* listing is sorted, for a stable /rpc route table */
    for (size_t i = 1; i < dlc_dispatch_count(d); i++)
        assert_true(strcmp(dlc_dispatch_at(d, i - 1)->full_name,
                           dlc_dispatch_at(d, i)->full_name) < 0);
    assert_null(dlc_dispatch_at(d, N_SYSTEM + N_GREET));
    dlc_dispatch_free(d);
}

static void refuses_unbound_unknown_and_duplicate(void **state)
{
    (void)state;
    char err[256];
    dlc_dispatch *d = dlc_dispatch_new();
    /* a method of the service without a handler */
    assert_int_equal(dlc_dispatch_add_service(d, &dlc__v1__greet_service__descriptor, GREET, 1,
                                              err, sizeof err), -1);
    assert_non_null(strstr(err, "GreetV2")); /* the first method left unbound */
    /* a binding naming no method of the service */
    static const dlc_binding typo[] = {
        {"Greet", 0, h1, 0}, {"GreetV2", 0, h1, 0}, {"ListHistory", 0, h1, 0}, {"Gret", 0, h1, 0}};
    assert_int_equal(dlc_dispatch_add_service(d, &dlc__v1__greet_service__descriptor, typo, 4,
                                              err, sizeof err), -1);
    assert_non_null(strstr(err, "Gret"));
    /* a binding without a handler, and a binding given twice */
    static const dlc_binding nohandler[] = {
        {"Greet", 0, NULL, 0}, {"GreetV2", 0, h1, 0}, {"ListHistory", 0, h1, 0}};
    assert_int_equal(dlc_dispatch_add_service(d, &dlc__v1__greet_service__descriptor, nohandler,
                                              3, err, sizeof err), -1);
    static const dlc_binding twice[] = {
        {"Greet", 0, h1, 0}, {"Greet", 0, h2, 0}, {"GreetV2", 0, h1, 0}, {"ListHistory", 0, h1, 0}};
    assert_int_equal(dlc_dispatch_add_service(d, &dlc__v1__greet_service__descriptor, twice, 4,
                                              err, sizeof err), -1);
    /* the same service twice */
    assert_int_equal(dlc_dispatch_add_service(d, &dlc__v1__greet_service__descriptor, GREET,
                                              N_GREET, err, sizeof err), 0);
    assert_int_equal(dlc_dispatch_add_service(d, &dlc__v1__greet_service__descriptor, GREET,
                                              N_GREET, err, sizeof err), -1);
    assert_non_null(strstr(err, "twice"));
    dlc_dispatch_free(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(finds_methods_with_their_descriptors),
        cmocka_unit_test(refuses_unbound_unknown_and_duplicate),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
