#include "common/log.h"

#include "common/clock.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static _Atomic int g_level = DLC_LOG_INFO;
static _Atomic bool g_json = true;
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

void dlc_log_set_service(const char *name)
{
    g_service = name;
}

/* A fixed line buffer: a log line is cut, never allocated. */
typedef struct {
    char buf[4096];
    size_t len;
} line;

static void put_raw(line *l, const char *s, size_t n)
{
    size_t room = sizeof(l->buf) - 2 - l->len; /* keep space for "}\n" */
    if (n > room)
        n = room;
    memcpy(l->buf + l->len, s, n);
    l->len += n;
}

static void put(line *l, const char *s)
{
    put_raw(l, s, strlen(s));
}

static void put_json_string(line *l, const char *s)
{
    put(l, "\"");
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        char esc[8];
        if (*p == '"' || *p == '\\') {
            esc[0] = '\\';
            esc[1] = (char)*p;
            put_raw(l, esc, 2);
        } else if (*p < 0x20) {
            snprintf(esc, sizeof esc, "\\u%04x", *p);
            put(l, esc);
        } else {
            put_raw(l, (const char *)p, 1);
        }
    }
    put(l, "\"");
}

static void put_field(line *l, bool json, const char *key, const char *value)
{
    if (json) {
        put(l, ",");
        put_json_string(l, key);
        put(l, ":");
        put_json_string(l, value ? value : "");
    } else {
        put(l, " ");
        put(l, key);
        put(l, "=");
        put(l, value ? value : "");
    }
}

void dlc_log_kv(dlc_log_level level, const char *msg, ...)
{
    if ((int)level < atomic_load(&g_level))
        return;
    bool json = atomic_load(&g_json);
    char when[32];
    dlc_clock_rfc3339_ms(dlc_clock_wall_ms(), when, sizeof when);
    line l = {.len = 0};
    if (json) {
        put(&l, "{\"level\":\"");
        put(&l, LEVEL_NAMES[level]);
        put(&l, "\",\"time\":\"");
        put(&l, when);
        put(&l, "\",\"msg\":");
        put_json_string(&l, msg);
    } else {
        put(&l, when);
        put(&l, " ");
        put(&l, LEVEL_NAMES[level]);
        put(&l, " ");
        put(&l, msg);
    }
    if (g_service[0])
        put_field(&l, json, "service", g_service);
    va_list ap;
    va_start(ap, msg);
    for (const char *k; (k = va_arg(ap, const char *)) != NULL;)
        put_field(&l, json, k, va_arg(ap, const char *));
    va_end(ap);
    if (json)
        l.buf[l.len++] = '}';
    l.buf[l.len++] = '\n';
    ssize_t ignored = write(STDERR_FILENO, l.buf, l.len);
    (void)ignored;
}
