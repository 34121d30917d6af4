/*
 * dlc_otlp: a span exporter speaking OTLP/HTTP with JSON encoding.
 *
 * Request paths hand finished spans to dlc_otlp_submit, which encodes one
 * span and puts it on a bounded queue: it never waits for the network, and
 * a full queue drops the span (counted, logged by the exporter thread). A
 * background thread POSTs the queue to <endpoint>/v1/traces every second,
 * or sooner once a batch is full, as
 *   {"resourceSpans":[{"resource":{"attributes":[service.name]},
 *                      "scopeSpans":[{"scope":{"name":"dlc"},"spans":[…]}]}]}
 * with ids as lowercase hex and times as strings of Unix nanoseconds (the
 * OTLP JSON mapping). A failed POST drops its batch (logged, rate-limited).
 * dlc_otlp_stop sends what is queued, then stops the thread.
 *
 * Only http:// endpoints (a collector beside the daemon); one connection
 * per batch (Connection: close).
 */
#ifndef DLC_OTLP_H
#define DLC_OTLP_H

#include "common/trace.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum { DLC_OTLP_SERVER = 2, DLC_OTLP_CLIENT = 3 } dlc_otlp_kind;

/* One attribute: a string, or (str NULL) an integer. */
typedef struct {
    const char *key;
    const char *str;
    int64_t num;
} dlc_otlp_attr;

/* A finished span; everything borrowed for the duration of the call. */
typedef struct {
    const dlc_trace_ctx *ctx;
    const char *name;
    dlc_otlp_kind kind;
    int64_t end_ns;
    bool error;          /* status ERROR (else unset) */
    const char *message; /* the error's description, or NULL */
    const dlc_otlp_attr *attrs;
    size_t n_attrs;
} dlc_otlp_span;

typedef struct dlc_otlp dlc_otlp;

/* Starts the exporter thread for service (resource service.name) sending
 * to endpoint ("http://host:port", an optional path before /v1/traces).
 * NULL with err filled on a malformed endpoint or no memory. */
dlc_otlp *dlc_otlp_start(const char *service, const char *endpoint, char *err, size_t errlen);

/* Queues span for export. Never blocks on I/O; safe from any thread. */
void dlc_otlp_submit(dlc_otlp *x, const dlc_otlp_span *span);

/* Spans dropped so far because the queue was full. */
uint64_t dlc_otlp_dropped(dlc_otlp *x);

/* Exports what is queued (one attempt), stops the thread, frees x. NULL: nothing. */
void dlc_otlp_stop(dlc_otlp *x);

#endif
