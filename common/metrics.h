/*
 * dlc_metrics: a small registry of metric families and their Prometheus
 * text exposition (format 0.0.4), shared by both daemons.
 *
 * A family has a fixed, bounded set of series: each label takes its values
 * from a static list given at registration (route templates, method names,
 * status codes: never raw input), and a series is addressed by the indexes
 * of its label values (dlc_metric_series). Every series exists from the
 * start, so the hot path is one or three relaxed atomic additions, no lock
 * and no allocation. Values that live elsewhere (a cache's hit count, a
 * queue's depth) are copied in by a collector the registry calls before
 * each rendering (dlc_metrics_on_scrape).
 *
 * Rendering adds the standard families: dlc_build_info{version,commit},
 * dlc_config_generation (of the daemon's running configuration, when the
 * registry was given one) and the process_* metrics read from /proc/self.
 *
 * Ownership: the registry owns its families (freed with it); label value
 * lists, names and help texts are borrowed and must outlive the registry.
 * Registration happens before serving, from one thread; updates and
 * rendering are safe from any thread. Every update tolerates m == NULL
 * (metrics not wired), doing nothing.
 */
#ifndef DLC_METRICS_H
#define DLC_METRICS_H

#include "common/reload.h"

#include <stddef.h>
#include <stdint.h>

typedef enum {
    DLC_METRIC_COUNTER,
    DLC_METRIC_GAUGE,
    DLC_METRIC_HISTOGRAM, /* observations in microseconds, exposed in seconds */
    DLC_METRIC_SUMMARY,   /* _count and _sum (microseconds, exposed in seconds) only */
} dlc_metric_type;

/* One label: its name and every value it may take. */
typedef struct {
    const char *name;
    const char *const *values;
    size_t n_values;
} dlc_metrics_label;

typedef struct dlc_metrics dlc_metrics;
typedef struct dlc_metric dlc_metric;

/* An empty registry; live (may be NULL: no dlc_config_generation) must
 * outlive it. NULL on OOM. */
dlc_metrics *dlc_metrics_new(const dlc_reload *live);
/* Frees the registry and its families; NULL is a no-op. No update may run. */
void dlc_metrics_free(dlc_metrics *r);

/* Registers a family; NULL on OOM. Histograms take n_bounds upper bounds
 * in seconds, increasing (the +Inf bucket is implicit); other types pass
 * NULL, 0. At most 4 labels. */
dlc_metric *dlc_metrics_add(dlc_metrics *r, dlc_metric_type type, const char *name,
                            const char *help, const dlc_metrics_label *labels, size_t n_labels,
                            const double *bounds, size_t n_bounds);

/* The series of the label value indexes idx[0..n_labels-1] (each clamped
 * to its label's last value, conventionally "other"). */
size_t dlc_metric_series(const dlc_metric *m, const size_t *idx);

/* Counter: adds n. Gauge: adds n (negative allowed). */
void dlc_metric_add(dlc_metric *m, size_t series, int64_t n);
/* Counter or gauge: sets the value (collectors copying a figure kept elsewhere). */
void dlc_metric_set(dlc_metric *m, size_t series, int64_t v);
/* Histogram or summary: one observation of us microseconds. */
void dlc_metric_observe(dlc_metric *m, size_t series, int64_t us);
/* Summary: sets count and sum (collectors). */
void dlc_metric_set_summary(dlc_metric *m, size_t series, int64_t count, int64_t sum_us);

/* Calls fn(arg) before each rendering (at most 8 collectors). */
void dlc_metrics_on_scrape(dlc_metrics *r, void (*fn)(void *arg), void *arg);

/* The exposition text, malloc'd (caller frees), its length in *len; NULL
 * on OOM. Runs the collectors first. */
char *dlc_metrics_render(dlc_metrics *r, size_t *len);

/* The Content-Type of the rendering. */
#define DLC_METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

/* Label values for HTTP status codes (index by dlc_metrics_status_index). */
extern const char *const dlc_metrics_statuses[];
extern const size_t dlc_metrics_status_count;
size_t dlc_metrics_status_index(int status);

/* Default latency bounds in seconds, 1 ms … 10 s. */
extern const double dlc_metrics_latency_bounds[];
extern const size_t dlc_metrics_latency_bound_count;

#endif
