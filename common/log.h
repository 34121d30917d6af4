/*
 * dlc_log: one JSON object per line on stderr, e.g.
 *   {"level":"info","time":"2026-11-26T10:00:00.123Z","msg":"listening","url":"tcp://…"}
 * Fields are key/value string pairs ending with NULL; use the macros, which
 * add the terminator. Safe from many threads; each line is one write(2).
 * Never pass secrets or password material as a field.
 */
#ifndef DLC_LOG_H
#define DLC_LOG_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

typedef enum { DLC_LOG_DEBUG = 0, DLC_LOG_INFO, DLC_LOG_WARN, DLC_LOG_ERROR } dlc_log_level;

/* Level changes are atomic: a hot reload may call this at any time. */
void dlc_log_set_level(dlc_log_level level);
dlc_log_level dlc_log_get_level(void);
/* "debug" | "info" | "warn" | "error" → 0, else -1. */
int dlc_log_parse_level(const char *text, dlc_log_level *out);
/* false: "time level msg key=value" text lines (for humans at a terminal). */
void dlc_log_set_json(bool json);
/* Set once at start-up: every line carries "service":name. */
void dlc_log_set_service(const char *name);

void dlc_log_kv(dlc_log_level level, const char *msg, ...);

/* A typed field, for lines with numbers: a string (NULL: "") or a JSON
 * number (is_num: num, an integer when whole, else with 3 decimals; NaN and
 * infinities are written as null). */
typedef struct {
    const char *key;
    const char *str;
    double num;
    bool is_num;
} dlc_log_field;

#define DLC_LOG_STR(k, v) ((dlc_log_field){.key = (k), .str = (v)})
#define DLC_LOG_NUM(k, v) ((dlc_log_field){.key = (k), .num = (double)(v), .is_num = true})

/* One line of n typed fields (after "service"). */
void dlc_log_fields(dlc_log_level level, const char *msg, const dlc_log_field *f, size_t n);

/* Access logs (one line per request or call, at info): on unless
 * logging.access is false. Atomic: a hot reload may call this at any time. */
void dlc_log_set_access(bool on);
bool dlc_log_access_enabled(void);

/* A budget for a kind of line that a failing dependency repeats for every
 * request (a database outage: thousands a second, each one write(2) on a
 * serving thread). Static and zero-initialised at the call site. */
typedef struct {
    atomic_llong second; /* the current second, of dlc_clock_mono_ms */
    atomic_int used;     /* lines written in it */
    atomic_int held;     /* lines held back since the last one written */
} dlc_log_limit;

/* True when a line may be written now (at most per_second a second); the
 * caller then logs *held, the lines held back since the last one written.
 * False: the line is counted and not written. */
bool dlc_log_limit_take(dlc_log_limit *l, int per_second, int *held);

#define dlc_log_debug(...) dlc_log_kv(DLC_LOG_DEBUG, __VA_ARGS__, (const char *)0)
#define dlc_log_info(...) dlc_log_kv(DLC_LOG_INFO, __VA_ARGS__, (const char *)0)
#define dlc_log_warn(...) dlc_log_kv(DLC_LOG_WARN, __VA_ARGS__, (const char *)0)
#define dlc_log_error(...) dlc_log_kv(DLC_LOG_ERROR, __VA_ARGS__, (const char *)0)

#endif
