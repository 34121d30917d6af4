/*
 * Reflection on a real dlc-rpcd: ListServices names every method the core
 * serves (the contract's, which the core must serve in full) with its types,
 * access level and write flag; GetFileDescriptorSet answers the embedded
 * contract. Under rpc.reflection "admin" (the default) only an admin token
 * may ask; under "public" anyone may.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "dlc/v1/auth.pb-c.h"
#include "dlc/v1/system.pb-c.h"
#include "rpc/runtime/contract.h"
#include "support/rpcd.h"
#include "support/testdb.h"

#include <stdio.h>
#include <string.h>

#define MASTER "reflection master password"
#define LIST "dlc.v1.SystemService/ListServices"
#define FDS "dlc.v1.SystemService/GetFileDescriptorSet"

static char g_db[64];
static dlc_test_rpcd g_admin;  /* rpc.reflection: admin (default) */
static dlc_test_rpcd g_public; /* rpc.reflection: public */
static char g_admin_bearer[2048];

/* Calls url's method as bearer (NULL: anonymously); *out on OK. */
static dlc_code call_as(const char *url, const char *bearer, const char *method,
                        const ProtobufCMessage *in, const ProtobufCMessageDescriptor *out_desc,
                        ProtobufCMessage **out)
{
    dlc_md md[] = {{"authorization", bearer}};
    dlc_status st;
    dlc_test_call_md(url, method, in, md, bearer ? 1 : 0, 5000, out_desc, out, &st);
    return st.code;
}

static int admin_login(void)
{
    Dlc__V1__AdminLoginRequest in = DLC__V1__ADMIN_LOGIN_REQUEST__INIT;
    in.master_password = MASTER;
    ProtobufCMessage *out = NULL;
    if (call_as(g_admin.tcp_url, NULL, "dlc.v1.AuthService/AdminLogin", &in.base,
                &dlc__v1__token_response__descriptor, &out) != DLC_OK)
        return -1;
    snprintf(g_admin_bearer, sizeof g_admin_bearer, "Bearer %s",
             ((Dlc__V1__TokenResponse *)out)->token);
    protobuf_c_message_free_unpacked(out, NULL);
    return 0;
}

static int setup(void **state)
{
    (void)state;
    static char *admin[] = {"DLC_AUTH_ADMIN_MASTER_PASSWORD=" MASTER,
                            "DLC_AUTH_PASSWORD_HASH_STRENGTH=min", NULL};
    static char *public[] = {"DLC_RPC_REFLECTION=public", "DLC_AUTH_PASSWORD_HASH_STRENGTH=min",
                             NULL};
    if (dlc_testdb_create(g_db, sizeof g_db) != 0 ||
        dlc_test_rpcd_start(&g_admin, g_db, admin) != 0 ||
        dlc_test_rpcd_start(&g_public, g_db, public) != 0)
        return -1;
    return admin_login();
}

static int teardown(void **state)
{
    (void)state;
    int a = dlc_test_rpcd_stop(&g_admin), b = dlc_test_rpcd_stop(&g_public);
    dlc_testdb_drop(g_db);
    return a == 0 && b == 0 ? 0 : -1;
}

static const Dlc__V1__MethodInfo *find_method(const Dlc__V1__ListServicesResponse *r,
                                              const char *service, const char *method)
{
    for (size_t i = 0; i < r->n_services; i++) {
        if (strcmp(r->services[i]->name, service) != 0)
            continue;
        for (size_t k = 0; k < r->services[i]->n_methods; k++)
            if (strcmp(r->services[i]->methods[k]->name, method) == 0)
                return r->services[i]->methods[k];
    }
    return NULL;
}

/* Every method of the contract, with its types; nothing else. */
static void assert_lists_the_contract(const Dlc__V1__ListServicesResponse *r)
{
    size_t want = 0, got = 0;
    assert_int_equal(r->n_services, dlc_contract_service_count);
    for (size_t i = 0; i < dlc_contract_service_count; i++) {
        const ProtobufCServiceDescriptor *s = dlc_contract_services[i];
        for (unsigned k = 0; k < s->n_methods; k++, want++) {
            const Dlc__V1__MethodInfo *m = find_method(r, s->name, s->methods[k].name);
            assert_non_null(m);
            assert_string_equal(m->input_type, s->methods[k].input->name);
            assert_string_equal(m->output_type, s->methods[k].output->name);
            char full[256];
            snprintf(full, sizeof full, "%s/%s", s->name, s->methods[k].name);
            assert_string_equal(m->full_name, full);
        }
    }
    for (size_t i = 0; i < r->n_services; i++)
        got += r->services[i]->n_methods;
    assert_int_equal(got, want);
}

static void list_services_as_admin(void **state)
{
    (void)state;
    Dlc__V1__ListServicesRequest in = DLC__V1__LIST_SERVICES_REQUEST__INIT;
    ProtobufCMessage *out = NULL;
    assert_int_equal(call_as(g_admin.tcp_url, g_admin_bearer, LIST, &in.base,
                             &dlc__v1__list_services_response__descriptor, &out),
                     DLC_OK);
    const Dlc__V1__ListServicesResponse *r = (const Dlc__V1__ListServicesResponse *)out;
    assert_lists_the_contract(r);
    const Dlc__V1__MethodInfo *reg = find_method(r, "dlc.v1.AuthService", "RegisterUser");
    assert_string_equal(reg->input_type, "dlc.v1.RegisterRequest");
    assert_int_equal(reg->access, DLC__V1__METHOD_INFO__ACCESS__ACCESS_PUBLIC);
    assert_true(reg->writes);
    const Dlc__V1__MethodInfo *users = find_method(r, "dlc.v1.AdminService", "ListUsers");
    assert_int_equal(users->access, DLC__V1__METHOD_INFO__ACCESS__ACCESS_ADMIN);
    assert_false(users->writes);
    assert_int_equal(find_method(r, "dlc.v1.UserService", "GetMe")->access,
                     DLC__V1__METHOD_INFO__ACCESS__ACCESS_USER);
    protobuf_c_message_free_unpacked(out, NULL);
}

/* A user token that is no admin's. */
static const char *user_bearer(void)
{
    Dlc__V1__RegisterRequest reg = DLC__V1__REGISTER_REQUEST__INIT;
    reg.username = "reflectuser";
    reg.password = "correct horse";
    assert_int_equal(call_as(g_admin.tcp_url, NULL, "dlc.v1.AuthService/RegisterUser", &reg.base,
                             NULL, NULL),
                     DLC_OK);
    Dlc__V1__LoginRequest login = DLC__V1__LOGIN_REQUEST__INIT;
    login.username = reg.username;
    login.password = reg.password;
    ProtobufCMessage *out = NULL;
    assert_int_equal(call_as(g_admin.tcp_url, NULL, "dlc.v1.AuthService/Login", &login.base,
                             &dlc__v1__token_response__descriptor, &out),
                     DLC_OK);
    static char bearer[2048];
    snprintf(bearer, sizeof bearer, "Bearer %s", ((Dlc__V1__TokenResponse *)out)->token);
    protobuf_c_message_free_unpacked(out, NULL);
    return bearer;
}

static void admin_only_unless_public(void **state)
{
    (void)state;
    Dlc__V1__ListServicesRequest list = DLC__V1__LIST_SERVICES_REQUEST__INIT;
    Dlc__V1__GetFileDescriptorSetRequest fds = DLC__V1__GET_FILE_DESCRIPTOR_SET_REQUEST__INIT;
    const char *user = user_bearer();
    assert_int_equal(call_as(g_admin.tcp_url, NULL, LIST, &list.base, NULL, NULL),
                     DLC_UNAUTHENTICATED);
    assert_int_equal(call_as(g_admin.tcp_url, NULL, FDS, &fds.base, NULL, NULL),
                     DLC_UNAUTHENTICATED);
    assert_int_equal(call_as(g_admin.tcp_url, user, LIST, &list.base, NULL, NULL),
                     DLC_PERMISSION_DENIED);
    assert_int_equal(call_as(g_admin.tcp_url, user, FDS, &fds.base, NULL, NULL),
                     DLC_PERMISSION_DENIED);
    /* public: anyone, but a token that is sent must be valid */
    ProtobufCMessage *out = NULL;
    assert_int_equal(call_as(g_public.tcp_url, NULL, LIST, &list.base,
                             &dlc__v1__list_services_response__descriptor, &out),
                     DLC_OK);
    assert_lists_the_contract((const Dlc__V1__ListServicesResponse *)out);
    protobuf_c_message_free_unpacked(out, NULL);
    assert_int_equal(call_as(g_public.tcp_url, user, FDS, &fds.base, NULL, NULL), DLC_OK);
    assert_int_equal(call_as(g_public.tcp_url, "Bearer not.a.token", LIST, &list.base, NULL, NULL),
                     DLC_UNAUTHENTICATED);
}

static bool contains(const uint8_t *data, size_t len, const char *text)
{
    size_t n = strlen(text);
    for (size_t i = 0; i + n <= len; i++)
        if (memcmp(data + i, text, n) == 0)
            return true;
    return false;
}

static void descriptor_set_is_the_contract(void **state)
{
    (void)state;
    Dlc__V1__GetFileDescriptorSetRequest in = DLC__V1__GET_FILE_DESCRIPTOR_SET_REQUEST__INIT;
    ProtobufCMessage *out = NULL;
    assert_int_equal(call_as(g_admin.tcp_url, g_admin_bearer, FDS, &in.base,
                             &dlc__v1__get_file_descriptor_set_response__descriptor, &out),
                     DLC_OK);
    const ProtobufCBinaryData *b =
        &((const Dlc__V1__GetFileDescriptorSetResponse *)out)->file_descriptor_set;
    assert_true(b->len > 1000);
    /* FileDescriptorSet.file (1), length-delimited: tag 0x0a */
    assert_int_equal(b->data[0], 0x0a);
    assert_true(contains(b->data, b->len, "dlc/v1/auth.proto"));
    assert_int_equal(b->len, dlc_contract_descriptor_set_len);
    assert_memory_equal(b->data, dlc_contract_descriptor_set, b->len);
    protobuf_c_message_free_unpacked(out, NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(list_services_as_admin),
        cmocka_unit_test(admin_only_unless_public),
        cmocka_unit_test(descriptor_set_is_the_contract),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
