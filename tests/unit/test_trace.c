/* dlc_trace and dlc_otlp: traceparent parsing and formatting, the sampler,
 * and one batch exported to a collector on a loopback socket. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "common/otlp.h"
#include "common/trace.h"

#include <arpa/inet.h>
#include <jansson.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define TRACE "4bf92f3577b34da6a3ce929d0e0e4736"
#define SPAN "00f067aa0ba902b7"

static void valid_traceparents_parse(void **state)
{
    (void)state;
    dlc_trace_parent p;
    assert_true(dlc_trace_parse("00-" TRACE "-" SPAN "-01", &p));
    assert_string_equal(p.trace_id, TRACE);
    assert_string_equal(p.span_id, SPAN);
    assert_true(p.sampled);
    assert_true(dlc_trace_parse("00-" TRACE "-" SPAN "-00", &p));
    assert_false(p.sampled);
    assert_true(dlc_trace_parse("00-" TRACE "-" SPAN "-03", &p)); /* other flags kept out */
    assert_true(p.sampled);
}

static void invalid_traceparents_are_refused(void **state)
{
    (void)state;
    static const char *const bad[] = {
        NULL,
        "",
        "00-" TRACE "-" SPAN "-1",
        "00-" TRACE "-" SPAN "-011",
        "01-" TRACE "-" SPAN "-01",
        "ff-" TRACE "-" SPAN "-01",
        "00-4BF92F3577B34DA6A3CE929D0E0E4736-" SPAN "-01",
        "00-00000000000000000000000000000000-" SPAN "-01",
        "00-" TRACE "-0000000000000000-01",
        "00-" TRACE "-" SPAN "-0g",
        "00_" TRACE "-" SPAN "-01",
        "00-" TRACE "-" SPAN "-01-extra",
    };
    dlc_trace_parent p;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (dlc_trace_parse(bad[i], &p))
            fail_msg("accepted %s", bad[i]);
}

static void children_keep_the_trace(void **state)
{
    (void)state;
    dlc_trace_parent p;
    assert_true(dlc_trace_parse("00-" TRACE "-" SPAN "-01", &p));
    dlc_trace_ctx c;
    dlc_trace_new_child(&p, &c);
    assert_string_equal(c.trace_id, TRACE);
    assert_string_equal(c.parent_span_id, SPAN);
    assert_int_equal(strlen(c.span_id), 16);
    assert_string_not_equal(c.span_id, SPAN);
    assert_true(c.start_ns > 0);
    c.sampled = true;
    char tp[DLC_TRACEPARENT_LEN];
    dlc_trace_format(&c, tp);
    dlc_trace_parent back;
    assert_true(dlc_trace_parse(tp, &back));
    assert_string_equal(back.span_id, c.span_id);
    assert_true(back.sampled);

    dlc_trace_ctx root;
    dlc_trace_new_child(NULL, &root);
    assert_int_equal(strlen(root.trace_id), 32);
    assert_string_equal(root.parent_span_id, "");
    dlc_trace_format(&root, tp);
    assert_true(dlc_trace_parse(tp, &back));
    assert_false(back.sampled);
}

static void the_sampler_follows_its_type(void **state)
{
    (void)state;
    dlc_trace_parent on = {TRACE, SPAN, true}, off = {TRACE, SPAN, false};
    dlc_trace_ctx c = {.trace_id = TRACE};
    assert_true(dlc_trace_sample("always_on", 0, &off, &c));
    assert_false(dlc_trace_sample("always_off", 1, &on, &c));
    assert_true(dlc_trace_sample("parentbased_always_on", 1, NULL, &c));
    assert_false(dlc_trace_sample("parentbased_always_on", 1, &off, &c));
    assert_true(dlc_trace_sample("parentbased_always_off", 0, &on, &c));
    assert_false(dlc_trace_sample("parentbased_always_off", 0, NULL, &c));
    assert_false(dlc_trace_sample("parentbased_traceidratio", 1, &off, &c));
    assert_true(dlc_trace_sample("parentbased_traceidratio", 0, &on, &c));
    assert_false(dlc_trace_sample("no_such_sampler", 1, NULL, &c));
    /* traceidratio: the id's last 8 bytes, a3ce929d0e0e4736 ≈ 0.64 of 2^64 */
    assert_true(dlc_trace_sample("traceidratio", 0.65, &off, &c));
    assert_false(dlc_trace_sample("traceidratio", 0.63, &on, &c));
    assert_true(dlc_trace_sample("traceidratio", 1, NULL, &c));
    assert_false(dlc_trace_sample("traceidratio", 0, NULL, &c));
    int sampled = 0;
    for (int i = 0; i < 1000; i++) {
        dlc_trace_ctx r;
        dlc_trace_new_child(NULL, &r);
        sampled += dlc_trace_sample("traceidratio", 0.25, NULL, &r);
    }
    assert_in_range(sampled, 150, 350);
}

/* ---- export ---------------------------------------------------------------- */

typedef struct {
    int listener;
    char request[65536];
} collector;

/* Accepts one connection, reads the request to its Content-Length, answers 200. */
static void *collect(void *arg)
{
    collector *c = arg;
    int fd = accept(c->listener, NULL, NULL);
    size_t got = 0;
    for (;;) {
        ssize_t n = recv(fd, c->request + got, sizeof c->request - 1 - got, 0);
        if (n <= 0)
            break;
        got += (size_t)n;
        c->request[got] = '\0';
        char *body = strstr(c->request, "\r\n\r\n");
        const char *cl = strstr(c->request, "Content-Length: ");
        if (body && cl && strlen(body + 4) >= (size_t)atol(cl + 16))
            break;
    }
    static const char ok[] = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}";
    if (send(fd, ok, sizeof ok - 1, 0) != (ssize_t)sizeof ok - 1)
        c->request[0] = '\0'; /* fails the test's checks (no cmocka outside its thread) */
    close(fd);
    return NULL;
}

static int listen_loopback(int *port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(listen(fd, 4), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
    *port = ntohs(a.sin_port);
    return fd;
}

static void a_span_is_posted_as_otlp_json(void **state)
{
    (void)state;
    static collector c;
    int port;
    c.listener = listen_loopback(&port);
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, collect, &c), 0);
    char endpoint[64], err[256];
    snprintf(endpoint, sizeof endpoint, "http://127.0.0.1:%d/otel/", port);
    dlc_otlp *x = dlc_otlp_start("dlc-test", endpoint, err, sizeof err);
    assert_non_null(x);
    dlc_trace_ctx ctx = {.trace_id = TRACE, .span_id = "1111111111111111",
                         .parent_span_id = SPAN, .sampled = true, .start_ns = 1000};
    dlc_otlp_attr attrs[] = {{"http.route", "/a/{b}", 0}, {"http.response.status_code", NULL, 503}};
    dlc_otlp_span span = {&ctx, "GET /a/{b}", DLC_OTLP_SERVER, 2000, true, "down", attrs, 2};
    dlc_otlp_submit(x, &span);
    dlc_otlp_stop(x); /* sends what is queued */
    pthread_join(t, NULL);
    close(c.listener);

    assert_non_null(strstr(c.request, "POST /otel/v1/traces HTTP/1.1\r\n"));
    assert_non_null(strstr(c.request, "Content-Type: application/json\r\n"));
    json_t *doc = json_loads(strstr(c.request, "\r\n\r\n") + 4, 0, NULL);
    assert_non_null(doc);
    json_t *rs = json_array_get(json_object_get(doc, "resourceSpans"), 0);
    json_t *attr = json_array_get(json_object_get(json_object_get(rs, "resource"), "attributes"), 0);
    assert_string_equal(json_string_value(json_object_get(attr, "key")), "service.name");
    json_t *s = json_array_get(
        json_object_get(json_array_get(json_object_get(rs, "scopeSpans"), 0), "spans"), 0);
    assert_string_equal(json_string_value(json_object_get(s, "traceId")), TRACE);
    assert_string_equal(json_string_value(json_object_get(s, "spanId")), "1111111111111111");
    assert_string_equal(json_string_value(json_object_get(s, "parentSpanId")), SPAN);
    assert_string_equal(json_string_value(json_object_get(s, "name")), "GET /a/{b}");
    assert_int_equal(json_integer_value(json_object_get(s, "kind")), 2);
    assert_string_equal(json_string_value(json_object_get(s, "startTimeUnixNano")), "1000");
    assert_string_equal(json_string_value(json_object_get(s, "endTimeUnixNano")), "2000");
    json_t *status = json_object_get(s, "status");
    assert_int_equal(json_integer_value(json_object_get(status, "code")), 2);
    json_t *code = json_object_get(json_array_get(json_object_get(s, "attributes"), 1), "value");
    assert_string_equal(json_string_value(json_object_get(code, "intValue")), "503");
    json_decref(doc);
}

static void bad_endpoints_are_refused(void **state)
{
    (void)state;
    static const char *const bad[] = {"https://collector:4318", "127.0.0.1:4318", "http://",
                                      "http://host:/x", "http://host:123456789",
                                      "http://host:80a", "http://host/a b"};
    char err[256];
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        dlc_otlp *x = dlc_otlp_start("s", bad[i], err, sizeof err);
        if (x)
            fail_msg("accepted %s", bad[i]);
        assert_non_null(strstr(err, "telemetry.endpoint"));
    }
}

int main(void)
{
    if (sodium_init() < 0)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(valid_traceparents_parse),
        cmocka_unit_test(invalid_traceparents_are_refused),
        cmocka_unit_test(children_keep_the_trace),
        cmocka_unit_test(the_sampler_follows_its_type),
        cmocka_unit_test(a_span_is_posted_as_otlp_json),
        cmocka_unit_test(bad_endpoints_are_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
