/*
 * dlc_trace: W3C Trace Context (version 00) for one request: parsing and
 * formatting `traceparent`, new ids (libsodium randombytes), and the
 * sampling decision of telemetry.sampler.type / .ratio.
 *
 *   traceparent = "00-" trace-id (32 hex) "-" parent-id (16 hex) "-" flags (2 hex)
 *
 * lowercase hex; an all-zero trace-id or parent-id is invalid. A request's
 * context (dlc_trace_ctx) is a plain value the caller owns (on its stack or
 * in its request struct): no allocation, no lock.
 */
#ifndef DLC_TRACE_H
#define DLC_TRACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DLC_TRACE_ID_HEX 33    /* 32 hex characters and a NUL */
#define DLC_TRACE_SPAN_HEX 17  /* 16 hex characters and a NUL */
#define DLC_TRACEPARENT_LEN 56 /* "00-…-…-01" and a NUL */

/* What a traceparent header says. */
typedef struct {
    char trace_id[DLC_TRACE_ID_HEX];
    char span_id[DLC_TRACE_SPAN_HEX];
    bool sampled; /* flags bit 0 */
} dlc_trace_parent;

/* The span of one request in this process. */
typedef struct {
    char trace_id[DLC_TRACE_ID_HEX];
    char span_id[DLC_TRACE_SPAN_HEX];
    char parent_span_id[DLC_TRACE_SPAN_HEX]; /* "" for a root span */
    bool sampled;
    int64_t start_ns; /* wall clock, Unix nanoseconds */
} dlc_trace_ctx;

/* True and *out filled when text is a valid version-00 traceparent. */
bool dlc_trace_parse(const char *text, dlc_trace_parent *out);

/* "00-<trace>-<span>-<flags>" of ctx (ctx's span is the parent of the next
 * hop) into out. */
void dlc_trace_format(const dlc_trace_ctx *ctx, char out[DLC_TRACEPARENT_LEN]);

/* A new span, child of parent (or the root of a new trace when parent is
 * NULL), started now. sampled is left false: see dlc_trace_sample. */
void dlc_trace_new_child(const dlc_trace_parent *parent, dlc_trace_ctx *out);

/* The sampler's decision for ctx: type is one of telemetry.sampler.type's
 * choices, ratio in 0..1; parent is NULL for a root span. An unknown type
 * samples nothing. traceidratio is deterministic on the trace id, so every
 * process of a trace agrees. */
bool dlc_trace_sample(const char *type, double ratio, const dlc_trace_parent *parent,
                      const dlc_trace_ctx *ctx);

/* Unix time in nanoseconds. */
int64_t dlc_trace_now_ns(void);

#endif
