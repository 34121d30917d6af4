/*
 * dlc_tracer: tracing for one daemon — the sampler reading the live
 * configuration (telemetry.sampler.type/.ratio, hot-reloadable, read per
 * request) and, with telemetry.enabled, an OTLP exporter (common/otlp.h)
 * to telemetry.endpoint.
 *
 * Per request:  dlc_tracer_begin(t, incoming traceparent or NULL, &ctx)
 *               … forward dlc_trace_format(&ctx) downstream, log ctx's ids …
 *               dlc_tracer_end(t, &span)   (exported when sampled)
 * Neither waits for anything but a short queue lock.
 */
#ifndef DLC_TRACER_H
#define DLC_TRACER_H

#include "common/config.h"
#include "common/otlp.h"
#include "common/reload.h"
#include "common/trace.h"

typedef struct dlc_tracer dlc_tracer;

/* service: resource service.name. cfg: the start-up configuration
 * (telemetry.enabled, telemetry.endpoint); live (borrowed, outlives the
 * tracer): where the sampler settings are read. NULL with err filled. */
dlc_tracer *dlc_tracer_new(const char *service, const dlc_config *cfg, const dlc_reload *live,
                           char *err, size_t errlen);
/* Exports what is queued, then frees t. NULL: nothing. */
void dlc_tracer_free(dlc_tracer *t);

/* Starts this process's span of a request: a child of traceparent when it
 * is valid, else the root of a new trace; sampled per the live sampler.
 * t NULL (tests, tools): ids only, never sampled. */
void dlc_tracer_begin(const dlc_tracer *t, const char *traceparent, dlc_trace_ctx *out);

/* Ends span (span->ctx from dlc_tracer_begin): queued for export when it
 * is sampled and telemetry is enabled. */
void dlc_tracer_end(dlc_tracer *t, const dlc_otlp_span *span);

#endif
