/* dlc_trace: W3C traceparent parsing and formatting, ids, the sampler. */
#include "common/trace.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

/* n lowercase hex characters at s. */
static bool is_hex(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return false;
    }
    return true;
}

/* An id: n lowercase hex characters, not all '0'. */
static bool is_id(const char *s, size_t n)
{
    return is_hex(s, n) && strspn(s, "0") < n;
}

static int hex_digit(char c)
{
    return c <= '9' ? c - '0' : c - 'a' + 10;
}

bool dlc_trace_parse(const char *text, dlc_trace_parent *out)
{
    /* 00-<32>-<16>-<2>: 55 characters, nothing after them in version 00 */
    if (!text || strlen(text) != 55 || strncmp(text, "00-", 3) != 0 || text[35] != '-' ||
        text[52] != '-')
        return false;
    const char *flags = text + 53;
    if (!is_id(text + 3, 32) || !is_id(text + 36, 16) || !is_hex(flags, 2))
        return false;
    memcpy(out->trace_id, text + 3, 32);
    out->trace_id[32] = '\0';
    memcpy(out->span_id, text + 36, 16);
    out->span_id[16] = '\0';
    out->sampled = (hex_digit(flags[1]) & 1) != 0;
    return true;
}

void dlc_trace_format(const dlc_trace_ctx *ctx, char out[DLC_TRACEPARENT_LEN])
{
    snprintf(out, DLC_TRACEPARENT_LEN, "00-%s-%s-%s", ctx->trace_id, ctx->span_id,
             ctx->sampled ? "01" : "00");
}

/* n random bytes, not all zero, as 2n lowercase hex characters. */
static void random_hex(char *out, size_t n)
{
    unsigned char raw[16];
    do
        randombytes_buf(raw, n);
    while (sodium_is_zero(raw, n));
    sodium_bin2hex(out, 2 * n + 1, raw, n);
}

void dlc_trace_new_child(const dlc_trace_parent *parent, dlc_trace_ctx *out)
{
    memset(out, 0, sizeof *out);
    if (parent) {
        memcpy(out->trace_id, parent->trace_id, sizeof out->trace_id);
        memcpy(out->parent_span_id, parent->span_id, sizeof out->parent_span_id);
    } else {
        random_hex(out->trace_id, 16);
    }
    random_hex(out->span_id, 8);
    out->start_ns = dlc_trace_now_ns();
}

/* The trace id's last 8 bytes (its random part, per W3C level 2) against
 * ratio × 2^64. */
static bool ratio_says(double ratio, const char *trace_id)
{
    if (ratio >= 1.0)
        return true;
    if (ratio <= 0.0)
        return false;
    uint64_t v = 0;
    for (int i = 16; i < 32; i++)
        v = v << 4 | (uint64_t)hex_digit(trace_id[i]);
    return (double)v < ratio * 18446744073709551616.0;
}

bool dlc_trace_sample(const char *type, double ratio, const dlc_trace_parent *parent,
                      const dlc_trace_ctx *ctx)
{
    const char *root = type;
    if (strncmp(type, "parentbased_", 12) == 0) {
        if (parent)
            return parent->sampled;
        root = type + 12;
    }
    if (strcmp(root, "always_on") == 0)
        return true;
    if (strcmp(root, "traceidratio") == 0)
        return ratio_says(ratio, ctx->trace_id);
    return false; /* always_off */
}

int64_t dlc_trace_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}
