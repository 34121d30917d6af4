/*
 * The generated configuration documents — docs/configuration.md and
 * dlc.yaml.example — must be what the schema table (common/config.c)
 * writes today: a key added, removed or changed without regenerating them
 * fails here. `cmake --build build/default --target config-docs` rewrites
 * both (this program with --write SOURCE_DIR).
 *
 *   test_config_doc SOURCE_DIR            compare
 *   test_config_doc --write SOURCE_DIR    regenerate
 */
#include "common/config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char REFERENCE_INTRO[] =
    "# Configuration reference\n"
    "\n"
    "Generated from the schema table in `common/config.c` (`cmake --build\n"
    "build/default --target config-docs`); a test fails when they differ.\n"
    "\n"
    "Both daemons read one YAML file (`--config FILE`), each its own sections.\n"
    "Each key can be overridden by its environment variable (lists\n"
    "comma-separated), and both by `--set KEY=VALUE`. Durations are written\n"
    "`90s`, `15m`, `1h`, `250ms`. A key whose *reloads* column says yes takes\n"
    "effect on a hot reload (the file changed, or SIGHUP); others are named\n"
    "in a warning and need a restart. An invalid file is refused whole, with\n"
    "`file:line` and the key. Every secret (`auth.admin_master_password`,\n"
    "`auth.jwt.secret`, `database.password`) has a `_file` twin that reads it\n"
    "from a file (container secrets); give secrets in the file, the\n"
    "environment or a `_file`, never with `--set` (the process list shows it).\n"
    "`--check-config` validates and exits; `--dump-config` prints the\n"
    "effective configuration with secrets redacted. `dlc.yaml.example` at the\n"
    "top of the repository holds every key at its default.\n"
    "\n";

static const char EXAMPLE_INTRO[] =
    "# dlc.yaml: every key of dlc-rpcd and dlc-gateway at its default\n"
    "# (generated: dlc-rpcd --dump-config; reference: docs/configuration.md).\n"
    "# Both daemons read the same file, each its own sections. Keep secrets\n"
    "# out of it: use the *_file keys or the DLC_ environment variables.\n";

/* What the generator writes for doc, in a malloc'd buffer. */
static char *generate(bool reference, size_t *len)
{
    char *buf = NULL;
    FILE *f = open_memstream(&buf, len);
    if (!f)
        return NULL;
    if (reference) {
        fputs(REFERENCE_INTRO, f);
        dlc_config_write_reference(f);
    } else {
        dlc_config c;
        dlc_config_defaults(&c);
        fputs(EXAMPLE_INTRO, f);
        dlc_config_write_yaml(&c, f, true);
        dlc_config_free(&c);
    }
    fclose(f);
    return buf;
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    if (!f)
        return NULL;
    FILE *m = open_memstream(&buf, len);
    int ch;
    while (m && (ch = fgetc(f)) != EOF)
        fputc(ch, m);
    if (m)
        fclose(m);
    fclose(f);
    return buf;
}

/* 0 when path holds what is generated (or was written with write). */
static int one(const char *dir, const char *name, bool reference, bool write)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    size_t glen = 0, flen = 0;
    char *gen = generate(reference, &glen);
    int rc = 1;
    if (gen && write) {
        FILE *f = fopen(path, "wb");
        rc = f && fwrite(gen, 1, glen, f) == glen && fclose(f) == 0 ? 0 : 1;
        printf("%s %s\n", rc ? "cannot write" : "wrote", path);
    } else if (gen) {
        char *have = slurp(path, &flen);
        rc = !have || flen != glen || memcmp(have, gen, glen) != 0;
        printf("%s: %s\n", path,
               rc ? "differs from the schema; regenerate: cmake --build <build dir> --target "
                    "config-docs"
                  : "matches the schema");
        free(have);
    }
    free(gen);
    return rc;
}

int main(int argc, char **argv)
{
    bool write = argc == 3 && strcmp(argv[1], "--write") == 0;
    if (argc != 2 && !write) {
        fprintf(stderr, "usage: test_config_doc [--write] SOURCE_DIR\n");
        return 2;
    }
    const char *dir = argv[argc - 1];
    int rc = one(dir, "docs/configuration.md", true, write);
    rc |= one(dir, "dlc.yaml.example", false, write);
    return rc;
}
