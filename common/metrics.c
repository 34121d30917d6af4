/*
 * dlc_metrics: fixed families of atomic series, and their rendering in the
 * Prometheus text format (see metrics.h). Process metrics come from
 * /proc/self/stat, /proc/stat (boot time) and /proc/self/fd.
 */
#include "common/metrics.h"

#include "dlc_version.h"

#include <dirent.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_LABELS 4
#define MAX_COLLECTORS 8

struct dlc_metric {
    dlc_metric_type type;
    const char *name, *help;
    dlc_metrics_label labels[MAX_LABELS];
    size_t n_labels;
    int64_t *bounds_us; /* histograms: n_bounds upper bounds */
    size_t n_bounds;
    size_t n_series;
    size_t stride;        /* values a series holds (see slots_of) */
    atomic_llong *values; /* n_series * stride */
    struct dlc_metric *next;
};

struct dlc_metrics {
    dlc_metric *head, *tail;
    struct {
        void (*fn)(void *);
        void *arg;
    } collectors[MAX_COLLECTORS];
    size_t n_collectors;
    const dlc_reload *live; /* for dlc_config_generation; NULL: none */
};

const char *const dlc_metrics_statuses[] = {
    "200", "201", "204", "301", "302", "304", "400", "401", "403", "404", "405", "408",
    "409", "413", "415", "422", "429", "499", "500", "501", "502", "503", "504", "other"};
const size_t dlc_metrics_status_count =
    sizeof dlc_metrics_statuses / sizeof dlc_metrics_statuses[0];

const double dlc_metrics_latency_bounds[] = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
                                             0.25,  0.5,    1,     2.5,  5,     10};
const size_t dlc_metrics_latency_bound_count =
    sizeof dlc_metrics_latency_bounds / sizeof dlc_metrics_latency_bounds[0];

size_t dlc_metrics_status_index(int status)
{
    /* dlc_metrics_statuses as numbers, in the same order */
    static const short codes[] = {200, 201, 204, 301, 302, 304, 400, 401, 403, 404, 405, 408,
                                  409, 413, 415, 422, 429, 499, 500, 501, 502, 503, 504};
    _Static_assert(sizeof codes / sizeof codes[0] + 1 ==
                       sizeof dlc_metrics_statuses / sizeof dlc_metrics_statuses[0],
                   "one code per status label but \"other\"");
    for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++) {
        if (codes[i] == status)
            return i;
    }
    return dlc_metrics_status_count - 1;
}

/* ---- registry ------------------------------------------------------------ */

dlc_metrics *dlc_metrics_new(const dlc_reload *live)
{
    dlc_metrics *r = calloc(1, sizeof *r);
    if (r)
        r->live = live;
    return r;
}

static void family_free(dlc_metric *m)
{
    free(m->bounds_us);
    free(m->values);
    free(m);
}

void dlc_metrics_free(dlc_metrics *r)
{
    if (!r)
        return;
    for (dlc_metric *m = r->head, *next; m; m = next) {
        next = m->next;
        family_free(m);
    }
    free(r);
}

/* Values per series: a histogram's buckets (the last is +Inf) and its sum;
 * a summary's count and sum; one otherwise. */
static size_t slots_of(dlc_metric_type type, size_t n_bounds)
{
    return type == DLC_METRIC_HISTOGRAM ? n_bounds + 2 : type == DLC_METRIC_SUMMARY ? 2 : 1;
}

dlc_metric *dlc_metrics_add(dlc_metrics *r, dlc_metric_type type, const char *name,
                            const char *help, const dlc_metrics_label *labels, size_t n_labels,
                            const double *bounds, size_t n_bounds)
{
    dlc_metric *m = calloc(1, sizeof *m);
    if (!m || n_labels > MAX_LABELS) {
        free(m);
        return NULL;
    }
    *m = (dlc_metric){.type = type,
                      .name = name,
                      .help = help,
                      .n_labels = n_labels,
                      .n_bounds = type == DLC_METRIC_HISTOGRAM ? n_bounds : 0,
                      .n_series = 1};
    for (size_t i = 0; i < n_labels; i++) {
        m->labels[i] = labels[i];
        m->n_series *= labels[i].n_values ? labels[i].n_values : 1;
    }
    m->stride = slots_of(type, m->n_bounds);
    m->values = calloc(m->n_series * m->stride, sizeof *m->values);
    m->bounds_us = m->n_bounds ? calloc(m->n_bounds, sizeof *m->bounds_us) : NULL;
    if (!m->values || (m->n_bounds && !m->bounds_us)) {
        family_free(m);
        return NULL;
    }
    for (size_t i = 0; i < m->n_bounds; i++)
        m->bounds_us[i] = (int64_t)(bounds[i] * 1e6 + 0.5);
    if (r->tail)
        r->tail->next = m;
    else
        r->head = m;
    r->tail = m;
    return m;
}

size_t dlc_metric_series(const dlc_metric *m, const size_t *idx)
{
    size_t s = 0;
    for (size_t i = 0; m && i < m->n_labels; i++) {
        size_t n = m->labels[i].n_values;
        s = s * n + (idx[i] < n ? idx[i] : n - 1);
    }
    return s;
}

static atomic_llong *slot(dlc_metric *m, size_t series, size_t k)
{
    return &m->values[(series < m->n_series ? series : 0) * m->stride + k];
}

void dlc_metric_add(dlc_metric *m, size_t series, int64_t n)
{
    if (m)
        atomic_fetch_add_explicit(slot(m, series, 0), n, memory_order_relaxed);
}

void dlc_metric_set(dlc_metric *m, size_t series, int64_t v)
{
    if (m)
        atomic_store_explicit(slot(m, series, 0), v, memory_order_relaxed);
}

void dlc_metric_observe(dlc_metric *m, size_t series, int64_t us)
{
    if (!m)
        return;
    size_t b = 0; /* summaries: slot 0 is the count */
    while (b < m->n_bounds && us > m->bounds_us[b])
        b++;
    atomic_fetch_add_explicit(slot(m, series, b), 1, memory_order_relaxed);
    atomic_fetch_add_explicit(slot(m, series, m->stride - 1), us, memory_order_relaxed);
}

void dlc_metric_set_summary(dlc_metric *m, size_t series, int64_t count, int64_t sum_us)
{
    if (!m || m->type != DLC_METRIC_SUMMARY)
        return;
    atomic_store_explicit(slot(m, series, 0), count, memory_order_relaxed);
    atomic_store_explicit(slot(m, series, 1), sum_us, memory_order_relaxed);
}

void dlc_metrics_on_scrape(dlc_metrics *r, void (*fn)(void *arg), void *arg)
{
    if (r->n_collectors < MAX_COLLECTORS) {
        r->collectors[r->n_collectors].fn = fn;
        r->collectors[r->n_collectors++].arg = arg;
    }
}

/* ---- rendering ----------------------------------------------------------- */

typedef struct {
    char *buf;
    size_t len, cap;
    bool failed;
} text;

static void put(text *t, const char *fmt, ...)
{
    for (int pass = 0; pass < 2 && !t->failed; pass++) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(t->buf + t->len, t->cap - t->len, fmt, ap);
        va_end(ap);
        if (n < 0) {
            t->failed = true;
        } else if ((size_t)n < t->cap - t->len) {
            t->len += (size_t)n;
            return;
        } else {
            size_t cap = (t->cap + (size_t)n) * 2;
            char *grown = realloc(t->buf, cap);
            if (!grown)
                t->failed = true;
            t->buf = grown ? grown : t->buf;
            t->cap = grown ? cap : t->cap;
        }
    }
}

/* A label value or help text, escaped (\\, \n; and \" in label values). */
static void put_escaped(text *t, const char *s, bool quote)
{
    for (; *s; s++) {
        if (*s == '\\')
            put(t, "\\\\");
        else if (*s == '\n')
            put(t, "\\n");
        else if (*s == '"' && quote)
            put(t, "\\\"");
        else
            put(t, "%c", *s);
    }
}

static void put_header(text *t, const char *name, const char *help, const char *type)
{
    put(t, "# HELP %s ", name);
    put_escaped(t, help, false);
    put(t, "\n# TYPE %s %s\n", name, type);
}

/* {a="x",b="y"[,le="…"]}, or nothing without labels. */
static void put_labels(text *t, const dlc_metric *m, size_t series, const char *le)
{
    if (m->n_labels == 0 && !le)
        return;
    size_t idx[MAX_LABELS];
    for (size_t i = m->n_labels; i-- > 0;) {
        idx[i] = series % m->labels[i].n_values;
        series /= m->labels[i].n_values;
    }
    put(t, "{");
    for (size_t i = 0; i < m->n_labels; i++) {
        put(t, "%s%s=\"", i ? "," : "", m->labels[i].name);
        put_escaped(t, m->labels[i].values[idx[i]], true);
        put(t, "\"");
    }
    if (le)
        put(t, "%sle=\"%s\"", m->n_labels ? "," : "", le);
    put(t, "}");
}

static long long value(const dlc_metric *m, size_t series, size_t k)
{
    return atomic_load_explicit(&m->values[series * m->stride + k], memory_order_relaxed);
}

static void put_histogram(text *t, const dlc_metric *m, size_t s)
{
    long long cumulative = 0;
    for (size_t b = 0; b <= m->n_bounds; b++) {
        char le[32];
        if (b < m->n_bounds)
            snprintf(le, sizeof le, "%g", (double)m->bounds_us[b] / 1e6);
        else
            snprintf(le, sizeof le, "+Inf");
        cumulative += value(m, s, b);
        put(t, "%s_bucket", m->name);
        put_labels(t, m, s, le);
        put(t, " %lld\n", cumulative);
    }
    put(t, "%s_sum", m->name);
    put_labels(t, m, s, NULL);
    put(t, " %.6f\n%s_count", (double)value(m, s, m->stride - 1) / 1e6, m->name);
    put_labels(t, m, s, NULL);
    put(t, " %lld\n", cumulative);
}

static void put_summary(text *t, const dlc_metric *m, size_t s)
{
    put(t, "%s_sum", m->name);
    put_labels(t, m, s, NULL);
    put(t, " %.6f\n%s_count", (double)value(m, s, 1) / 1e6, m->name);
    put_labels(t, m, s, NULL);
    put(t, " %lld\n", value(m, s, 0));
}

/* Whether a labelled series has anything to say: counters and histograms
 * that never moved are left out (bounded, but mostly empty, label spaces). */
static bool worth_showing(const dlc_metric *m, size_t s)
{
    if (m->n_labels == 0 || m->type == DLC_METRIC_GAUGE)
        return true;
    for (size_t k = 0; k < m->stride; k++) {
        if (value(m, s, k) != 0)
            return true;
    }
    return false;
}

static void put_family(text *t, const dlc_metric *m)
{
    static const char *const types[] = {"counter", "gauge", "histogram", "summary"};
    put_header(t, m->name, m->help, types[m->type]);
    for (size_t s = 0; s < m->n_series; s++) {
        if (!worth_showing(m, s))
            continue;
        if (m->type == DLC_METRIC_HISTOGRAM) {
            put_histogram(t, m, s);
        } else if (m->type == DLC_METRIC_SUMMARY) {
            put_summary(t, m, s);
        } else {
            put(t, "%s", m->name);
            put_labels(t, m, s, NULL);
            put(t, " %lld\n", value(m, s, 0));
        }
    }
}

/* ---- standard families ---------------------------------------------------- */

/* /proc/stat's btime: the boot time, seconds since the epoch (0 if unknown). */
static long long boot_time(void)
{
    FILE *f = fopen("/proc/stat", "r");
    char line[256];
    long long bt = 0;
    while (f && fgets(line, sizeof line, f)) {
        if (sscanf(line, "btime %lld", &bt) == 1)
            break;
    }
    if (f)
        fclose(f);
    return bt;
}

static long open_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    long n = 0;
    for (struct dirent *e; d && (e = readdir(d));)
        n += e->d_name[0] != '.';
    if (d)
        closedir(d);
    return d ? n - 1 : 0; /* the directory's own descriptor */
}

/* A family of one unlabelled sample. */
static void put_single(text *t, const char *name, const char *help, const char *type, double v)
{
    put_header(t, name, help, type);
    put(t, "%s %.15g\n", name, v);
}

static void put_process(text *t)
{
    char buf[1024] = "";
    FILE *f = fopen("/proc/self/stat", "r");
    size_t n = f ? fread(buf, 1, sizeof buf - 1, f) : 0;
    if (f)
        fclose(f);
    buf[n] = '\0';
    const char *p = strrchr(buf, ')'); /* the command name may hold spaces */
    unsigned long long utime = 0, stime = 0, start = 0, rss = 0;
    /* after ") ": state(3) … utime(14) stime(15) … starttime(22) vsize(23) rss(24) */
    if (p && sscanf(p + 2,
                    "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu %*d %*d %*d %*d "
                    "%*d %*d %llu %*u %llu",
                    &utime, &stime, &start, &rss) != 4)
        return;
    double tck = (double)sysconf(_SC_CLK_TCK);
    put_single(t, "process_cpu_seconds_total", "Total user and system CPU time spent in seconds.",
               "counter", (double)(utime + stime) / tck);
    put_single(t, "process_resident_memory_bytes", "Resident memory size in bytes.", "gauge",
               (double)rss * (double)sysconf(_SC_PAGESIZE));
    put_single(t, "process_open_fds", "Number of open file descriptors.", "gauge",
               (double)open_fds());
    put_single(t, "process_start_time_seconds",
               "Start time of the process since unix epoch in seconds.", "gauge",
               (double)boot_time() + (double)start / tck);
}

static void put_build_info(text *t)
{
    put_header(t, "dlc_build_info", "Version and commit of this build (always 1).", "gauge");
    put(t, "dlc_build_info{version=\"");
    put_escaped(t, DLC_VERSION, true);
    put(t, "\",commit=\"");
    put_escaped(t, DLC_COMMIT, true);
    put(t, "\"} 1\n");
}

char *dlc_metrics_render(dlc_metrics *r, size_t *len)
{
    for (size_t i = 0; i < r->n_collectors; i++)
        r->collectors[i].fn(r->collectors[i].arg);
    text t = {.cap = 16384};
    t.buf = malloc(t.cap);
    t.failed = !t.buf;
    put_build_info(&t);
    if (r->live) {
        uint64_t gen = 0;
        dlc_reload_config(r->live, &gen);
        put_single(&t, "dlc_config_generation",
                   "Generation of the running configuration (1 at start, +1 per reload).", "gauge",
                   (double)gen);
    }
    for (const dlc_metric *m = r->head; m; m = m->next)
        put_family(&t, m);
    put_process(&t);
    if (t.failed) {
        free(t.buf);
        return NULL;
    }
    *len = t.len;
    return t.buf;
}
