/* The metrics registry: series addressing, what is rendered, escaping, and
 * (when promtool is installed) that promtool accepts the exposition. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "common/metrics.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *const COLOURS[] = {"red", "a \"quoted\\\" one\nnewline", "other"};
static const char *const SIZES[] = {"s", "m"};

typedef struct {
    dlc_metrics *reg;
    dlc_metric *counter, *hist, *gauge, *summary;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    f->reg = dlc_metrics_new(NULL);
    const dlc_metrics_label l[] = {{"colour", COLOURS, 3}, {"size", SIZES, 2}};
    static const double bounds[] = {0.001, 0.01};
    f->counter = dlc_metrics_add(f->reg, DLC_METRIC_COUNTER, "t_things_total", "Things.\nSeen.",
                                 l, 2, NULL, 0);
    f->hist = dlc_metrics_add(f->reg, DLC_METRIC_HISTOGRAM, "t_wait_seconds", "Waits.", l, 1,
                              bounds, 2);
    f->gauge = dlc_metrics_add(f->reg, DLC_METRIC_GAUGE, "t_depth", "Depth.", NULL, 0, NULL, 0);
    f->summary = dlc_metrics_add(f->reg, DLC_METRIC_SUMMARY, "t_queue_seconds", "Queue.", NULL, 0,
                                 NULL, 0);
    assert_non_null(f->counter);
    assert_non_null(f->hist);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    dlc_metrics_free(f->reg);
    free(f);
    return 0;
}

static char *render(fixture *f)
{
    size_t len = 0;
    char *text = dlc_metrics_render(f->reg, &len);
    assert_non_null(text);
    assert_int_equal(strlen(text), len);
    return text;
}

static void series_are_mixed_radix_and_clamped(void **state)
{
    fixture *f = *state;
    assert_int_equal(dlc_metric_series(f->counter, (size_t[]){0, 0}), 0);
    assert_int_equal(dlc_metric_series(f->counter, (size_t[]){1, 1}), 3);
    assert_int_equal(dlc_metric_series(f->counter, (size_t[]){99, 1}), 5); /* "other" */
    assert_int_equal(dlc_metrics_status_index(404), 9);
    assert_string_equal(dlc_metrics_statuses[dlc_metrics_status_index(299)], "other");
}

static void only_moved_series_are_rendered(void **state)
{
    fixture *f = *state;
    dlc_metric_add(f->counter, dlc_metric_series(f->counter, (size_t[]){0, 1}), 2);
    dlc_metric_add(f->counter, dlc_metric_series(f->counter, (size_t[]){0, 1}), 1);
    dlc_metric_set(f->gauge, 0, -4);
    char *text = render(f);
    assert_non_null(strstr(text, "t_things_total{colour=\"red\",size=\"m\"} 3\n"));
    assert_null(strstr(text, "size=\"s\"} "));
    assert_non_null(strstr(text, "# HELP t_things_total Things.\\nSeen.\n"));
    assert_non_null(strstr(text, "# TYPE t_things_total counter\n"));
    assert_non_null(strstr(text, "t_depth -4\n"));
    assert_non_null(strstr(text, "dlc_build_info{version=\""));
    assert_non_null(strstr(text, "process_open_fds "));
    assert_non_null(strstr(text, "process_start_time_seconds "));
    free(text);
}

static void histograms_are_cumulative(void **state)
{
    fixture *f = *state;
    size_t s = dlc_metric_series(f->hist, (size_t[]){1});
    dlc_metric_observe(f->hist, s, 500);     /* ≤ 1 ms */
    dlc_metric_observe(f->hist, s, 1000);    /* ≤ 1 ms (bounds are inclusive) */
    dlc_metric_observe(f->hist, s, 5000);    /* ≤ 10 ms */
    dlc_metric_observe(f->hist, s, 2000000); /* +Inf */
    dlc_metric_set_summary(f->summary, 0, 3, 1500000);
    char *text = render(f);
    const char *c = "colour=\"a \\\"quoted\\\\\\\" one\\nnewline\"";
    char want[256];
    snprintf(want, sizeof want, "t_wait_seconds_bucket{%s,le=\"0.001\"} 2\n", c);
    assert_non_null(strstr(text, want));
    snprintf(want, sizeof want, "t_wait_seconds_bucket{%s,le=\"0.01\"} 3\n", c);
    assert_non_null(strstr(text, want));
    snprintf(want, sizeof want, "t_wait_seconds_bucket{%s,le=\"+Inf\"} 4\n", c);
    assert_non_null(strstr(text, want));
    snprintf(want, sizeof want, "t_wait_seconds_sum{%s} 2.006500\n", c);
    assert_non_null(strstr(text, want));
    snprintf(want, sizeof want, "t_wait_seconds_count{%s} 4\n", c);
    assert_non_null(strstr(text, want));
    assert_non_null(strstr(text, "t_queue_seconds_sum 1.500000\nt_queue_seconds_count 3\n"));
    free(text);
}

static void promtool_accepts_it(void **state)
{
    fixture *f = *state;
    if (access("/usr/bin/promtool", X_OK) != 0)
        skip();
    dlc_metric_add(f->counter, 0, 1);
    dlc_metric_observe(f->hist, 0, 700);
    char *text = render(f);
    char path[] = "/tmp/dlc-metrics-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "/usr/bin/promtool check metrics < %s", path);
    int rc = system(cmd);
    unlink(path);
    free(text);
    assert_int_equal(rc, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(series_are_mixed_radix_and_clamped, setup, teardown),
        cmocka_unit_test_setup_teardown(only_moved_series_are_rendered, setup, teardown),
        cmocka_unit_test_setup_teardown(histograms_are_cumulative, setup, teardown),
        cmocka_unit_test_setup_teardown(promtool_accepts_it, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
