/*
 * A real dlc-rpcd on a real PostgreSQL, driven over nng with raw envelopes.
 * Every test ends by checking that the server still answers.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "common/clock.h"
#include "dlc/v1/admin.pb-c.h"
#include "dlc/v1/auth.pb-c.h"
#include "dlc/v1/greet.pb-c.h"
#include "dlc/v1/user.pb-c.h"
#include "dlc/v1/system.pb-c.h"
#include "dlc/client.h"
#include "support/rpcd.h"
#include "support/testdb.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <nng/nng.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#define MAX_MSG 65536

static char g_db[64];
static dlc_test_rpcd g_core;   /* api.v2_enabled = true */
static dlc_test_rpcd g_core_v1; /* defaults (v2 disabled), greet limited to burst 3, 1/min,
                                  x-client-ip believed from ipc peers only */

static int setup(void **state)
{
    (void)state;
    static char *v2[] = {"DLC_API_V2_ENABLED=true", "DLC_RPC_MAX_MESSAGE_BYTES=65536",
                         "DLC_RPC_WORKERS=4", "DLC_AUTH_PASSWORD_HASH_STRENGTH=min", NULL};
    if (dlc_testdb_create(g_db, sizeof g_db) != 0 || dlc_test_rpcd_start(&g_core, g_db, v2) != 0)
        return -1;
    static char *limited[] = {"DLC_RATELIMIT_ENABLED=true", "DLC_RATELIMIT_BURST_SIZE=3",
                              "DLC_RATELIMIT_REQUESTS_PER_MINUTE=1", "DLC_RPC_TRUSTED_PEERS=ipc",
                              NULL};
    return dlc_test_rpcd_start(&g_core_v1, g_db, limited);
}

static int teardown(void **state)
{
    (void)state;
    int a = dlc_test_rpcd_stop(&g_core);
    int b = dlc_test_rpcd_stop(&g_core_v1);
    dlc_testdb_drop(g_db);
    if (a != 0 || b != 0)
        fprintf(stderr, "dlc-rpcd exit codes after SIGTERM: %d %d (want 0)\n", a, b);
    return a == 0 && b == 0 ? 0 : -1;
}

/* Greet(name) on url; returns the message (static buffer) or NULL with *st. */
static const char *greet(const char *url, const char *method, const char *name, dlc_status *st)
{
    static __thread char msg[512];
    Dlc__V1__GreetRequest in = DLC__V1__GREET_REQUEST__INIT;
    in.name = (char *)name;
    ProtobufCMessage *out;
    dlc_test_call(url, method, &in.base, 0, 5000, &dlc__v1__greet_response__descriptor, &out, st);
    if (!out)
        return NULL;
    snprintf(msg, sizeof msg, "%s", ((Dlc__V1__GreetResponse *)out)->message);
    protobuf_c_message_free_unpacked(out, NULL);
    return msg;
}

#define GREET "dlc.v1.GreetService/Greet"
#define GREET_V2 "dlc.v1.GreetService/GreetV2"

static void assert_still_serving(void)
{
    dlc_status st;
    const char *m = greet(g_core.tcp_url, GREET, "still", &st);
    assert_non_null(m);
    assert_string_equal(m, "Hello still!");
}

static void greet_v1_over_tcp_and_ipc(void **state)
{
    (void)state;
    dlc_status st;
    const char *urls[] = {g_core.tcp_url, g_core.ipc_url};
    for (int i = 0; i < 2; i++) {
        assert_string_equal(greet(urls[i], GREET, "ann", &st), "Hello ann!");
        assert_string_equal(greet(urls[i], GREET, "", &st), "Hello world!");
    }
    assert_still_serving();
}

static void greet_v2_enabled_and_disabled(void **state)
{
    (void)state;
    dlc_status st;
    assert_string_equal(greet(g_core.tcp_url, GREET_V2, "bob", &st), "Hello my friend bob!");
    assert_string_equal(greet(g_core.tcp_url, GREET_V2, "", &st), "Hello my friend!");
    assert_null(greet(g_core_v1.tcp_url, GREET_V2, "bob", &st));
    assert_int_equal(st.code, DLC_NOT_FOUND);
    assert_string_equal(st.reason, "not_found");
    assert_string_equal(st.message, "v2 API is currently disabled");
    /* v1 is unaffected by the switch */
    assert_string_equal(greet(g_core_v1.tcp_url, GREET, "bob", &st), "Hello bob!");
    assert_still_serving();
}

static void assert_bad_name(const char *method, const char *name)
{
    dlc_status st;
    assert_null(greet(g_core.tcp_url, method, name, &st));
    assert_int_equal(st.code, DLC_INVALID_ARGUMENT);
    assert_int_equal(st.n_violations, 1);
    assert_string_equal(st.violations[0].field, "name");
}

static void greet_name_validation(void **state)
{
    (void)state;
    char name[512];
    dlc_status st;
    memset(name, 'a', 100);
    name[100] = '\0';
    assert_non_null(greet(g_core.tcp_url, GREET, name, &st)); /* 100 is the limit */
    name[100] = 'a', name[101] = '\0';
    assert_bad_name(GREET, name);
    assert_bad_name(GREET_V2, name);
    for (int i = 0; i < 100; i++)
        memcpy(name + 2 * i, "\xc3\xa9", 2); /* é: 100 characters, 200 bytes */
    name[200] = '\0';
    assert_non_null(greet(g_core.tcp_url, GREET, name, &st));
    assert_string_equal(greet(g_core.tcp_url, GREET, "Zoë 🙂", &st), "Hello Zoë 🙂!");
    assert_bad_name(GREET, "tab\there");
    assert_bad_name(GREET, "bell\a");
    assert_bad_name(GREET, "bad\xff utf8");
    assert_bad_name(GREET, "overlong \xc0\xaf");
    assert_bad_name(GREET, "surrogate \xed\xa0\x80");
    assert_still_serving();
}

static void unknown_method_is_unimplemented(void **state)
{
    (void)state;
    dlc_status st;
    const char *methods[] = {"dlc.v1.GreetService/Nope", "nope", "dlc.v1.Nope/Greet"};
    for (int i = 0; i < 3; i++) {
        assert_null(greet(g_core.tcp_url, methods[i], "x", &st));
        assert_int_equal(st.code, DLC_UNIMPLEMENTED);
        assert_string_equal(st.reason, "unknown_method");
    }
    assert_still_serving();
}

/* Sends raw bytes, expects a decodable Response with code. */
static void assert_raw_answer(const void *frame, size_t len, dlc_code code, const char *reason)
{
    void *buf;
    size_t blen;
    assert_int_equal(dlc_test_raw(g_core.tcp_url, frame, len, 5000, &buf, &blen), 0);
    Dlc__Rpc__V1__Response *r = dlc_envelope_decode_response(buf, blen);
    nng_free(buf, blen);
    assert_non_null(r);
    dlc_status st;
    dlc_status_from_proto(&st, r->status);
    dlc__rpc__v1__response__free_unpacked(r, NULL);
    assert_int_equal(st.code, code);
    assert_string_equal(st.reason, reason);
}

static void garbage_is_invalid_argument(void **state)
{
    (void)state;
    assert_raw_answer("\xff\xff\xff\xff\xff", 5, DLC_INVALID_ARGUMENT, "malformed_request");
    assert_raw_answer("hello, world", 12, DLC_INVALID_ARGUMENT, "malformed_request");
    assert_raw_answer("", 0, DLC_INVALID_ARGUMENT, "malformed_request");
    /* a valid envelope whose payload is not a GreetRequest */
    nng_msg *m;
    dlc_envelope_pack_request(GREET, "\x0a\xff\xff", 3, NULL, 0, 0, NULL, &m);
    assert_raw_answer(nng_msg_body(m), nng_msg_len(m), DLC_INVALID_ARGUMENT, "malformed_payload");
    nng_msg_free(m);
    assert_still_serving();
}

/* Speaks SP over TCP by hand (nng's own client can hang in nng_close with a
 * large send unfinished): REQ handshake, then a frame header declaring
 * `declared` bytes followed by a little data. True when the server closes
 * the connection within 3 s, without waiting for the rest. */
static bool server_drops_frame(const char *tcp_url, uint64_t declared)
{
    int port = atoi(strrchr(tcp_url, ':') + 1);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    struct timeval tv = {3, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    unsigned char hello[8] = {0, 'S', 'P', 0, 0, 48 /* REQ */, 0, 0}, peer[8];
    bool ok = connect(fd, (struct sockaddr *)&a, sizeof a) == 0 &&
              write(fd, hello, 8) == 8 && read(fd, peer, 8) == 8 && peer[5] == 49 /* REP */;
    unsigned char frame[8 + 64] = {0};
    for (int i = 0; i < 8; i++)
        frame[i] = (unsigned char)(declared >> (56 - 8 * i));
    ok = ok && write(fd, frame, sizeof frame) == (ssize_t)sizeof frame;
    char buf[64];
    ok = ok && read(fd, buf, sizeof buf) <= 0 && errno != EAGAIN; /* closed, not timed out */
    close(fd);
    return ok;
}

static void oversized_frames_are_refused_without_harm(void **state)
{
    (void)state;
    /* Just over the limit: read, and answered. */
    size_t len = MAX_MSG + 100;
    char *frame = calloc(1, len);
    assert_raw_answer(frame, len, DLC_INVALID_ARGUMENT, "message_too_large");
    free(frame);
    /* Far over it (here 4 GiB): nng drops the connection on the header. */
    errno = 0;
    assert_true(server_drops_frame(g_core.tcp_url, 4ull << 30));
    assert_still_serving();
}

typedef struct client_job client_job;
/* One greeting through some client; returns the message (caller frees) or NULL. */
typedef char *(*greeter)(client_job *job, const char *name);

struct client_job {
    int index;
    int ok;
    greeter fn;
    dlc_client *shared;
};

#define ROUNDS 20

static char *raw_greeter(client_job *job, const char *name)
{
    dlc_status st;
    const char *got = greet(job->index % 2 ? g_core.ipc_url : g_core.tcp_url, GREET, name, &st);
    return got ? strdup(got) : NULL;
}

static char *pooled_greeter(client_job *job, const char *name)
{
    Dlc__V1__GreetRequest in = DLC__V1__GREET_REQUEST__INIT;
    in.name = (char *)name;
    dlc_client_request rq = {.method = GREET, .input = &in.base};
    dlc_client_reply reply;
    dlc_client_call(job->shared, &rq, &reply);
    Dlc__V1__GreetResponse *out = (Dlc__V1__GreetResponse *)dlc_client_reply_unpack(
        &reply, &dlc__v1__greet_response__descriptor);
    char *msg = out ? strdup(out->message) : NULL;
    if (out)
        protobuf_c_message_free_unpacked(&out->base, NULL);
    dlc_client_reply_free(&reply);
    return msg;
}

/* Each client greets its own names and counts the answers that are its own. */
static void *client_main(void *arg)
{
    client_job *job = arg;
    for (int i = 0; i < ROUNDS; i++) {
        char name[32], want[48];
        snprintf(name, sizeof name, "c%d-r%d", job->index, i);
        snprintf(want, sizeof want, "Hello %s!", name);
        char *got = job->fn(job, name);
        job->ok += got && strcmp(got, want) == 0;
        free(got);
    }
    return NULL;
}

static void run_clients(greeter fn, dlc_client *shared)
{
    enum { N = 32 };
    pthread_t t[N];
    client_job jobs[N];
    for (int i = 0; i < N; i++) {
        jobs[i] = (client_job){.index = i, .fn = fn, .shared = shared};
        pthread_create(&t[i], NULL, client_main, &jobs[i]);
    }
    for (int i = 0; i < N; i++) {
        pthread_join(t[i], NULL);
        assert_int_equal(jobs[i].ok, ROUNDS);
    }
}

static void concurrent_clients_get_their_own_answers(void **state)
{
    (void)state;
    run_clients(raw_greeter, NULL);
    const char *urls[] = {g_core.tcp_url};
    dlc_client_opts o = {.urls = urls, .n_urls = 1, .max_contexts = 8};
    dlc_client *c;
    char err[256];
    assert_int_equal(dlc_client_open(&o, &c, err, sizeof err), 0);
    run_clients(pooled_greeter, c); /* 32 threads share 8 contexts */
    dlc_client_close(c);
    assert_still_serving();
}

/* Greet with x-client-ip (NULL: none); returns the status code. */
static dlc_code greet_from(const char *url, const char *client_ip, dlc_status *st)
{
    Dlc__V1__GreetRequest in = DLC__V1__GREET_REQUEST__INIT;
    in.name = "limit";
    dlc_md md[] = {{"x-client-ip", client_ip}};
    dlc_test_call_md(url, GREET, &in.base, md, client_ip ? 1 : 0, 5000, NULL, NULL, st);
    return st->code;
}

/* A direct caller without x-client-ip is keyed by its connection's peer;
 * each client IP a trusted peer forwards has a budget of its own, an IPv6
 * client one per /64. */
static void greet_is_rate_limited_per_client(void **state)
{
    (void)state;
    dlc_status st;
    const char *ipc = g_core_v1.ipc_url;
    for (int i = 0; i < 3; i++)
        assert_int_equal(greet_from(ipc, NULL, &st), DLC_OK);
    assert_int_equal(greet_from(ipc, NULL, &st), DLC_RESOURCE_EXHAUSTED);
    assert_string_equal(dlc_status_reason(&st), "rate_limited");
    assert_true(st.retry_after_ms > 0 && st.retry_after_ms <= 60000);
    for (int i = 0; i < 3; i++)
        assert_int_equal(greet_from(ipc, "203.0.113.7", &st), DLC_OK);
    assert_int_equal(greet_from(ipc, "203.0.113.7", &st), DLC_RESOURCE_EXHAUSTED);
    assert_int_equal(greet_from(ipc, "203.0.113.8", &st), DLC_OK);
    for (int i = 0; i < 3; i++)
        assert_int_equal(greet_from(ipc, "2001:db8:0:1::1", &st), DLC_OK);
    assert_int_equal(greet_from(ipc, "2001:db8:0:1:ffff::9", &st), DLC_RESOURCE_EXHAUSTED);
    assert_int_equal(greet_from(ipc, "2001:db8:0:2::1", &st), DLC_OK);
}

/* Whoever may connect to the ipc socket is believed about x-client-ip:
 * the socket file is the owner's and the group's only. */
static void ipc_socket_is_not_world_writable(void **state)
{
    (void)state;
    struct stat st;
    assert_int_equal(stat(g_core.ipc_url + strlen("ipc://"), &st), 0);
    assert_int_equal(st.st_mode & 0777, 0660);
}

/* What an untrusted peer says in x-client-ip is ignored: it is keyed by its
 * connection, whatever address it names. */
static void untrusted_peers_cannot_pick_their_key(void **state)
{
    (void)state;
    dlc_status st;
    char ip[32];
    int ok = 0;
    for (int i = 0; i < 6; i++) {
        snprintf(ip, sizeof ip, "198.51.100.%d", i + 1);
        ok += greet_from(g_core_v1.tcp_url, ip, &st) == DLC_OK;
    }
    assert_true(ok <= 3);
    assert_int_equal(greet_from(g_core_v1.tcp_url, "198.51.100.99", &st), DLC_RESOURCE_EXHAUSTED);
}

static void health_check_and_info(void **state)
{
    (void)state;
    Dlc__V1__HealthCheckRequest in = DLC__V1__HEALTH_CHECK_REQUEST__INIT;
    ProtobufCMessage *out;
    dlc_status st;
    in.service = "dlc.v1.GreetService";
    dlc_test_call(g_core.tcp_url, "dlc.v1.SystemService/Check", &in.base, 0, 5000,
                  &dlc__v1__health_check_response__descriptor, &out, &st);
    assert_int_equal(st.code, DLC_OK);
    assert_int_equal(((Dlc__V1__HealthCheckResponse *)out)->status,
                     DLC__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__SERVING);
    protobuf_c_message_free_unpacked(out, NULL);
    in.service = "dlc.v1.NoSuchService";
    dlc_test_call(g_core.tcp_url, "dlc.v1.SystemService/Check", &in.base, 0, 5000, NULL, NULL,
                  &st);
    assert_int_equal(st.code, DLC_NOT_FOUND);

    Dlc__V1__GetInfoRequest info = DLC__V1__GET_INFO_REQUEST__INIT;
    dlc_test_call(g_core.tcp_url, "dlc.v1.SystemService/GetInfo", &info.base, 0, 5000,
                  &dlc__v1__get_info_response__descriptor, &out, &st);
    assert_int_equal(st.code, DLC_OK);
    Dlc__V1__GetInfoResponse *r = (Dlc__V1__GetInfoResponse *)out;
    assert_string_equal(r->version, "0.1.0");
    assert_true(strlen(r->commit) > 0);
    assert_true(strlen(r->compiler) > 0);
    assert_int_equal(strlen(r->start_time), 20); /* 2026-11-26T10:00:00Z */
    assert_true(r->uptime_seconds >= 0 && r->uptime_seconds < 600);
    assert_true(r->config_generation >= 1);
    protobuf_c_message_free_unpacked(out, NULL);
}

/* The health query waits on a lock another session holds: the request's
 * own deadline must end it, and the server must recover. */
static void deadline_exceeded_when_the_database_stalls(void **state)
{
    (void)state;
    PGconn *locker = dlc_testdb_connect(g_db);
    assert_non_null(locker);
    assert_int_equal(dlc_testdb_exec(locker, "BEGIN"), 0);
    assert_int_equal(dlc_testdb_exec(locker, "LOCK TABLE schema_migrations IN ACCESS EXCLUSIVE MODE"),
                     0);
    Dlc__V1__HealthCheckRequest in = DLC__V1__HEALTH_CHECK_REQUEST__INIT;
    dlc_status st;
    int64_t t0 = dlc_clock_mono_ms();
    dlc_test_call(g_core.tcp_url, "dlc.v1.SystemService/Check", &in.base, 300, 10000, NULL, NULL,
                  &st);
    int64_t took = dlc_clock_mono_ms() - t0;
    assert_int_equal(st.code, DLC_DEADLINE_EXCEEDED);
    assert_true(took < 5000); /* well before the 5 s statement_timeout */
    assert_still_serving();   /* greet needs no database */
    assert_int_equal(dlc_testdb_exec(locker, "ROLLBACK"), 0);
    PQfinish(locker);
    bool serving = false;
    for (int i = 0; i < 50 && !serving; i++)
        serving = dlc_test_serving(g_core.tcp_url, 100);
    assert_true(serving);
}

/* Registers and logs in a user over raw RPC; returns "Bearer <token>". */
static char *user_bearer(const char *username)
{
    Dlc__V1__RegisterRequest reg = DLC__V1__REGISTER_REQUEST__INIT;
    reg.username = (char *)username;
    reg.password = "correct horse";
    dlc_status st;
    dlc_test_call(g_core.tcp_url, "dlc.v1.AuthService/RegisterUser", &reg.base, 0, 5000, NULL,
                  NULL, &st);
    if (st.code != DLC_OK)
        fail_msg("register: %s: %s", dlc_status_reason(&st), st.message);
    Dlc__V1__LoginRequest login = DLC__V1__LOGIN_REQUEST__INIT;
    login.username = (char *)username;
    login.password = "correct horse";
    ProtobufCMessage *out;
    dlc_test_call(g_core.tcp_url, "dlc.v1.AuthService/Login", &login.base, 0, 5000,
                  &dlc__v1__token_response__descriptor, &out, &st);
    if (st.code != DLC_OK)
        fail_msg("login: %s: %s", dlc_status_reason(&st), st.message);
    static char bearer[2048];
    snprintf(bearer, sizeof bearer, "Bearer %s", ((Dlc__V1__TokenResponse *)out)->token);
    protobuf_c_message_free_unpacked(out, NULL);
    return bearer;
}

static dlc_code call_as(const char *authorization, const char *method, const ProtobufCMessage *in)
{
    dlc_md md[] = {{"authorization", authorization}};
    dlc_status st;
    dlc_test_call_md(g_core.tcp_url, method, in, md, authorization ? 1 : 0, 5000, NULL, NULL, &st);
    if (st.code == DLC_UNAUTHENTICATED)
        assert_string_equal(st.reason, "unauthorized");
    if (st.code == DLC_PERMISSION_DENIED)
        assert_string_equal(st.reason, "forbidden");
    return st.code;
}

/* The core, not the gateway, enforces access: a direct caller gets no more. */
static void protected_methods_refuse_direct_callers_without_rights(void **state)
{
    (void)state;
    Dlc__V1__GetMeRequest me = DLC__V1__GET_ME_REQUEST__INIT;
    Dlc__V1__ListUsersRequest list = DLC__V1__LIST_USERS_REQUEST__INIT;
    const char *get_me = "dlc.v1.UserService/GetMe", *list_users = "dlc.v1.AdminService/ListUsers";
    assert_int_equal(call_as(NULL, get_me, &me.base), DLC_UNAUTHENTICATED);
    assert_int_equal(call_as(NULL, list_users, &list.base), DLC_UNAUTHENTICATED);
    assert_int_equal(call_as("Bearer not.a.token", get_me, &me.base), DLC_UNAUTHENTICATED);
    assert_int_equal(call_as("Basic dXNlcjpwYXNz", get_me, &me.base), DLC_UNAUTHENTICATED);
    const char *bearer = user_bearer("protouser");
    assert_int_equal(call_as(bearer, get_me, &me.base), DLC_OK);
    assert_int_equal(call_as(bearer, list_users, &list.base), DLC_PERMISSION_DENIED);
    /* a token whose signature was tampered with */
    char forged[2048];
    snprintf(forged, sizeof forged, "%s", bearer);
    forged[strlen(forged) - 2] ^= 0x01;
    assert_int_equal(call_as(forged, get_me, &me.base), DLC_UNAUTHENTICATED);
    assert_still_serving();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(greet_v1_over_tcp_and_ipc),
        cmocka_unit_test(greet_v2_enabled_and_disabled),
        cmocka_unit_test(greet_is_rate_limited_per_client),
        cmocka_unit_test(untrusted_peers_cannot_pick_their_key),
        cmocka_unit_test(ipc_socket_is_not_world_writable),
        cmocka_unit_test(greet_name_validation),
        cmocka_unit_test(unknown_method_is_unimplemented),
        cmocka_unit_test(garbage_is_invalid_argument),
        cmocka_unit_test(oversized_frames_are_refused_without_harm),
        cmocka_unit_test(concurrent_clients_get_their_own_answers),
        cmocka_unit_test(health_check_and_info),
        cmocka_unit_test(deadline_exceeded_when_the_database_stalls),
        cmocka_unit_test(protected_methods_refuse_direct_callers_without_rights),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
