/*
 * The configuration's schema as the config*.c modules share it (not for
 * use outside common/): one key_def per key, found by name, and the field
 * of a dlc_config that a key names. The table itself is in config.c.
 */
#ifndef DLC_CONFIG_KEYS_H
#define DLC_CONFIG_KEYS_H

#include "common/config.h"
#include "common/config_value.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum {
    F_RELOAD = 1 << 0,   /* applied by hot reload without a restart */
    F_SECRET = 1 << 1,   /* value never quoted in messages */
    F_NONEMPTY = 1 << 2, /* "" has no sensible meaning */
};

typedef struct {
    const char *name;
    dlc_config_value_type type;
    size_t off;
    const char *def; /* default, as text: defaults take the same path as a flag */
    int64_t lo, hi;  /* inclusive bounds of numbers (milliseconds for durations) */
    const char *const *choices;
    unsigned flags;
} dlc_config_key;

/* Every key, in table order: *n of them. */
const dlc_config_key *dlc_config_keys(size_t *n);
/* The key named name, or NULL. */
const dlc_config_key *dlc_config_key_find(const char *name);

/* The field of c that k names (callers holding a const config only read
 * through it). */
static inline void *dlc_config_key_field(const dlc_config *c, const dlc_config_key *k)
{
    return (char *)c + k->off;
}

/* Held as a char * (strings and enums). */
static inline bool dlc_config_key_is_string(const dlc_config_key *k)
{
    return k->type == DLC_CONFIG_VALUE_STR || k->type == DLC_CONFIG_VALUE_ENUM;
}

#endif
