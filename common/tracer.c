/* dlc_tracer: the live sampler and the optional exporter of one daemon. */
#include "common/tracer.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>

struct dlc_tracer {
    const dlc_reload *live;
    dlc_otlp *exporter; /* NULL when telemetry.enabled is false */
};

dlc_tracer *dlc_tracer_new(const char *service, const dlc_config *cfg, const dlc_reload *live,
                           char *err, size_t errlen)
{
    dlc_tracer *t = calloc(1, sizeof *t);
    if (!t || sodium_init() < 0) {
        free(t);
        snprintf(err, errlen, "tracing: cannot initialise");
        return NULL;
    }
    t->live = live;
    if (cfg->telemetry.enabled &&
        !(t->exporter = dlc_otlp_start(service, cfg->telemetry.endpoint, err, errlen))) {
        free(t);
        return NULL;
    }
    return t;
}

void dlc_tracer_free(dlc_tracer *t)
{
    if (!t)
        return;
    dlc_otlp_stop(t->exporter);
    free(t);
}

void dlc_tracer_begin(const dlc_tracer *t, const char *traceparent, dlc_trace_ctx *out)
{
    dlc_trace_parent parent;
    bool has_parent = dlc_trace_parse(traceparent, &parent);
    dlc_trace_new_child(has_parent ? &parent : NULL, out);
    if (t) {
        const dlc_config *c = dlc_reload_config(t->live, NULL);
        out->sampled = dlc_trace_sample(c->telemetry.sampler.type, c->telemetry.sampler.ratio,
                                        has_parent ? &parent : NULL, out);
    }
}

void dlc_tracer_end(dlc_tracer *t, const dlc_otlp_span *span)
{
    if (t && t->exporter && span->ctx->sampled)
        dlc_otlp_submit(t->exporter, span);
}
