/*
 * dlcctl, the binary, against a real dlc-rpcd on a real PostgreSQL: each
 * case runs it through sh (stdin from a file, stdout and stderr captured
 * apart) and checks its output, its JSON errors and its exit codes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "support/proc.h"
#include "support/rpcd.h"
#include "support/testdb.h"
#include "support/tmpdir.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#define MASTER "dlcctl master password"

static char g_db[64];
static dlc_test_rpcd g_core;
static char g_dir[64];

typedef struct {
    int rc;
    char out[65536];
    char err[4096];
} ctl_result;

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void read_file(const char *path, char *buf, size_t len)
{
    FILE *f = fopen(path, "r");
    size_t n = f ? fread(buf, 1, len - 1, f) : 0;
    buf[n] = '\0';
    if (f)
        fclose(f);
}

/* Runs `dlcctl args` (shell words) with DLC_URL = the core and stdin_text
 * on its stdin. */
static void ctl(ctl_result *r, const char *stdin_text, const char *args)
{
    char in[128], out[128], err[128], cmd[4096];
    snprintf(in, sizeof in, "%s/stdin", g_dir);
    snprintf(out, sizeof out, "%s/stdout", g_dir);
    snprintf(err, sizeof err, "%s/stderr", g_dir);
    write_file(in, stdin_text ? stdin_text : "");
    snprintf(cmd, sizeof cmd, "%s %s <%s >%s 2>%s", DLCCTL_PATH, args, in, out, err);
    int status = system(cmd);
    r->rc = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    read_file(out, r->out, sizeof r->out);
    read_file(err, r->err, sizeof r->err);
}

/* text as one JSON object (fails the test otherwise); caller decrefs. */
static json_t *parse(const char *text)
{
    json_error_t e;
    json_t *v = json_loads(text, 0, &e);
    if (!json_is_object(v))
        fail_msg("not a JSON object (%s): %s", e.text, text);
    return v;
}

static void assert_json_string(const json_t *obj, const char *key, const char *want)
{
    const char *got = json_string_value(json_object_get(obj, key));
    if (!got || strcmp(got, want) != 0)
        fail_msg("%s: want %s, got %s", key, want, got ? got : "(none)");
}

/* A failure: nothing on stdout, {"code","reason","message","details"} on stderr. */
static void assert_error(const ctl_result *r, int rc, const char *code)
{
    assert_int_equal(r->rc, rc);
    assert_string_equal(r->out, "");
    json_t *e = parse(r->err);
    assert_json_string(e, "code", code);
    assert_true(json_is_string(json_object_get(e, "reason")));
    assert_true(json_is_string(json_object_get(e, "message")));
    assert_true(json_is_array(json_object_get(e, "details")));
    json_decref(e);
}

static int setup(void **state)
{
    (void)state;
    static char *env[] = {"DLC_AUTH_ADMIN_MASTER_PASSWORD=" MASTER,
                          "DLC_AUTH_PASSWORD_HASH_STRENGTH=min", NULL};
    snprintf(g_dir, sizeof g_dir, "/tmp/dlcctl-test-XXXXXX");
    if (!mkdtemp(g_dir) || dlc_testdb_create(g_db, sizeof g_db) != 0 ||
        dlc_test_rpcd_start(&g_core, g_db, env) != 0)
        return -1;
    setenv("DLC_URL", g_core.tcp_url, 1);
    unsetenv("DLC_TOKEN");
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    int rc = dlc_test_rpcd_stop(&g_core);
    dlc_testdb_drop(g_db);
    dlc_test_rmdir_flat(g_dir);
    return rc == 0 ? 0 : -1;
}

static void health_is_serving(void **state)
{
    (void)state;
    ctl_result r;
    ctl(&r, NULL, "health");
    assert_int_equal(r.rc, 0);
    json_t *v = parse(r.out);
    assert_json_string(v, "status", "SERVING");
    json_decref(v);
    ctl(&r, NULL, "health dlc.v1.NoSuchService");
    assert_error(&r, 5, "not_found");
    char args[128];
    snprintf(args, sizeof args, "--url tcp://127.0.0.1:%d --timeout 300ms health",
             dlc_proc_free_port());
    ctl(&r, NULL, args);
    assert_error(&r, 14, "unavailable");
}

static void call_transcodes_both_ways(void **state)
{
    (void)state;
    ctl_result r;
    ctl(&r, NULL, "call dlc.v1.GreetService/Greet '{\"name\":\"ann\"}'");
    assert_int_equal(r.rc, 0);
    assert_string_equal(r.out, "{\"message\":\"Hello ann!\"}\n");
    ctl(&r, "{\"name\": \"bob\"}", "call dlc.v1.GreetService/Greet");
    assert_string_equal(r.out, "{\"message\":\"Hello bob!\"}\n");
    ctl(&r, "{}", "call dlc.v1.GreetService/Greet -");
    assert_string_equal(r.out, "{\"message\":\"Hello world!\"}\n");
}

static void errors_are_json_with_the_status_as_exit_code(void **state)
{
    (void)state;
    ctl_result r;
    ctl(&r, NULL, "call dlc.v1.GreetService/Nope '{}'");
    assert_error(&r, 12, "unimplemented");
    ctl(&r, NULL, "call dlc.v1.GreetService/Greet '{\"nam\":\"x\"}'");
    assert_error(&r, 3, "invalid_argument");
    ctl(&r, NULL, "call dlc.v1.GreetService/Greet '{\"name\":'");
    assert_error(&r, 3, "invalid_argument");
    /* the core's own refusal: GreetV2 is off by default */
    ctl(&r, NULL, "call dlc.v1.GreetService/GreetV2 '{\"name\":\"x\"}'");
    assert_error(&r, 5, "not_found");
    ctl(&r, NULL, "call dlc.v1.UserService/GetMe '{}'");
    assert_error(&r, 16, "unauthenticated");
    ctl(&r, NULL, "");
    assert_int_equal(r.rc, 64);
    ctl(&r, NULL, "call");
    assert_int_equal(r.rc, 64);
    ctl(&r, NULL, "--timeout soon health");
    assert_int_equal(r.rc, 64);
}

/* login prints a bare token, which --token-file then sends. */
static void login_prints_a_token(void **state)
{
    (void)state;
    ctl_result r;
    ctl(&r, NULL,
        "call dlc.v1.AuthService/RegisterUser '{\"username\":\"ann\",\"password\":\"correct "
        "horse\"}'");
    assert_int_equal(r.rc, 0);
    ctl(&r, "correct horse\n", "login ann");
    assert_int_equal(r.rc, 0);
    assert_non_null(strchr(r.out, '.'));
    assert_null(strchr(r.out, '"'));
    char token_file[128], args[256];
    snprintf(token_file, sizeof token_file, "%s/token", g_dir);
    write_file(token_file, r.out);
    snprintf(args, sizeof args, "--token-file %s call dlc.v1.UserService/GetMe '{}'", token_file);
    ctl(&r, NULL, args);
    assert_int_equal(r.rc, 0);
    json_t *me = parse(r.out);
    assert_json_string(me, "username", "ann");
    json_decref(me);
    ctl(&r, "wrong horse", "login ann");
    assert_error(&r, 16, "unauthenticated");
}

/* Anonymous: the core refuses reflection (rpc.reflection: admin) and
 * dlcctl lists its own contract; with an admin token, the core's table. */
static void list_with_and_without_reflection(void **state)
{
    (void)state;
    ctl_result r;
    ctl(&r, NULL, "list");
    assert_int_equal(r.rc, 0);
    assert_non_null(strstr(r.err, "refused reflection"));
    assert_non_null(strstr(r.out, "\"dlc.v1.GreetService/Greet\""));
    assert_null(strstr(r.out, "ACCESS_ADMIN"));
    ctl(&r, MASTER, "login --admin");
    assert_int_equal(r.rc, 0);
    char token_file[128], args[256];
    snprintf(token_file, sizeof token_file, "%s/admin-token", g_dir);
    write_file(token_file, r.out);
    snprintf(args, sizeof args, "--token-file %s list", token_file);
    ctl(&r, NULL, args);
    assert_int_equal(r.rc, 0);
    assert_string_equal(r.err, "");
    json_t *v = parse(r.out);
    assert_true(json_array_size(json_object_get(v, "services")) >= 5);
    json_decref(v);
    assert_non_null(strstr(r.out, "\"access\":\"ACCESS_ADMIN\""));
    assert_non_null(strstr(r.out, "\"dlc.v1.SystemService/ListServices\""));
}

static void describe_needs_no_core(void **state)
{
    (void)state;
    ctl_result r;
    ctl(&r, NULL, "--url tcp://127.0.0.1:1 describe GreetRequest");
    assert_int_equal(r.rc, 0);
    assert_string_equal(r.out, "{\"message\":\"dlc.v1.GreetRequest\",\"fields\":[{\"name\":"
                               "\"name\",\"number\":1,\"type\":\"string\",\"repeated\":false}]}\n");
    ctl(&r, NULL, "describe dlc.v1.NoSuchThing");
    assert_error(&r, 5, "not_found");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(health_is_serving),
        cmocka_unit_test(call_transcodes_both_ways),
        cmocka_unit_test(errors_are_json_with_the_status_as_exit_code),
        cmocka_unit_test(login_prints_a_token),
        cmocka_unit_test(list_with_and_without_reflection),
        cmocka_unit_test(describe_needs_no_core),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
