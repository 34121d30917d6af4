/*
 * dlc_log: leveled log lines on stderr, one write(2) each, and the
 * per-second line limit (see log.h).
 */
#include "common/log.h"

#include "common/clock.h"

#include <math.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static _Atomic int g_level = DLC_LOG_INFO;
static _Atomic bool g_json = true;
static _Atomic bool g_access = true;
static const char *g_service = "";

static const char *const LEVEL_NAMES[] = {"debug", "info", "warn", "error"};

void dlc_log_set_level(dlc_log_level level)
{
    atomic_store(&g_level, (int)level);
}

dlc_log_level dlc_log_get_level(void)
{
    return (dlc_log_level)atomic_load(&g_level);
}

int dlc_log_parse_level(const char *text, dlc_log_level *out)
{
    for (int i = 0; i < 4; i++) {
        if (strcmp(text, LEVEL_NAMES[i]) == 0) {
            *out = (dlc_log_level)i;
            return 0;
        }
    }
    if (strcmp(text, "warning") == 0) {
        *out = DLC_LOG_WARN;
        return 0;
    }
    return -1;
}

void dlc_log_set_json(bool json)
{
    atomic_store(&g_json, json);
}

void dlc_log_set_access(bool on)
{
    atomic_store(&g_access, on);
}

bool dlc_log_access_enabled(void)
{
    return atomic_load(&g_access);
}

void dlc_log_set_service(const char *name)
{
    g_service = name;
}

/* A fixed line buffer: a log line is cut, never allocated. TAIL bytes stay
 * free for what closes the line (a string's quote, "}", "\n"), so a cut
 * line is still one valid JSON object. */
#define TAIL 4

typedef struct {
    char buf[4096];
    size_t len;
    bool full; /* something was cut: later fields are left out */
} line;

static bool fits(const line *l, size_t n)
{
    return l->len + n + TAIL <= sizeof l->buf;
}

static void put_raw(line *l, const char *s, size_t n)
{
    if (!fits(l, n)) {
        l->full = true;
        return;
    }
    memcpy(l->buf + l->len, s, n);
    l->len += n;
}

static void put(line *l, const char *s)
{
    put_raw(l, s, strlen(s));
}

/* Escapes s as a JSON string; cut (but closed) when the line is full, never
 * inside an escape. */
static void put_json_string(line *l, const char *s)
{
    l->buf[l->len++] = '"'; /* callers checked room for the quotes */
    for (const unsigned char *p = (const unsigned char *)s; *p && !l->full;) {
        size_t plain = 0; /* a run that needs no escape goes in one copy */
        while (p[plain] >= 0x20 && p[plain] != '"' && p[plain] != '\\')
            plain++;
        if (plain) {
            size_t room = sizeof l->buf - TAIL - l->len;
            put_raw(l, (const char *)p, plain < room ? plain : room);
            l->full = l->full || plain > room; /* cut: later fields are left out */
            p += plain;
            continue;
        }
        char esc[8];
        if (*p == '"' || *p == '\\')
            snprintf(esc, sizeof esc, "\\%c", *p);
        else
            snprintf(esc, sizeof esc, "\\u%04x", *p);
        put(l, esc);
        p++;
    }
    l->buf[l->len++] = '"';
}

static void put_field(line *l, bool json, const char *key, const char *value)
{
    value = value ? value : "";
    if (!json) {
        put(l, " ");
        put(l, key);
        put(l, "=");
        put(l, value);
        return;
    }
    /* room for ,"key":"" at least, or the field is left out */
    if (l->full || !fits(l, strlen(key) + 8)) {
        l->full = true;
        return;
    }
    put(l, ",");
    put_json_string(l, key);
    put(l, ":");
    put_json_string(l, value);
}

/* A number as JSON (null when not finite), or as text for humans. */
static void put_number(line *l, bool json, const char *key, double v)
{
    char num[48];
    if (!isfinite(v))
        snprintf(num, sizeof num, "null");
    else if (fabs(v) < 1e15 && v == (double)(long long)v)
        snprintf(num, sizeof num, "%lld", (long long)v);
    else
        snprintf(num, sizeof num, "%.3f", v);
    if (!json) {
        put_field(l, false, key, num);
        return;
    }
    if (l->full || !fits(l, strlen(key) + strlen(num) + 4)) {
        l->full = true;
        return;
    }
    put(l, ",");
    put_json_string(l, key);
    put(l, ":");
    put(l, num);
}

/* The line's start: level, time, message and service. */
/* The time as RFC 3339 with milliseconds; each thread keeps the text of the
 * last second it formatted (formatting a date costs more than a line). */
static void now_text(char when[32])
{
    static _Thread_local long long second = -1;
    static _Thread_local char prefix[32]; /* "2026-11-26T10:00:00" */
    int64_t ms = dlc_clock_wall_ms();
    if (ms / 1000 != second) {
        dlc_clock_rfc3339(ms, prefix, sizeof prefix);
        prefix[strcspn(prefix, "Z")] = '\0';
        second = ms / 1000;
    }
    snprintf(when, 32, "%.19s.%03uZ", prefix, (unsigned)(ms % 1000));
}

static void begin_line(line *l, bool json, dlc_log_level level, const char *msg)
{
    char when[32];
    now_text(when);
    if (json) {
        put(l, "{\"level\":\"");
        put(l, LEVEL_NAMES[level]);
        put(l, "\",\"time\":\"");
        put(l, when);
        put(l, "\",\"msg\":");
        put_json_string(l, msg);
    } else {
        put(l, when);
        put(l, " ");
        put(l, LEVEL_NAMES[level]);
        put(l, " ");
        put(l, msg);
    }
    if (g_service[0])
        put_field(l, json, "service", g_service);
}

static void end_line(line *l, bool json)
{
    if (json)
        l->buf[l->len++] = '}';
    l->buf[l->len++] = '\n';
    ssize_t ignored = write(STDERR_FILENO, l->buf, l->len);
    (void)ignored;
}

void dlc_log_kv(dlc_log_level level, const char *msg, ...)
{
    if ((int)level < atomic_load(&g_level))
        return;
    bool json = atomic_load(&g_json);
    line l = {.len = 0};
    begin_line(&l, json, level, msg);
    va_list ap;
    va_start(ap, msg);
    for (const char *k; (k = va_arg(ap, const char *)) != NULL;)
        put_field(&l, json, k, va_arg(ap, const char *));
    va_end(ap);
    end_line(&l, json);
}

void dlc_log_fields(dlc_log_level level, const char *msg, const dlc_log_field *f, size_t n)
{
    if ((int)level < atomic_load(&g_level))
        return;
    bool json = atomic_load(&g_json);
    line l = {.len = 0};
    begin_line(&l, json, level, msg);
    for (size_t i = 0; i < n; i++) {
        if (f[i].is_num)
            put_number(&l, json, f[i].key, f[i].num);
        else
            put_field(&l, json, f[i].key, f[i].str);
    }
    end_line(&l, json);
}

bool dlc_log_limit_take(dlc_log_limit *l, int per_second, int *held)
{
    long long now = dlc_clock_mono_ms() / 1000, seen = atomic_load(&l->second);
    if (seen != now && atomic_compare_exchange_strong(&l->second, &seen, now))
        atomic_store(&l->used, 0); /* a racing writer may slip one extra in: harmless */
    if (atomic_fetch_add(&l->used, 1) >= per_second) {
        atomic_fetch_add(&l->held, 1);
        return false;
    }
    *held = atomic_exchange(&l->held, 0);
    return true;
}
