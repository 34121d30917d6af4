/*
 * Whole configurations as values: copy (all of it or one key), free, and
 * the keys two of them differ in (hot reload), driven by the schema
 * (config_keys.h).
 */
#include "common/config.h"
#include "common/config_keys.h"

#include <stdlib.h>
#include <string.h>

typedef dlc_config_key key_def;

/* Bytes of a scalar key's field. */
static size_t value_size(const key_def *k)
{
    return k->type == DLC_CONFIG_VALUE_INT    ? sizeof(int)
           : k->type == DLC_CONFIG_VALUE_BOOL ? sizeof(bool)
           : k->type == DLC_CONFIG_VALUE_DBL  ? sizeof(double)
                                              : sizeof(int64_t);
}

/* Frees (release) or forgets (after a shallow copy) what c owns at k. */
static void drop_field(dlc_config *c, const key_def *k, bool release)
{
    if (dlc_config_key_is_string(k)) {
        char **s = dlc_config_key_field(c, k);
        if (release)
            free(*s);
        *s = NULL;
    } else if (k->type == DLC_CONFIG_VALUE_LIST) {
        dlc_strlist *l = dlc_config_key_field(c, k);
        if (release)
            dlc_config_value_list_free(l);
        *l = (dlc_strlist){0};
    }
}

static int copy_field(dlc_config *dst, const dlc_config *src, const key_def *k)
{
    if (k->type == DLC_CONFIG_VALUE_LIST) {
        const dlc_strlist *l = dlc_config_key_field(src, k);
        return dlc_config_value_list_dup(dlc_config_key_field(dst, k),
                                         (const char *const *)l->items, l->count);
    }
    if (!dlc_config_key_is_string(k))
        return 0;
    const char *s = *(char *const *)dlc_config_key_field(src, k);
    char **slot = dlc_config_key_field(dst, k);
    return s && !(*slot = strdup(s)) ? -1 : 0;
}

int dlc_config_copy_key(dlc_config *dst, const dlc_config *src, const char *key)
{
    const key_def *k = dlc_config_key_find(key);
    if (!k)
        return -1;
    dlc_config one = *dst; /* receives the copy first, so a failure changes nothing */
    drop_field(&one, k, false);
    if (copy_field(&one, src, k) != 0)
        return -1;
    drop_field(dst, k, true);
    if (k->type == DLC_CONFIG_VALUE_LIST)
        *(dlc_strlist *)dlc_config_key_field(dst, k) =
            *(dlc_strlist *)dlc_config_key_field(&one, k);
    else if (dlc_config_key_is_string(k))
        *(char **)dlc_config_key_field(dst, k) = *(char **)dlc_config_key_field(&one, k);
    else
        memcpy(dlc_config_key_field(dst, k), dlc_config_key_field(src, k), value_size(k));
    return 0;
}

int dlc_config_copy(dlc_config *dst, const dlc_config *src)
{
    size_t nkeys;
    const key_def *keys = dlc_config_keys(&nkeys);
    *dst = *src;
    for (size_t i = 0; i < nkeys; i++)
        drop_field(dst, &keys[i], false);
    dst->source_file = NULL;
    bool ok = !src->source_file || (dst->source_file = strdup(src->source_file));
    for (size_t i = 0; ok && i < nkeys; i++)
        ok = copy_field(dst, src, &keys[i]) == 0;
    if (ok)
        return 0;
    dlc_config_free(dst);
    return -1;
}

void dlc_config_free(dlc_config *c)
{
    if (!c)
        return;
    size_t nkeys;
    const key_def *keys = dlc_config_keys(&nkeys);
    for (size_t i = 0; i < nkeys; i++)
        drop_field(c, &keys[i], true);
    free(c->source_file);
    c->source_file = NULL;
}

/* ---- reload support ------------------------------------------------------ */

bool dlc_config_key_reloadable(const char *key)
{
    const key_def *k = dlc_config_key_find(key);
    return k && (k->flags & F_RELOAD);
}

static bool field_equal(const dlc_config *a, const dlc_config *b, const key_def *k)
{
    const void *x = dlc_config_key_field(a, k), *y = dlc_config_key_field(b, k);
    if (k->type == DLC_CONFIG_VALUE_LIST)
        return dlc_config_value_list_equal(x, y);
    if (dlc_config_key_is_string(k)) {
        const char *s = *(char *const *)x, *t = *(char *const *)y;
        return strcmp(s ? s : "", t ? t : "") == 0;
    }
    return memcmp(x, y, value_size(k)) == 0;
}

size_t dlc_config_diff(const dlc_config *a, const dlc_config *b, const char **keys_out, size_t max)
{
    size_t nkeys, n = 0;
    const key_def *keys = dlc_config_keys(&nkeys);
    for (size_t i = 0; i < nkeys; i++) {
        if (field_equal(a, b, &keys[i]))
            continue;
        if (n < max)
            keys_out[n] = keys[i].name;
        n++;
    }
    return n;
}
