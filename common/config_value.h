/*
 * Text to typed value for the configuration loader. Internal to the config
 * module (config.c and config_value.c): not part of the public API, include
 * common/config.h instead.
 *
 * Every value, whichever its source (defaults, the YAML file, the
 * environment, a flag), arrives as text and is turned into its type here:
 * integers, doubles, booleans and durations with their inclusive bounds,
 * enum choices and comma-separated lists, and what each type accepts is
 * described for error messages. The schema (which key takes which type and
 * bounds), storage and error reporting stay in config.c.
 */
#ifndef DLC_CONFIG_VALUE_H
#define DLC_CONFIG_VALUE_H

#include "common/config.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Durations are held in milliseconds. */
#define DLC_CONFIG_VALUE_SEC 1000LL
#define DLC_CONFIG_VALUE_MINUTE (60 * DLC_CONFIG_VALUE_SEC)
#define DLC_CONFIG_VALUE_HOUR (60 * DLC_CONFIG_VALUE_MINUTE)

/* The type of a value; it decides how its text is read. */
typedef enum {
    DLC_CONFIG_VALUE_STR,  /* a string */
    DLC_CONFIG_VALUE_ENUM, /* one of a NULL-terminated list of choices */
    DLC_CONFIG_VALUE_INT,  /* an integer, stored as int */
    DLC_CONFIG_VALUE_I64,  /* an integer, stored as int64_t */
    DLC_CONFIG_VALUE_DUR,  /* a duration in milliseconds, stored as int64_t */
    DLC_CONFIG_VALUE_BOOL,
    DLC_CONFIG_VALUE_DBL,
    DLC_CONFIG_VALUE_LIST, /* a dlc_strlist */
} dlc_config_value_type;

/* What a value of type accepts, for error messages: lo..hi bound numbers
 * (milliseconds for durations), choices are an enum's (else unused). */
void dlc_config_value_describe(dlc_config_value_type type, int64_t lo, int64_t hi,
                               const char *const *choices, char *buf, size_t len);

/* ms as the largest unit that divides it exactly: "90s", "24h", "250ms", "0". */
void dlc_config_value_format_duration(int64_t ms, char *buf, size_t len);

/* A decimal integer in lo..hi (inclusive): optional '-', digits, nothing else. */
bool dlc_config_value_int64(const char *text, int64_t lo, int64_t hi, int64_t *out);

/* A finite decimal number in lo..hi (inclusive). */
bool dlc_config_value_double(const char *text, int64_t lo, int64_t hi, double *out);

/* A duration (dlc_config_parse_duration) of lo..hi milliseconds, inclusive. */
bool dlc_config_value_duration(const char *text, int64_t lo, int64_t hi, int64_t *out);

/* true/yes/on/1 or false/no/off/0, in any case. */
bool dlc_config_value_bool(const char *text, bool *out);

/* The entry of the NULL-terminated choices matching text in any case (the
 * stored spelling is always the canonical one), or NULL. */
const char *dlc_config_value_choice(const char *const *choices, const char *text);

/* ---- string lists: 0, or -1 on allocation failure ---- */

/* Comma-separated, items trimmed, empty items dropped: "a, ,b" → [a, b].
 * l is overwritten, and empty on failure. */
int dlc_config_value_list_split(dlc_strlist *l, const char *text);

/* A list of copies of items; dst is overwritten, and empty on failure. */
int dlc_config_value_list_dup(dlc_strlist *dst, const char *const *items, size_t count);

bool dlc_config_value_list_equal(const dlc_strlist *a, const dlc_strlist *b);

/* Frees the items and leaves l empty. */
void dlc_config_value_list_free(dlc_strlist *l);

#endif
