/*
 * The configuration written out, from the schema table (config.c): as YAML
 * (--dump-config, and dlc.yaml.example), and as the reference table of
 * docs/configuration.md. Both are generated, never written by hand, so
 * they cannot drift from the keys the daemons accept (a test compares the
 * committed files with what this writes).
 */
#include "common/config.h"
#include "common/config_keys.h"

#include <stdio.h>
#include <string.h>

#define REDACTED "<redacted>"

/* The section part of a dotted key ("auth.jwt" of "auth.jwt.ttl"); its
 * length. */
static size_t section_len(const char *name)
{
    const char *dot = strrchr(name, '.');
    return dot ? (size_t)(dot - name) : 0;
}

/* How many leading dotted components a and b share (whole components). */
static int shared_depth(const char *a, size_t alen, const char *b, size_t blen)
{
    int depth = 0;
    size_t i = 0;
    for (; i < alen && i < blen && a[i] == b[i]; i++)
        if (a[i] == '.')
            depth++;
    bool whole = (i == alen || a[i] == '.') && (i == blen || b[i] == '.');
    return whole && i > 0 ? depth + 1 : depth;
}

static int depth_of(const char *section, size_t len)
{
    int d = len ? 1 : 0;
    for (size_t i = 0; i < len; i++)
        d += section[i] == '.';
    return d;
}

/* The n-th dotted component of name, as a pointer and length. */
static const char *component(const char *name, int n, size_t *len)
{
    for (int i = 0; i < n; i++)
        name = strchr(name, '.') + 1;
    const char *dot = strchr(name, '.');
    *len = dot ? (size_t)(dot - name) : strlen(name);
    return name;
}

static void write_string(FILE *out, const char *s)
{
    fputc('"', out);
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch == '"' || ch == '\\')
            fprintf(out, "\\%c", ch);
        else if (ch < 0x20)
            fprintf(out, "\\x%02x", ch);
        else
            fputc(ch, out);
    }
    fputc('"', out);
}

static void write_value(FILE *out, const dlc_config *c, const dlc_config_key *k, bool redact)
{
    const void *f = dlc_config_key_field(c, k);
    char buf[32];
    switch (k->type) {
    case DLC_CONFIG_VALUE_STR:
        write_string(out, redact && (k->flags & F_SECRET) && **(char *const *)f
                              ? REDACTED
                              : *(char *const *)f);
        return;
    case DLC_CONFIG_VALUE_ENUM:
        fputs(*(char *const *)f, out);
        return;
    case DLC_CONFIG_VALUE_INT:
        fprintf(out, "%d", *(const int *)f);
        return;
    case DLC_CONFIG_VALUE_I64:
        fprintf(out, "%lld", (long long)*(const int64_t *)f);
        return;
    case DLC_CONFIG_VALUE_DUR:
        dlc_config_value_format_duration(*(const int64_t *)f, buf, sizeof buf);
        fputs(buf, out);
        return;
    case DLC_CONFIG_VALUE_BOOL:
        fputs(*(const bool *)f ? "true" : "false", out);
        return;
    case DLC_CONFIG_VALUE_DBL:
        fprintf(out, "%g", *(const double *)f);
        return;
    case DLC_CONFIG_VALUE_LIST: {
        const dlc_strlist *l = f;
        fputc('[', out);
        for (size_t i = 0; i < l->count; i++) {
            fputs(i ? ", " : "", out);
            write_string(out, l->items[i]);
        }
        fputc(']', out);
        return;
    }
    }
}

/* Opens the mapping levels of section that the previous key's section
 * (prev) did not have open. */
static void open_sections(FILE *out, const char *prev, size_t plen, const char *sec, size_t slen)
{
    int keep = shared_depth(prev, plen, sec, slen);
    int want = depth_of(sec, slen);
    for (int d = keep; d < want; d++) {
        size_t n;
        const char *name = component(sec, d, &n);
        fprintf(out, "%*s%.*s:\n", 2 * d, "", (int)n, name);
    }
}

void dlc_config_write_yaml(const dlc_config *c, FILE *out, bool redact)
{
    size_t n;
    const dlc_config_key *keys = dlc_config_keys(&n);
    const char *prev = "";
    size_t plen = 0;
    for (size_t i = 0; i < n; i++) {
        const char *name = keys[i].name;
        size_t slen = section_len(name);
        open_sections(out, prev, plen, name, slen);
        int depth = depth_of(name, slen);
        fprintf(out, "%*s%s: ", 2 * depth, "", name + (slen ? slen + 1 : 0));
        write_value(out, c, &keys[i], redact);
        fputc('\n', out);
        prev = name;
        plen = slen;
    }
}

/* DLC_AUTH_JWT_TTL for auth.jwt.ttl. */
static void env_name(const char *key, char *buf, size_t len)
{
    size_t used = (size_t)snprintf(buf, len, "DLC_");
    for (; *key && used + 1 < len; key++)
        buf[used++] = *key == '.' ? '_' : (char)(*key >= 'a' && *key <= 'z' ? *key - 32 : *key);
    buf[used] = '\0';
}

void dlc_config_write_reference(FILE *out)
{
    size_t n;
    const dlc_config_key *keys = dlc_config_keys(&n);
    fputs("| key | environment | default | accepts | reloads |\n|---|---|---|---|---|\n", out);
    for (size_t i = 0; i < n; i++) {
        const dlc_config_key *k = &keys[i];
        char env[128], accepts[512];
        env_name(k->name, env, sizeof env);
        dlc_config_value_describe(k->type, k->lo, k->hi, k->choices, accepts, sizeof accepts);
        if (k->type == DLC_CONFIG_VALUE_STR && !(k->flags & F_NONEMPTY))
            snprintf(accepts, sizeof accepts, "a string%s",
                     k->flags & F_SECRET ? " (secret: never logged)" : "");
        const char *none = k->type == DLC_CONFIG_VALUE_LIST ? "[]" : "\"\"";
        fprintf(out, "| `%s` | `%s` | `%s` | %s | %s |\n", k->name, env,
                k->def[0] ? k->def : none, accepts, k->flags & F_RELOAD ? "yes" : "no");
    }
}
