/*
 * dlc_config: defaults, the three layers and their precedence, every parser
 * and the error reports (file, line, key) operators rely on.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
/* cmocka.h needs the four above first. */
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/config.h"
#include "support/tmpdir.h"

static char tmpdir[] = "/tmp/dlc_config_test.XXXXXX";

static int make_tmpdir(void **state)
{
    (void)state;
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int remove_tmpdir(void **state)
{
    (void)state;
    return dlc_test_rmdir_flat(tmpdir);
}

/* Writes text to a file of the temp dir; returns its path (static buffer). */
static const char *write_yaml(const char *text)
{
    static char path[512];
    snprintf(path, sizeof path, "%s/config.yaml", tmpdir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    assert_int_equal(fputs(text, f) >= 0, 1);
    assert_int_equal(fclose(f), 0);
    return path;
}

/* Defaults, then text as a file. */
static int load_yaml(dlc_config *c, const char *text, dlc_config_error *err)
{
    dlc_config_defaults(c);
    return dlc_config_load_file(c, write_yaml(text), err);
}

static void assert_list(const dlc_strlist *l, size_t n, ...)
{
    va_list ap;
    assert_int_equal(l->count, n);
    va_start(ap, n);
    for (size_t i = 0; i < n; i++)
        assert_string_equal(l->items[i], va_arg(ap, const char *));
    va_end(ap);
}

static void assert_error(const dlc_config_error *err, int line, const char *key,
                         const char *fragment)
{
    char buf[1024];
    dlc_config_error_format(err, buf, sizeof buf);
    if (err->line != line || strcmp(err->key, key) != 0 || !strstr(err->message, fragment))
        fail_msg("got \"%s\", want line %d, key \"%s\", \"%s\"", buf, line, key, fragment);
}

/* The file is loaded on top of defaults; the error must name line and key. */
static void expect_file_error(const char *yaml, int line, const char *key, const char *fragment)
{
    dlc_config c;
    dlc_config_error err = {0};
    assert_int_equal(load_yaml(&c, yaml, &err), -1);
    assert_string_equal(err.source, c.source_file);
    assert_error(&err, line, key, fragment);
    dlc_config_free(&c);
}

static void test_defaults(void **state)
{
    (void)state;
    dlc_config c;
    dlc_config_defaults(&c);
    assert_string_equal(c.server.listen, "0.0.0.0:8080");
    assert_int_equal(c.server.threads, 1280);
    assert_int_equal(c.server.max_body_bytes, 65536);
    assert_int_equal(c.server.request_timeout_ms, 5000);
    assert_list(&c.server.trusted_proxies, 0);
    assert_list(&c.rpc.listen, 1, "tcp://127.0.0.1:7070");
    assert_list(&c.rpc.endpoints, 1, "tcp://127.0.0.1:7070");
    assert_int_equal(c.rpc.workers, 0);
    assert_int_equal(c.rpc.max_in_flight, 256);
    assert_int_equal(c.database.pool_size, 8);
    assert_int_equal(c.rpc.max_message_bytes, 1048576);
    assert_int_equal(c.rpc.default_timeout_ms, 5000);
    assert_string_equal(c.database.url, "");
    assert_string_equal(c.database.host, "");
    assert_int_equal(c.database.port, 5432);
    assert_string_equal(c.database.user, "");
    assert_string_equal(c.database.password, "");
    assert_string_equal(c.database.name, "dlc");
    assert_string_equal(c.database.ssl_mode, "prefer");
    assert_int_equal(c.database.statement_timeout_ms, 5000);
    assert_true(c.database.auto_migrate);
    assert_string_equal(c.auth.admin_master_password, "");
    assert_string_equal(c.auth.jwt.secret, "");
    assert_int_equal(c.auth.jwt.ttl_ms, 3600000);
    assert_string_equal(c.auth.jwt.issuer, "dlc");
    assert_string_equal(c.auth.jwt.audience, "dlc");
    assert_int_equal(c.auth.jwt.leeway_ms, 30000);
    assert_true(c.auth.jwt.secret_retention.retention_factor == 2.0);
    assert_int_equal(c.auth.jwt.secret_retention.max_retention_ms, 72 * 3600000LL);
    assert_int_equal(c.auth.jwt.secret_retention.cleanup_interval_ms, 3600000);
    assert_string_equal(c.auth.password.hash_strength, "interactive");
    assert_false(c.api.v2_enabled);
    assert_true(c.ratelimit.enabled);
    assert_int_equal(c.ratelimit.requests_per_minute, 60);
    assert_int_equal(c.ratelimit.burst_size, 10);
    assert_true(c.cache.enabled);
    assert_int_equal(c.cache.default_ttl_seconds, 300);
    assert_int_equal(c.cache.cleanup_interval_seconds, 600);
    assert_string_equal(c.logging.level, "info");
    assert_true(c.logging.json);
    assert_true(c.logging.access);
    assert_string_equal(c.admin.listen, "127.0.0.1:9091");
    assert_false(c.telemetry.enabled);
    assert_string_equal(c.telemetry.endpoint, "http://127.0.0.1:4318");
    assert_string_equal(c.telemetry.sampler.type, "parentbased_always_on");
    assert_true(c.telemetry.sampler.ratio == 1.0);
    assert_null(c.source_file);
    dlc_config_error err = {0};
    assert_int_equal(dlc_config_validate(&c, &err), 0);
    dlc_config_free(&c);
}

static void test_precedence(void **state)
{
    (void)state;
    const char *path = write_yaml("database:\n"
                                  "  host: filehost\n"
                                  "  port: 6000\n"
                                  "rpc:\n"
                                  "  workers: 4\n"
                                  "  listen:\n"
                                  "    - tcp://file:1\n"
                                  "    - tcp://file:2\n"
                                  "auth:\n"
                                  "  jwt:\n"
                                  "    ttl: 2h\n"
                                  "api: { v2_enabled: true }\n"
                                  "logging: { level: debug, json: no }\n");
    char *envp[] = {"DLC_DATABASE_HOST=envhost",
                    "DLC_RPC_WORKERS=8",
                    "DLC_RPC_LISTEN= tcp://env:1 ,, tcp://env:2,",
                    "DLC_AUTH_JWT_TTL=3h",
                    "DLC_API_V2_ENABLED=off",
                    "DLC_LOGGING_JSON=TRUE",
                    "DLC_NOT_A_KEY=whatever",
                    "DLC_CONFIG=/etc/dlc.yaml",
                    "DATABASE_HOST=ignored",
                    "DLC_DATABASE_NAME",
                    NULL};
    dlc_config c;
    dlc_config_error err = {0};
    assert_int_equal(dlc_config_load(&c, path, envp, &err), 0);
    assert_string_equal(c.source_file, path);
    assert_int_equal(c.database.port, 6000);         /* file only */
    assert_string_equal(c.logging.level, "debug");   /* file only */
    assert_string_equal(c.database.host, "envhost"); /* env over file */
    assert_int_equal(c.rpc.workers, 8);              /* env over file */
    assert_list(&c.rpc.listen, 2, "tcp://env:1", "tcp://env:2");
    assert_int_equal(c.auth.jwt.ttl_ms, 3 * 3600000LL);
    assert_false(c.api.v2_enabled);
    assert_true(c.logging.json);
    assert_string_equal(c.database.name, "dlc");

    assert_int_equal(dlc_config_set(&c, "database.host", "flaghost", &err), 0);
    assert_int_equal(dlc_config_set(&c, "rpc.workers", "12", &err), 0);
    assert_int_equal(dlc_config_set(&c, "rpc.listen", "tcp://flag:1", &err), 0);
    assert_int_equal(dlc_config_set(&c, "auth.jwt.ttl", "90m", &err), 0);
    assert_int_equal(dlc_config_set(&c, "api.v2_enabled", "Yes", &err), 0);
    assert_string_equal(c.database.host, "flaghost");
    assert_int_equal(c.rpc.workers, 12);
    assert_list(&c.rpc.listen, 1, "tcp://flag:1");
    assert_int_equal(c.auth.jwt.ttl_ms, 90 * 60000LL);
    assert_true(c.api.v2_enabled);
    assert_int_equal(dlc_config_validate(&c, &err), 0);
    dlc_config_free(&c);
}

static void test_durations(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        int64_t ms;
    } good[] = {
        {"0", 0},           {"0s", 0},           {"250ms", 250},
        {"90s", 90000},     {"15m", 900000},     {"1h", 3600000},
        {"1h30m", 5400000}, {"2m500ms", 120500}, {"1h1m1s1ms", 3661001},
        {"72h", 259200000}, {"007s", 7000},
    };
    static const char *const bad[] = {
        "",
        "5",
        "-5s",
        "1.5h",
        "1d",
        "h",
        "1h ",
        " 1h",
        "1H",
        "1hm",
        "ms",
        "1s-",
        "00",
        "+1s",
        "1 h",
        "1mss",
        "99999999999999999999ms",
        "9223372036854775807h",
    };
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        int64_t ms = -1;
        if (dlc_config_parse_duration(good[i].text, &ms) != 0 || ms != good[i].ms)
            fail_msg("\"%s\": got %lld", good[i].text, (long long)ms);
    }
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int64_t ms = 42;
        if (dlc_config_parse_duration(bad[i], &ms) != -1 || ms != 42)
            fail_msg("\"%s\" accepted", bad[i]);
    }
    int64_t ms = 0;
    assert_int_equal(dlc_config_parse_duration(NULL, &ms), -1);
}

static void test_lists(void **state)
{
    (void)state;
    dlc_config c;
    dlc_config_error err = {0};
    assert_int_equal(load_yaml(&c,
                               "rpc:\n"
                               "  listen:\n"
                               "    - tcp://a:1\n"
                               "    - \"tcp://b:2\"\n"
                               "  endpoints: [tcp://c:3, 'tcp://d:4']\n"
                               "server:\n"
                               "  trusted_proxies: 10.0.0.1, 10.0.0.2\n",
                               &err),
                     0);
    assert_list(&c.rpc.listen, 2, "tcp://a:1", "tcp://b:2");
    assert_list(&c.rpc.endpoints, 2, "tcp://c:3", "tcp://d:4");
    assert_list(&c.server.trusted_proxies, 2, "10.0.0.1", "10.0.0.2");
    dlc_config_free(&c);

    assert_int_equal(load_yaml(&c, "server: { trusted_proxies: [] }\nrpc: {listen: [x]}\n", &err),
                     0);
    assert_list(&c.server.trusted_proxies, 0);
    assert_list(&c.rpc.listen, 1, "x");

    char *envp[] = {"DLC_SERVER_TRUSTED_PROXIES= 1.2.3.4 , ,5.6.7.8 ", "DLC_RPC_ENDPOINTS=", NULL};
    assert_int_equal(dlc_config_apply_env(&c, envp, &err), 0);
    assert_list(&c.server.trusted_proxies, 2, "1.2.3.4", "5.6.7.8");
    assert_list(&c.rpc.endpoints, 0);
    dlc_config_free(&c);

    expect_file_error("rpc:\n  listen: [a, '']\n", 2, "rpc.listen", "non-empty");
    expect_file_error("rpc:\n  listen:\n    - [a]\n", 2, "rpc.listen", "scalars");
}

static void test_scalars(void **state)
{
    (void)state;
    dlc_config c;
    dlc_config_error err = {0};
    assert_int_equal(load_yaml(&c,
                               "database: {port: \"5433\", ssl_mode: VERIFY-FULL, auto_migrate: "
                               "Off, statement_timeout: 0}\n"
                               "telemetry:\n"
                               "  sampler: {type: traceidratio, ratio: 0.25}\n"
                               "auth:\n"
                               "  jwt:\n"
                               "    secret_retention: {retention_factor: 1.5, max_retention: 1h}\n"
                               "  password: {hash_strength: min}\n"
                               "server: {max_body_bytes: 1}\n"
                               "logging:\n"
                               "  # level: debug\n",
                               &err),
                     0);
    assert_int_equal(c.database.port, 5433);
    assert_string_equal(c.database.ssl_mode, "verify-full");
    assert_false(c.database.auto_migrate);
    assert_int_equal(c.database.statement_timeout_ms, 0);
    assert_string_equal(c.telemetry.sampler.type, "traceidratio");
    assert_true(c.telemetry.sampler.ratio == 0.25);
    assert_true(c.auth.jwt.secret_retention.retention_factor == 1.5);
    assert_string_equal(c.auth.password.hash_strength, "min");
    assert_int_equal(c.server.max_body_bytes, 1);
    assert_string_equal(c.logging.level, "info");
    dlc_config_free(&c);
}

static void test_file_errors(void **state)
{
    (void)state;
    expect_file_error("database:\n  host: x\n  hots: y\n", 3, "database.hots", "unknown key");
    expect_file_error("# top\ndatabse:\n  host: x\n", 2, "databse", "unknown key");
    expect_file_error("auth:\n  jwt:\n    secret_retention:\n      max_retension: 1h\n", 4,
                      "auth.jwt.secret_retention.max_retension", "unknown key");
    expect_file_error("rpc:\n  workers: -1\n", 2, "rpc.workers", "\"-1\"");
    expect_file_error("rpc:\n  workers: many\n", 2, "rpc.workers", "0..64");
    expect_file_error("rpc:\n  workers: 65\n", 2, "rpc.workers", "0..64");
    expect_file_error("database:\n  pool_size: 0\n", 2, "database.pool_size", "1..1024");
    expect_file_error("rpc: {max_message_bytes: 1023}\n", 1, "rpc.max_message_bytes", "1023");
    expect_file_error("database:\n  port: 0\n", 2, "database.port", "1..65535");
    expect_file_error("database:\n  port: 65536\n", 2, "database.port", "1..65535");
    expect_file_error("server: {threads: 99999999999999999999}\n", 1, "server.threads", "invalid");
    expect_file_error("\n\ndatabase: { ssl_mode: sometimes }\n", 3, "database.ssl_mode",
                      "verify-full");
    expect_file_error("logging:\n  level: verbose\n", 2, "logging.level", "debug, info");
    expect_file_error("server:\n  request_timeout: 5\n", 2, "server.request_timeout", "\"5\"");
    expect_file_error("server:\n  request_timeout: 2h\n", 2, "server.request_timeout", "1ms to 1h");
    expect_file_error("database:\n  auto_migrate: maybe\n", 2, "database.auto_migrate",
                      "true or false");
    expect_file_error("telemetry: {sampler: {ratio: 1.5}}\n", 1, "telemetry.sampler.ratio", "0..1");
    expect_file_error("auth: {jwt: {secret_retention: {retention_factor: 0.5}}}\n", 1,
                      "auth.jwt.secret_retention.retention_factor", "invalid");
    expect_file_error("server: {listen: ''}\n", 1, "server.listen", "non-empty");
    /* type mismatches, both ways */
    expect_file_error("database:\n  port:\n    x: 1\n", 2, "database.port",
                      "expected a scalar, found a mapping");
    expect_file_error("auth:\n  jwt: 1h\n", 2, "auth.jwt", "expected a mapping, found a scalar");
    expect_file_error("logging:\n  level: [info]\n", 2, "logging.level", "found a list");
    expect_file_error("rpc:\n  listen: {a: b}\n", 2, "rpc.listen", "found a mapping");
    expect_file_error("server: 8080\n", 1, "server", "expected a mapping");
    expect_file_error("rpc:\n  workers: 2\n  workers: 3\n", 3, "rpc.workers", "duplicate");
    expect_file_error("rpc.workers: 2\nrpc: {workers: 3}\n", 2, "rpc.workers", "duplicate");
    /* YAML itself */
    expect_file_error("server:\n  threads: 4\n listen: x\n", 3, "", "invalid YAML");
    expect_file_error("rpc:\n  listen: [a, b\n", 3, "", "invalid YAML");
    expect_file_error("- a\n- b\n", 1, "", "top level");
    expect_file_error("api: {v2_enabled: true}\n---\napi: {v2_enabled: false}\n", 3, "",
                      "one YAML document");
    expect_file_error("api: {v2_enabled: true}\n---\n[a\n", 4, "", "invalid YAML");
}

static void test_secrets_not_echoed(void **state)
{
    (void)state;
    static const char *const yaml[] = {
        "database: {password: {hunter2: 1}}\n",
        "auth: {jwt: {secret: [hunter2]}}\n",
        "database: {url: [postgresql://u:hunter2@h/db]}\n",
    };
    for (size_t i = 0; i < sizeof yaml / sizeof yaml[0]; i++) {
        dlc_config c;
        dlc_config_error err = {0};
        char buf[1024];
        assert_int_equal(load_yaml(&c, yaml[i], &err), -1);
        dlc_config_error_format(&err, buf, sizeof buf);
        assert_null(strstr(buf, "hunter2"));
        dlc_config_free(&c);
    }
}

static void test_empty_files(void **state)
{
    (void)state;
    static const char *const texts[] = {"", "# only a comment\n\n   # another\n", "---\n",
                                        "server:\n"};
    dlc_config ref;
    dlc_config_defaults(&ref);
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
        dlc_config c;
        dlc_config_error err = {0};
        assert_int_equal(load_yaml(&c, texts[i], &err), 0);
        assert_int_equal(dlc_config_diff(&ref, &c, NULL, 0), 0);
        dlc_config_free(&c);
    }
    dlc_config_free(&ref);
}

static void test_missing_file(void **state)
{
    (void)state;
    char path[512];
    snprintf(path, sizeof path, "%s/absent.yaml", tmpdir);
    dlc_config c;
    dlc_config_error err = {0};
    assert_int_equal(dlc_config_load(&c, path, NULL, &err), -1);
    assert_string_equal(err.source, path);
    assert_error(&err, 0, "", "cannot open");
    dlc_config_free(&c);
}

static void test_env_and_flag_errors(void **state)
{
    (void)state;
    char buf[512];
    dlc_config c;
    dlc_config_error err = {0};
    dlc_config_defaults(&c);
    char *envp[] = {"DLC_RPC_WORKERS=lots", NULL};
    assert_int_equal(dlc_config_apply_env(&c, envp, &err), -1);
    assert_string_equal(err.source, "env");
    assert_error(&err, 0, "rpc.workers", "\"lots\"");
    assert_string_equal(dlc_config_error_format(&err, buf, sizeof buf),
                        "env: rpc.workers: invalid value \"lots\": expected an integer in 0..64");

    char *secret_env[] = {"DLC_AUTH_JWT_SECRET_RETENTION_MAX_RETENTION=forever", NULL};
    assert_int_equal(dlc_config_apply_env(&c, secret_env, &err), -1);
    assert_error(&err, 0, "auth.jwt.secret_retention.max_retention", "invalid value");

    assert_int_equal(dlc_config_set(&c, "rpc.wrokers", "4", &err), -1);
    assert_string_equal(err.source, "flag");
    assert_error(&err, 0, "rpc.wrokers", "unknown key");
    assert_int_equal(dlc_config_set(&c, "auth.jwt", "1h", &err), -1);
    assert_int_equal(dlc_config_set(&c, "database.ssl_mode", "nope", &err), -1);
    assert_error(&err, 0, "database.ssl_mode", "\"nope\"");
    assert_int_equal(dlc_config_set(&c, "database.port", NULL, &err), -1);
    /* a refused value leaves the previous one */
    assert_string_equal(c.database.ssl_mode, "prefer");
    assert_int_equal(c.rpc.workers, 0);
    dlc_config_free(&c);
}

static void test_validate(void **state)
{
    (void)state;
    dlc_config c;
    dlc_config_error err = {0};
    char *no_listen[] = {"DLC_RPC_LISTEN=", NULL};
    assert_int_equal(dlc_config_load(&c, NULL, no_listen, &err), -1);
    assert_string_equal(err.source, "config");
    assert_error(&err, 0, "rpc.listen", "at least one");
    dlc_config_free(&c);

    const char *path = write_yaml("rpc:\n  endpoints: []\n");
    assert_int_equal(dlc_config_load(&c, path, NULL, &err), -1);
    assert_string_equal(err.source, path);
    assert_error(&err, 0, "rpc.endpoints", "at least one");
    dlc_config_free(&c);

    char *short_ttl[] = {"DLC_AUTH_JWT_TTL=20s", NULL};
    assert_int_equal(dlc_config_load(&c, NULL, short_ttl, &err), -1);
    assert_error(&err, 0, "auth.jwt.leeway", "shorter");
    dlc_config_free(&c);

    char *short_retention[] = {"DLC_AUTH_JWT_SECRET_RETENTION_MAX_RETENTION=30m", NULL};
    assert_int_equal(dlc_config_load(&c, NULL, short_retention, &err), -1);
    assert_error(&err, 0, "auth.jwt.secret_retention.max_retention", "at least");
    dlc_config_free(&c);

    char *short_secret[] = {"DLC_AUTH_JWT_SECRET=only-31-bytes-long-secret-here!", NULL};
    assert_int_equal(dlc_config_load(&c, NULL, short_secret, &err), -1);
    assert_error(&err, 0, "auth.jwt.secret", "32 to 256 bytes");
    assert_null(strstr(err.message, "only-31")); /* the secret is never echoed */
    dlc_config_free(&c);
    char *good_secret[] = {"DLC_AUTH_JWT_SECRET=exactly-32-bytes-long-secret-ok!", NULL};
    assert_int_equal(dlc_config_load(&c, NULL, good_secret, &err), 0);
    dlc_config_free(&c);
}

static void test_error_format(void **state)
{
    (void)state;
    char buf[600];
    dlc_config_error err = {
        .source = "/etc/dlc.yaml", .line = 7, .key = "rpc.workers", .message = "bad"};
    assert_string_equal(dlc_config_error_format(&err, buf, sizeof buf),
                        "/etc/dlc.yaml:7: rpc.workers: bad");
    err.line = 0;
    assert_string_equal(dlc_config_error_format(&err, buf, sizeof buf),
                        "/etc/dlc.yaml: rpc.workers: bad");
    snprintf(err.source, sizeof err.source, "flag");
    assert_string_equal(dlc_config_error_format(&err, buf, sizeof buf), "flag: rpc.workers: bad");
    char tiny[8];
    assert_string_equal(dlc_config_error_format(&err, tiny, sizeof tiny), "flag: r");
}

static void test_reloadable(void **state)
{
    (void)state;
    static const char *const yes[] = {
        "logging.level",
        "auth.jwt.ttl",
        "api.v2_enabled",
        "ratelimit.enabled",
        "ratelimit.burst_size",
        "ratelimit.requests_per_minute",
        "cache.default_ttl_seconds",
        "cache.cleanup_interval_seconds",
        "telemetry.sampler.type",
        "telemetry.sampler.ratio",
        "logging.access",
    };
    static const char *const no[] = {
        "server.listen",     "rpc.workers",   "database.host", "auth.jwt.secret", "logging.json",
        "telemetry.enabled", "cache.enabled", "no.such.key",   "logging",         "",
        "telemetry.endpoint", "admin.listen",
    };
    for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++)
        if (!dlc_config_key_reloadable(yes[i]))
            fail_msg("%s should be reloadable", yes[i]);
    for (size_t i = 0; i < sizeof no / sizeof no[0]; i++)
        if (dlc_config_key_reloadable(no[i]))
            fail_msg("%s should not be reloadable", no[i]);
}

static void test_diff(void **state)
{
    (void)state;
    dlc_config a, b;
    dlc_config_error err = {0};
    const char *keys[8];
    dlc_config_defaults(&a);
    dlc_config_defaults(&b);
    assert_int_equal(dlc_config_diff(&a, &b, keys, 8), 0);
    assert_int_equal(dlc_config_set(&b, "logging.level", "debug", &err), 0);
    assert_int_equal(dlc_config_set(&b, "rpc.listen", "tcp://127.0.0.1:7070,tcp://x:1", &err), 0);
    assert_int_equal(dlc_config_set(&b, "rpc.workers", "3", &err), 0);
    assert_int_equal(dlc_config_set(&b, "auth.jwt.ttl", "2h", &err), 0);
    assert_int_equal(dlc_config_set(&b, "api.v2_enabled", "1", &err), 0);
    assert_int_equal(dlc_config_set(&b, "telemetry.sampler.ratio", "0.5", &err), 0);
    assert_int_equal(dlc_config_set(&b, "database.port", "5432", &err), 0); /* unchanged */
    assert_int_equal(dlc_config_diff(&a, &b, keys, 8), 6);
    assert_string_equal(keys[0], "rpc.listen");
    assert_string_equal(keys[1], "rpc.workers");
    assert_string_equal(keys[2], "auth.jwt.ttl");
    assert_string_equal(keys[3], "api.v2_enabled");
    assert_string_equal(keys[4], "logging.level");
    assert_string_equal(keys[5], "telemetry.sampler.ratio");
    assert_int_equal(dlc_config_diff(&a, &b, keys, 2), 6);
    assert_string_equal(keys[1], "rpc.workers");
    dlc_config_free(&a);
    dlc_config_free(&b);
}

static void test_copy_and_free(void **state)
{
    (void)state;
    dlc_config a, b;
    dlc_config_error err = {0};
    assert_int_equal(load_yaml(&a, "server: {trusted_proxies: [p1, p2]}\n", &err), 0);
    assert_int_equal(dlc_config_set(&a, "database.password", "s3cret", &err), 0);
    assert_int_equal(dlc_config_set(&a, "database.password", "s3cret2", &err), 0);
    assert_int_equal(dlc_config_copy(&b, &a), 0);
    assert_int_equal(dlc_config_diff(&a, &b, NULL, 0), 0);
    assert_ptr_not_equal(a.database.password, b.database.password);
    assert_ptr_not_equal(a.server.trusted_proxies.items, b.server.trusted_proxies.items);
    assert_ptr_not_equal(a.source_file, b.source_file);
    assert_string_equal(b.source_file, a.source_file);

    assert_int_equal(dlc_config_set(&b, "server.trusted_proxies", "p3", &err), 0);
    assert_int_equal(dlc_config_set(&b, "database.password", "other", &err), 0);
    assert_list(&a.server.trusted_proxies, 2, "p1", "p2");
    assert_string_equal(a.database.password, "s3cret2");
    assert_int_equal(dlc_config_diff(&a, &b, NULL, 0), 2);

    dlc_config_free(&a);
    assert_null(a.database.password);
    dlc_config_free(&a); /* freeing twice is harmless */
    dlc_config_free(NULL);
    assert_list(&b.server.trusted_proxies, 1, "p3");
    dlc_config_free(&b);
}

/* Container secrets: a *_file key's file is read into its key (one
 * trailing newline dropped); both set, or an unreadable file, is an error. */
static void secrets_from_files(void **state)
{
    (void)state;
    char path[600];
    snprintf(path, sizeof path, "%s", write_yaml("a-secret-of-at-least-32-bytes-long!!\n"));
    dlc_config c;
    dlc_config_error err = {0};
    dlc_config_defaults(&c);
    assert_int_equal(dlc_config_set(&c, "auth.jwt.secret_file", path, &err), 0);
    assert_int_equal(dlc_config_read_secret_files(&c, &err), 0);
    assert_string_equal(c.auth.jwt.secret, "a-secret-of-at-least-32-bytes-long!!");
    /* the key and its file both: refused */
    assert_int_equal(dlc_config_read_secret_files(&c, &err), -1);
    assert_string_equal(err.key, "auth.jwt.secret_file");
    assert_non_null(strstr(err.message, "not both"));
    dlc_config_free(&c);

    dlc_config_defaults(&c);
    assert_int_equal(dlc_config_set(&c, "database.password_file", "/nonexistent/dlc", &err), 0);
    assert_int_equal(dlc_config_read_secret_files(&c, &err), -1);
    assert_string_equal(err.key, "database.password_file");
    assert_non_null(strstr(err.message, "No such file"));
    dlc_config_free(&c);

    assert_true(dlc_config_key_is_secret("auth.admin_master_password"));
    assert_false(dlc_config_key_is_secret("auth.admin_master_password_file"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(secrets_from_files),
        cmocka_unit_test(test_precedence),
        cmocka_unit_test(test_durations),
        cmocka_unit_test(test_lists),
        cmocka_unit_test(test_scalars),
        cmocka_unit_test(test_file_errors),
        cmocka_unit_test(test_secrets_not_echoed),
        cmocka_unit_test(test_empty_files),
        cmocka_unit_test(test_missing_file),
        cmocka_unit_test(test_env_and_flag_errors),
        cmocka_unit_test(test_validate),
        cmocka_unit_test(test_error_format),
        cmocka_unit_test(test_reloadable),
        cmocka_unit_test(test_diff),
        cmocka_unit_test(test_copy_and_free),
    };
    return cmocka_run_group_tests(tests, make_tmpdir, remove_tmpdir);
}
