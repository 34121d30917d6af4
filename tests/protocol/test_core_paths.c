/*
 * The core's request path under the conditions its design is about: two
 * real dlc-rpcd on one real PostgreSQL, interactive argon2id.
 *   - Logins that outnumber the hashing threads wait in the FIFO and all
 *     succeed, and the event loop keeps answering other calls meanwhile.
 *   - The principal cache: a user deleted in the database is refused by
 *     every core within a second (NOTIFY), also on a method that reads no
 *     user row; a revoked admin flag is refused at once.
 *   - Callers that ask for a millisecond hurt nobody but themselves: the
 *     database pool neither drops shared connections nor backs off for
 *     them, and the client (which waits DLC_CLIENT_MIN_WAIT_MS at least:
 *     nng 1.5.2's expiry races) neither crashes nor hangs on close.
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
#include "dlc/client.h"
#include "support/rpcd.h"
#include "support/testdb.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define PASSWORD "correct horse"
#define N_LOGINS 16
/* How long a NOTIFY may take to reach the other core. */
#define INVALIDATION_BOUND_MS 1000

static char g_db[64];
static dlc_test_rpcd g_a, g_b;
static PGconn *g_sql;

static int setup(void **state)
{
    (void)state;
    /* A long default deadline: on a loaded machine (CI, ASan) 16 queued
     * interactive hashes may take seconds, and a call that cannot be served
     * before its deadline is refused at once, by design. */
    static char *env[] = {"DLC_AUTH_PASSWORD_HASH_STRENGTH=interactive",
                          "DLC_RPC_DEFAULT_TIMEOUT=60s", NULL};
    if (dlc_testdb_create(g_db, sizeof g_db) != 0 || dlc_test_rpcd_start(&g_a, g_db, env) != 0 ||
        dlc_test_rpcd_start(&g_b, g_db, env) != 0)
        return -1;
    g_sql = dlc_testdb_connect(g_db);
    return g_sql ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    PQfinish(g_sql);
    int a = dlc_test_rpcd_stop(&g_a), b = dlc_test_rpcd_stop(&g_b);
    dlc_testdb_drop(g_db);
    return a == 0 && b == 0 ? 0 : -1;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static void sql(const char *fmt, const char *arg)
{
    char text[256];
    snprintf(text, sizeof text, fmt, arg);
    assert_int_equal(dlc_testdb_exec(g_sql, text), 0);
}

static dlc_code register_user(const char *name)
{
    Dlc__V1__RegisterRequest reg = DLC__V1__REGISTER_REQUEST__INIT;
    reg.username = (char *)name;
    reg.password = PASSWORD;
    dlc_status st;
    dlc_test_call(g_a.tcp_url, "dlc.v1.AuthService/RegisterUser", &reg.base, 0, 10000, NULL,
                  NULL, &st);
    return st.code;
}

/* Login on url; "Bearer <token>" into bearer, or the failure's code. */
static dlc_code login(const char *url, const char *name, char *bearer, size_t len)
{
    Dlc__V1__LoginRequest in = DLC__V1__LOGIN_REQUEST__INIT;
    in.username = (char *)name;
    in.password = PASSWORD;
    ProtobufCMessage *out = NULL;
    dlc_status st;
    dlc_test_call(url, "dlc.v1.AuthService/Login", &in.base, 0, 60000,
                  &dlc__v1__token_response__descriptor, &out, &st);
    if (out) {
        snprintf(bearer, len, "Bearer %s", ((Dlc__V1__TokenResponse *)out)->token);
        protobuf_c_message_free_unpacked(out, NULL);
    }
    return st.code;
}

/* A new user, logged in through core A: "Bearer <token>" into bearer. */
static void new_user_bearer(const char *name, char *bearer, size_t len)
{
    assert_int_equal(register_user(name), DLC_OK);
    assert_int_equal(login(g_a.tcp_url, name, bearer, len), DLC_OK);
}

static dlc_code call_as(const char *url, const char *bearer, const char *method,
                        const ProtobufCMessage *in)
{
    dlc_md md[] = {{"authorization", bearer}};
    dlc_status st;
    dlc_test_call_md(url, method, in, md, 1, 5000, NULL, NULL, &st);
    return st.code;
}

/* ---- the hashing queue ------------------------------------------------------- */

static atomic_int g_logins_done;

static void *login_main(void *arg)
{
    char bearer[2048];
    *(dlc_code *)arg = login(g_a.tcp_url, "queued", bearer, sizeof bearer);
    atomic_fetch_add(&g_logins_done, 1);
    return NULL;
}

static void logins_queue_and_the_loop_keeps_serving(void **state)
{
    (void)state;
    assert_int_equal(register_user("queued"), DLC_OK);
    pthread_t t[N_LOGINS];
    dlc_code codes[N_LOGINS];
    for (int i = 0; i < N_LOGINS; i++)
        assert_int_equal(pthread_create(&t[i], NULL, login_main, &codes[i]), 0);
    /* 16 interactive hashes on a few threads take hundreds of ms; a health
     * check needs none and must not wait behind them. */
    assert_true(dlc_test_serving(g_a.tcp_url, 5000));
    int done_when_checked = atomic_load(&g_logins_done);
    for (int i = 0; i < N_LOGINS; i++) {
        assert_int_equal(pthread_join(t[i], NULL), 0);
        assert_int_equal(codes[i], DLC_OK); /* queued, never 503 */
    }
    assert_true(done_when_checked < N_LOGINS);
}

/* ---- the principal cache ------------------------------------------------------ */

/* Calls method on url until it answers want, for at most bound_ms. */
static dlc_code poll_until(const char *url, const char *bearer, const char *method,
                           const ProtobufCMessage *in, dlc_code want, int64_t bound_ms)
{
    int64_t until = dlc_clock_mono_ms() + bound_ms;
    dlc_code got;
    while ((got = call_as(url, bearer, method, in)) != want && dlc_clock_mono_ms() < until)
        sleep_ms(10);
    return got;
}

static void a_deleted_user_is_refused_by_every_core(void **state)
{
    (void)state;
    char bearer[2048];
    new_user_bearer("leaving", bearer, sizeof bearer);
    Dlc__V1__ListHistoryRequest hist = DLC__V1__LIST_HISTORY_REQUEST__INIT;
    Dlc__V1__GetMeRequest me = DLC__V1__GET_ME_REQUEST__INIT;
    const char *list = "dlc.v1.GreetService/ListHistory", *get_me = "dlc.v1.UserService/GetMe";
    /* Both cores now hold the principal (ListHistory reads no user row). */
    assert_int_equal(call_as(g_a.tcp_url, bearer, list, &hist.base), DLC_OK);
    assert_int_equal(call_as(g_b.tcp_url, bearer, list, &hist.base), DLC_OK);
    sql("UPDATE users SET deleted_at = now() WHERE username = '%s'", "leaving");
    /* The profile is read with the call: refused at once. */
    assert_int_equal(call_as(g_b.tcp_url, bearer, get_me, &me.base), DLC_UNAUTHENTICATED);
    /* The cached principal goes with the NOTIFY. */
    assert_int_equal(poll_until(g_a.tcp_url, bearer, list, &hist.base, DLC_UNAUTHENTICATED,
                                INVALIDATION_BOUND_MS),
                     DLC_UNAUTHENTICATED);
    assert_int_equal(poll_until(g_b.tcp_url, bearer, list, &hist.base, DLC_UNAUTHENTICATED,
                                INVALIDATION_BOUND_MS),
                     DLC_UNAUTHENTICATED);
}

static void a_revoked_admin_flag_is_refused_at_once(void **state)
{
    (void)state;
    char bearer[2048];
    new_user_bearer("boss", bearer, sizeof bearer);
    Dlc__V1__ListUsersRequest users = DLC__V1__LIST_USERS_REQUEST__INIT;
    const char *list = "dlc.v1.AdminService/ListUsers";
    assert_int_equal(call_as(g_b.tcp_url, bearer, list, &users.base), DLC_PERMISSION_DENIED);
    sql("UPDATE users SET is_admin = true WHERE username = '%s'", "boss");
    assert_int_equal(call_as(g_b.tcp_url, bearer, list, &users.base), DLC_OK);
    sql("UPDATE users SET is_admin = false WHERE username = '%s'", "boss");
    assert_int_equal(call_as(g_b.tcp_url, bearer, list, &users.base), DLC_PERMISSION_DENIED);
}

/* ---- callers with tiny deadlines --------------------------------------------- */

#define N_HOSTILE 8
#ifndef HOSTILE_MS
#define HOSTILE_MS 1500
#endif
#define N_CALM 40

typedef struct {
    const char *bearer;
    dlc_client *client;
    atomic_bool stop;
    atomic_long calls;
} hostile_case;

static void *hostile_main(void *arg)
{
    hostile_case *h = arg;
    dlc_md md[] = {{"authorization", h->bearer}};
    Dlc__V1__ListHistoryRequest in = DLC__V1__LIST_HISTORY_REQUEST__INIT;
    while (!atomic_load(&h->stop)) {
        dlc_client_request rq = {.method = "dlc.v1.GreetService/ListHistory",
                                 .input = &in.base,
                                 .metadata = md,
                                 .n_metadata = 1,
                                 .timeout_ms = 1};
        dlc_client_reply reply;
        dlc_client_call(h->client, &rq, &reply);
        dlc_client_reply_free(&reply);
        atomic_fetch_add(&h->calls, 1);
    }
    return NULL;
}

static void tiny_deadlines_hurt_only_their_callers(void **state)
{
    (void)state;
    char bearer[2048];
    new_user_bearer("calm", bearer, sizeof bearer);
    const char *urls[] = {g_a.tcp_url};
    dlc_client_opts o = {.urls = urls, .n_urls = 1, .sockets = 2, .max_contexts = N_HOSTILE};
    hostile_case h = {.bearer = bearer};
    char err[256];
    assert_int_equal(dlc_client_open(&o, &h.client, err, sizeof err), 0);
    pthread_t t[N_HOSTILE];
    for (int i = 0; i < N_HOSTILE; i++)
        assert_int_equal(pthread_create(&t[i], NULL, hostile_main, &h), 0);
    Dlc__V1__GetMeRequest me = DLC__V1__GET_ME_REQUEST__INIT;
    int64_t until = dlc_clock_mono_ms() + HOSTILE_MS;
    int calm_ok = 0, calm = 0;
    /* Stops at the first failure: a stuck pool fails fast, not by ctest's timeout. */
    while ((calm < N_CALM || dlc_clock_mono_ms() < until) && calm_ok == calm) {
        calm_ok += call_as(g_a.tcp_url, bearer, "dlc.v1.UserService/GetMe", &me.base) == DLC_OK;
        calm++;
    }
    atomic_store(&h.stop, true);
    for (int i = 0; i < N_HOSTILE; i++)
        assert_int_equal(pthread_join(t[i], NULL), 0);
    dlc_client_close(h.client);
    assert_true(atomic_load(&h.calls) > 0);
    assert_int_equal(calm_ok, calm); /* every patient call was served */
    assert_true(dlc_test_serving(g_a.tcp_url, 5000));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(logins_queue_and_the_loop_keeps_serving),
        cmocka_unit_test(a_deleted_user_is_refused_by_every_core),
        cmocka_unit_test(a_revoked_admin_flag_is_refused_at_once),
        cmocka_unit_test(tiny_deadlines_hurt_only_their_callers),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
