/*
 * Text to typed value for the configuration (config_value.h): the parsing
 * and bounds of single values, shared by every source of text.
 */
#include "common/config_value.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define SEC DLC_CONFIG_VALUE_SEC
#define MINUTE DLC_CONFIG_VALUE_MINUTE
#define HOUR DLC_CONFIG_VALUE_HOUR

/* ---- numbers, booleans, choices ------------------------------------------ */

static bool parse_int64(const char *s, int64_t *v)
{
    if (!isdigit((unsigned char)*s) && *s != '-')
        return false;
    char *end;
    errno = 0;
    long long n = strtoll(s, &end, 10);
    if (*end || errno)
        return false;
    *v = n;
    return true;
}

static bool parse_double(const char *s, double *v)
{
    if (!isdigit((unsigned char)*s) && *s != '-' && *s != '.')
        return false;
    char *end;
    errno = 0;
    double d = strtod(s, &end);
    if (*end || errno || !isfinite(d))
        return false;
    *v = d;
    return true;
}

bool dlc_config_value_int64(const char *text, int64_t lo, int64_t hi, int64_t *out)
{
    int64_t v;
    if (!parse_int64(text, &v) || v < lo || v > hi)
        return false;
    *out = v;
    return true;
}

bool dlc_config_value_double(const char *text, int64_t lo, int64_t hi, double *out)
{
    double d;
    if (!parse_double(text, &d) || d < (double)lo || d > (double)hi)
        return false;
    *out = d;
    return true;
}

bool dlc_config_value_duration(const char *text, int64_t lo, int64_t hi, int64_t *out)
{
    int64_t ms;
    if (dlc_config_parse_duration(text, &ms) < 0 || ms < lo || ms > hi)
        return false;
    *out = ms;
    return true;
}

bool dlc_config_value_bool(const char *text, bool *out)
{
    static const char *const yes[] = {"true", "yes", "on", "1"};
    static const char *const no[] = {"false", "no", "off", "0"};
    for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++) {
        if (strcasecmp(text, yes[i]) == 0 || strcasecmp(text, no[i]) == 0) {
            *out = strcasecmp(text, yes[i]) == 0;
            return true;
        }
    }
    return false;
}

const char *dlc_config_value_choice(const char *const *choices, const char *text)
{
    for (size_t i = 0; choices[i]; i++)
        if (strcasecmp(text, choices[i]) == 0)
            return choices[i];
    return NULL;
}

/* ---- string lists ------------------------------------------------------ */

void dlc_config_value_list_free(dlc_strlist *l)
{
    for (size_t i = 0; i < l->count; i++)
        free(l->items[i]);
    free(l->items);
    l->items = NULL;
    l->count = 0;
}

static int list_push(dlc_strlist *l, const char *s, size_t n)
{
    char **items = realloc(l->items, (l->count + 1) * sizeof *items);
    if (!items)
        return -1;
    l->items = items;
    if (!(items[l->count] = strndup(s, n)))
        return -1;
    l->count++;
    return 0;
}

int dlc_config_value_list_dup(dlc_strlist *dst, const char *const *items, size_t count)
{
    *dst = (dlc_strlist){0};
    for (size_t i = 0; i < count; i++) {
        if (list_push(dst, items[i], strlen(items[i])) < 0) {
            dlc_config_value_list_free(dst);
            return -1;
        }
    }
    return 0;
}

bool dlc_config_value_list_equal(const dlc_strlist *a, const dlc_strlist *b)
{
    if (a->count != b->count)
        return false;
    for (size_t i = 0; i < a->count; i++)
        if (strcmp(a->items[i], b->items[i]) != 0)
            return false;
    return true;
}

int dlc_config_value_list_split(dlc_strlist *l, const char *text)
{
    *l = (dlc_strlist){0};
    for (const char *p = text; *p;) {
        const char *end = p + strcspn(p, ",");
        const char *next = end + (*end == ',');
        while (p < end && isspace((unsigned char)*p))
            p++;
        while (end > p && isspace((unsigned char)end[-1]))
            end--;
        if (end > p && list_push(l, p, (size_t)(end - p)) < 0) {
            dlc_config_value_list_free(l);
            return -1;
        }
        p = next;
    }
    return 0;
}

/* ---- durations ------------------------------------------------------------ */

/* Largest first, for formatting. */
static const struct {
    const char *name;
    int64_t ms;
} units[] = {{"h", HOUR}, {"m", MINUTE}, {"s", SEC}, {"ms", 1}};

#define NUNITS (sizeof units / sizeof units[0])

/* ms as the largest unit dividing it exactly: 90000 → "90s", 0 → "0". */
void dlc_config_value_format_duration(int64_t ms, char *buf, size_t len)
{
    size_t i = 0;
    while (ms && ms % units[i].ms != 0)
        i++;
    snprintf(buf, len, "%lld%s", (long long)(ms / units[i].ms), ms ? units[i].name : "");
}

/* Longest match, so "ms" is never read as minutes followed by junk. */
static int64_t take_unit(const char **p)
{
    size_t best = 0;
    int64_t ms = 0;
    for (size_t i = 0; i < NUNITS; i++) {
        size_t n = strlen(units[i].name);
        if (n > best && strncmp(*p, units[i].name, n) == 0) {
            best = n;
            ms = units[i].ms;
        }
    }
    *p += best;
    return ms;
}

int dlc_config_parse_duration(const char *text, int64_t *ms_out)
{
    if (!text || !*text)
        return -1;
    if (strcmp(text, "0") == 0) {
        *ms_out = 0;
        return 0;
    }
    int64_t total = 0;
    for (const char *p = text; *p;) {
        if (!isdigit((unsigned char)*p))
            return -1;
        int64_t n = 0;
        for (; isdigit((unsigned char)*p); p++) {
            if (n > (INT64_MAX - 9) / 10)
                return -1;
            n = n * 10 + (*p - '0');
        }
        int64_t unit = take_unit(&p);
        if (!unit || n > (INT64_MAX - total) / unit)
            return -1;
        total += n * unit;
    }
    *ms_out = total;
    return 0;
}

/* ---- descriptions --------------------------------------------------------- */

void dlc_config_value_describe(dlc_config_value_type type, int64_t lo, int64_t hi,
                               const char *const *choices, char *buf, size_t len)
{
    char lo_text[32], hi_text[32];
    size_t used = 0;
    switch (type) {
    case DLC_CONFIG_VALUE_STR:
        snprintf(buf, len, "a non-empty string");
        return;
    case DLC_CONFIG_VALUE_LIST:
        snprintf(buf, len, "a list of non-empty strings");
        return;
    case DLC_CONFIG_VALUE_BOOL:
        snprintf(buf, len, "true or false");
        return;
    case DLC_CONFIG_VALUE_DUR:
        dlc_config_value_format_duration(lo, lo_text, sizeof lo_text);
        dlc_config_value_format_duration(hi, hi_text, sizeof hi_text);
        snprintf(buf, len, "a duration like 90s or 1h30m, from %s to %s", lo_text, hi_text);
        return;
    case DLC_CONFIG_VALUE_INT:
    case DLC_CONFIG_VALUE_I64:
    case DLC_CONFIG_VALUE_DBL:
        snprintf(buf, len, "a%s in %lld..%lld",
                 type == DLC_CONFIG_VALUE_DBL ? " number" : "n integer", (long long)lo,
                 (long long)hi);
        return;
    case DLC_CONFIG_VALUE_ENUM:
        used = (size_t)snprintf(buf, len, "one of");
        for (size_t i = 0; choices[i] && used < len; i++)
            used += (size_t)snprintf(buf + used, len - used, "%s %s", i ? "," : "", choices[i]);
        return;
    }
}
