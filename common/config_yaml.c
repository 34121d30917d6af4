/*
 * The YAML file of the configuration: libyaml loads the document, this walks
 * it and hands dotted keys and their values to the sink (config_yaml.h).
 */
#include "common/config_yaml.h"

#include "common/config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

typedef struct {
    yaml_document_t doc;
    const dlc_config_yaml_sink *sink;
    void *ctx;
    int line; /* follows the key being read; errors about its value name it too */
} reader;

static int fail(reader *r, const char *key, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    r->sink->fail(r->ctx, r->line, key, fmt, ap);
    va_end(ap);
    return -1;
}

/* libyaml counts lines from 0. */
static int line_of(yaml_mark_t mark)
{
    return (int)mark.line + 1;
}

static const char *text_of(const yaml_node_t *n)
{
    return (const char *)n->data.scalar.value;
}

/* A commented-out section reads as an empty (null) scalar: accept it. */
static bool is_null(const yaml_node_t *n)
{
    return n->type == YAML_SCALAR_NODE && n->data.scalar.length == 0 &&
           n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
}

static int mismatch(reader *r, dlc_config_yaml_kind kind, const char *key, const yaml_node_t *n)
{
    const char *want = kind == DLC_CONFIG_YAML_SECTION ? "a mapping"
                       : kind == DLC_CONFIG_YAML_LIST  ? "a list or a scalar"
                                                       : "a scalar";
    const char *got = n->type == YAML_MAPPING_NODE    ? "a mapping"
                      : n->type == YAML_SEQUENCE_NODE ? "a list"
                                                      : "a scalar";
    return fail(r, key, "expected %s, found %s", want, got);
}

static int read_sequence(reader *r, const char *key, const yaml_node_t *seq)
{
    const yaml_node_item_t *first = seq->data.sequence.items.start;
    size_t count = (size_t)(seq->data.sequence.items.top - first);
    const char **items = count ? malloc(count * sizeof *items) : NULL;
    if (count && !items)
        return fail(r, key, "out of memory");
    int rc = 0;
    for (size_t i = 0; i < count && rc == 0; i++) {
        const yaml_node_t *n = yaml_document_get_node(&r->doc, first[i]);
        if (n->type != YAML_SCALAR_NODE)
            rc = fail(r, key, "list items must be scalars");
        else
            items[i] = text_of(n);
    }
    if (rc == 0)
        rc = r->sink->list(r->ctx, r->line, key, items, count);
    free(items);
    return rc;
}

static int read_mapping(reader *r, const char *prefix, const yaml_node_t *map);

static int read_value(reader *r, const char *key, dlc_config_yaml_kind kind, const yaml_node_t *n)
{
    if (n->type == YAML_SCALAR_NODE && kind != DLC_CONFIG_YAML_SECTION)
        return r->sink->scalar(r->ctx, r->line, key, text_of(n));
    if (is_null(n))
        return 0;
    if (n->type == YAML_SEQUENCE_NODE && kind == DLC_CONFIG_YAML_LIST)
        return read_sequence(r, key, n);
    if (n->type == YAML_MAPPING_NODE && kind == DLC_CONFIG_YAML_SECTION)
        return read_mapping(r, key, n);
    return mismatch(r, kind, key, n);
}

/* Writes prefix.name to key and claims it. */
static int read_key(reader *r, const yaml_node_t *n, const char *prefix, char *key, size_t len,
                    dlc_config_yaml_kind *kind)
{
    r->line = line_of(n->start_mark);
    if (n->type != YAML_SCALAR_NODE)
        return fail(r, prefix, "keys must be scalars");
    int w = snprintf(key, len, "%s%s%s", prefix, *prefix ? "." : "", text_of(n));
    if (w < 0 || (size_t)w >= len)
        return fail(r, key, "unknown key"); /* longer than any key */
    return r->sink->claim(r->ctx, r->line, key, kind);
}

static int read_mapping(reader *r, const char *prefix, const yaml_node_t *map)
{
    for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top;
         p++) {
        char key[sizeof((dlc_config_error *)0)->key];
        dlc_config_yaml_kind kind;
        const yaml_node_t *k = yaml_document_get_node(&r->doc, p->key);
        if (read_key(r, k, prefix, key, sizeof key, &kind) < 0 ||
            read_value(r, key, kind, yaml_document_get_node(&r->doc, p->value)) < 0)
            return -1;
    }
    return 0;
}

static int load_document(reader *r, yaml_parser_t *parser)
{
    if (!yaml_parser_load(parser, &r->doc)) {
        r->line = line_of(parser->problem_mark);
        return fail(r, "", "invalid YAML: %s", parser->problem ? parser->problem : "?");
    }
    return 0;
}

static int read_root(reader *r, const yaml_node_t *root)
{
    if (!root || is_null(root))
        return 0;
    r->line = line_of(root->start_mark);
    if (root->type != YAML_MAPPING_NODE)
        return fail(r, "", "the top level must be a mapping");
    return read_mapping(r, "", root);
}

/* Reads the one document of the stream; more than one would be ambiguous. */
static int read_stream(reader *r, yaml_parser_t *parser)
{
    if (load_document(r, parser) < 0)
        return -1;
    const yaml_node_t *root = yaml_document_get_root_node(&r->doc);
    bool stream_ended = !root;
    int rc = read_root(r, root);
    yaml_document_delete(&r->doc);
    if (rc < 0 || stream_ended)
        return rc;
    if (load_document(r, parser) < 0)
        return -1;
    if ((root = yaml_document_get_root_node(&r->doc))) {
        r->line = line_of(root->start_mark);
        rc = fail(r, "", "only one YAML document is allowed");
    }
    yaml_document_delete(&r->doc);
    return rc;
}

/* The sink hears of the file only once the parser is ready to read it. */
static int read_file(reader *r, FILE *f)
{
    yaml_parser_t parser;
    if (!yaml_parser_initialize(&parser))
        return fail(r, "", "out of memory");
    int rc = r->sink->opened(r->ctx);
    if (rc == 0) {
        yaml_parser_set_input_file(&parser, f);
        rc = read_stream(r, &parser);
    }
    yaml_parser_delete(&parser);
    return rc;
}

int dlc_config_yaml_read(const char *path, const dlc_config_yaml_sink *sink, void *ctx)
{
    reader r = {.sink = sink, .ctx = ctx};
    FILE *f = fopen(path, "rb");
    if (!f)
        return fail(&r, "", "cannot open: %s", strerror(errno));
    int rc = read_file(&r, f);
    fclose(f);
    return rc;
}
