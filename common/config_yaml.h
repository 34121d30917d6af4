/*
 * The YAML file of dlc_config_load_file. Internal to the config module
 * (config.c and config_yaml.c): not part of the public API, include
 * common/config.h instead.
 *
 * The reader walks the one document of the file with libyaml, turns nested
 * mappings into dotted keys ("rpc:\n  workers: 4" and "rpc.workers: 4" both
 * give rpc.workers) and hands every value to a sink. It knows YAML shapes and
 * lines; the sink knows the schema, so a value from the file is checked by
 * the same code as one from the environment or a flag.
 *
 * Every callback gets the ctx given to dlc_config_yaml_read and, but for
 * opened, the line (1-based, 0 when none) of the key being read. A callback
 * returning -1 has reported the error; reading stops and
 * dlc_config_yaml_read returns -1.
 */
#ifndef DLC_CONFIG_YAML_H
#define DLC_CONFIG_YAML_H

#include <stdarg.h>
#include <stddef.h>

/* What a dotted key names, according to the schema. */
typedef enum {
    DLC_CONFIG_YAML_SECTION, /* a mapping of further keys ("auth.jwt") */
    DLC_CONFIG_YAML_SCALAR,  /* a key taking one scalar */
    DLC_CONFIG_YAML_LIST,    /* a key taking a sequence of scalars, or one scalar */
} dlc_config_yaml_kind;

typedef struct {
    /* The file is open; called once, before anything else is read. */
    int (*opened)(void *ctx);
    /* Takes note of key and stores what it names in kind; -1 when the key is
     * unknown or was given before. */
    int (*claim)(void *ctx, int line, const char *key, dlc_config_yaml_kind *kind);
    /* The value of a key: a scalar, or the count items of a sequence. */
    int (*scalar)(void *ctx, int line, const char *key, const char *text);
    int (*list)(void *ctx, int line, const char *key, const char *const *items, size_t count);
    /* Reports an error of the file itself (its syntax or shape) with a printf
     * format; returns -1. */
    int (*fail)(void *ctx, int line, const char *key, const char *fmt, va_list ap);
} dlc_config_yaml_sink;

/* Reads the file at path into sink. Returns 0 or -1 (reported through sink;
 * a file that cannot be opened or read is reported with fail). */
int dlc_config_yaml_read(const char *path, const dlc_config_yaml_sink *sink, void *ctx);

#endif
