/*
 * dlc_cli: parsing the shared command line and loading the configuration
 * in its documented order (see cli.h).
 */
#include "common/cli.h"

#include "common/log.h"
#include "common/notify.h"
#include "dlc_version.h"

#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

extern char **environ;

#define MAX_SETS 64

typedef enum { ACT_RUN, ACT_CHECK, ACT_DUMP } action;

typedef struct {
    const char *config;
    const char *subcommand;
    char listen[1024]; /* comma-joined --listen values */
    const char *sets[MAX_SETS];
    int n_sets;
    action act;
} args;

static int usage_error(const dlc_cli_spec *spec, const char *what, const char *arg)
{
    fprintf(stderr, "%s: %s: %s\n\n%s", spec->program, what, arg, spec->usage);
    return 2;
}

static bool is_subcommand(const dlc_cli_spec *spec, const char *arg)
{
    for (size_t i = 0; spec->subcommands && spec->subcommands[i]; i++) {
        if (strcmp(arg, spec->subcommands[i]) == 0)
            return true;
    }
    return false;
}

enum { OPT_LISTEN = 256, OPT_SET, OPT_PROBE, OPT_VERSION, OPT_CHECK, OPT_DUMP };

static const struct option OPTIONS[] = {
    {"config", required_argument, NULL, 'c'},
    {"listen", required_argument, NULL, OPT_LISTEN},
    {"set", required_argument, NULL, OPT_SET},
    {"probe", required_argument, NULL, OPT_PROBE},
    {"check-config", no_argument, NULL, OPT_CHECK},
    {"dump-config", no_argument, NULL, OPT_DUMP},
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, OPT_VERSION},
    {NULL, 0, NULL, 0},
};

static int print_version(const dlc_cli_spec *spec)
{
    printf("%s %s (commit %s, built %s, %s)\n", spec->program, DLC_VERSION, DLC_COMMIT,
           DLC_BUILD_DATE, DLC_COMPILER);
    return 0;
}

/* One option; -1 to go on, else the exit code. */
static int take_option(const dlc_cli_spec *spec, int opt, const char *bad, args *a)
{
    switch (opt) {
    case 'h':
        fputs(spec->usage, stdout);
        return 0;
    case OPT_VERSION:
        return print_version(spec);
    case OPT_PROBE:
        return spec->probe ? spec->probe(optarg) : usage_error(spec, "unknown option", bad);
    case 'c':
        a->config = optarg;
        return -1;
    case OPT_LISTEN: {
        size_t n = strlen(a->listen);
        snprintf(a->listen + n, sizeof a->listen - n, "%s%s", n ? "," : "", optarg);
        return -1;
    }
    case OPT_SET:
        if (a->n_sets == MAX_SETS)
            return usage_error(spec, "too many --set options", optarg);
        a->sets[a->n_sets++] = optarg;
        return -1;
    case OPT_CHECK:
    case OPT_DUMP:
        a->act = opt == OPT_CHECK ? ACT_CHECK : ACT_DUMP;
        return -1;
    case ':':
        return usage_error(spec, "missing value", bad);
    default:
        return usage_error(spec, "unknown option", bad);
    }
}

/* getopt_long (--config FILE and --config=FILE alike; options and the
 * subcommand in any order). Returns -1 to continue, else the exit code. */
static int parse_args(const dlc_cli_spec *spec, int argc, char **argv, args *a)
{
    optind = 0; /* glibc: start afresh (a reload parses the same argv again) */
    opterr = 0;
    int opt;
    while ((opt = getopt_long(argc, argv, ":hc:", OPTIONS, NULL)) != -1) {
        int rc = take_option(spec, opt, argv[optind - 1], a);
        if (rc >= 0)
            return rc;
    }
    for (int i = optind; i < argc; i++) {
        if (!is_subcommand(spec, argv[i]) || a->subcommand)
            return usage_error(spec, "unexpected argument", argv[i]);
        a->subcommand = argv[i];
    }
    return -1;
}

static int set_error(dlc_config_error *e, const char *key, const char *message)
{
    snprintf(e->source, sizeof e->source, "flag");
    e->line = 0;
    snprintf(e->key, sizeof e->key, "%.100s", key);
    snprintf(e->message, sizeof e->message, "%s", message);
    return -1;
}

/* --set and --listen on top of file and environment. */
static int apply_flags(const dlc_cli_spec *spec, dlc_config *cfg, const args *a,
                       dlc_config_error *e)
{
    for (int i = 0; i < a->n_sets; i++) {
        char key[128];
        const char *eq = strchr(a->sets[i], '=');
        if (!eq || (size_t)(eq - a->sets[i]) >= sizeof key)
            return set_error(e, a->sets[i], "--set takes KEY=VALUE");
        snprintf(key, sizeof key, "%.*s", (int)(eq - a->sets[i]), a->sets[i]);
        if (dlc_config_key_is_secret(key))
            fprintf(stderr,
                    "%s: warning: --set %s puts a secret in the process list (ps) for every "
                    "user of this machine to read; give it in the config file, the "
                    "environment, or a file named by its _file key instead\n",
                    spec->program, key);
        if (dlc_config_set(cfg, key, eq + 1, e) != 0)
            return -1;
    }
    if (a->listen[0] && dlc_config_set(cfg, spec->listen_key, a->listen, e) != 0)
        return -1;
    return 0;
}

static void setup_logging(const dlc_cli_spec *spec, const dlc_config *cfg)
{
    dlc_log_level lvl = DLC_LOG_INFO;
    dlc_log_parse_level(cfg->logging.level, &lvl);
    dlc_log_set_level(lvl);
    dlc_log_set_json(cfg->logging.json);
    dlc_log_set_access(cfg->logging.access);
    dlc_log_set_service(spec->program);
}

/* defaults < file < environment < flags, validated once at the end, so a
 * flag may mend what the file or the environment got wrong. cfg (holding
 * nothing) is overwritten, and freeable in every case. */
static int load_sources(const dlc_cli_spec *spec, const args *a, dlc_config *cfg,
                        dlc_config_error *e)
{
    dlc_config_defaults(cfg);
    if (a->config && dlc_config_load_file(cfg, a->config, e) != 0)
        return -1;
    if (dlc_config_apply_env(cfg, environ, e) != 0 || apply_flags(spec, cfg, a, e) != 0 ||
        dlc_config_read_secret_files(cfg, e) != 0)
        return -1;
    return dlc_config_validate(cfg, e);
}

int dlc_cli_load(const dlc_cli_spec *spec, int argc, char **argv, dlc_config *cfg,
                 const char **subcommand)
{
    args a = {0};
    *cfg = (dlc_config){0};
    int rc = parse_args(spec, argc, argv, &a);
    if (rc >= 0)
        return rc;
    dlc_config_error e = {0};
    if (load_sources(spec, &a, cfg, &e) != 0) {
        char buf[800];
        fprintf(stderr, "%s: invalid configuration: %s\n", spec->program,
                dlc_config_error_format(&e, buf, sizeof buf));
        return 2;
    }
    if (a.act == ACT_CHECK) {
        printf("%s: the configuration is valid\n", spec->program);
        return 0;
    }
    if (a.act == ACT_DUMP) {
        dlc_config_write_yaml(cfg, stdout, true);
        return 0;
    }
    setup_logging(spec, cfg);
    *subcommand = a.subcommand;
    return -1;
}

/* What a reload reads again. */
static struct {
    const dlc_cli_spec *spec;
    int argc;
    char **argv;
} sources;

static int reread(void *ctx, dlc_config *out, dlc_config_error *e)
{
    (void)ctx;
    args a = {0};
    *out = (dlc_config){0};
    if (parse_args(sources.spec, sources.argc, sources.argv, &a) >= 0) /* was fine at start */
        return set_error(e, "", "command line no longer parses");
    return load_sources(sources.spec, &a, out, e);
}

int dlc_cli_watch(dlc_reload *r, const dlc_cli_spec *spec, int argc, char **argv, char *err,
                  size_t errlen)
{
    sources.spec = spec;
    sources.argc = argc;
    sources.argv = argv;
    return dlc_reload_watch(r, reread, NULL, err, errlen);
}

static void handled_signals(sigset_t *set)
{
    sigemptyset(set);
    sigaddset(set, SIGTERM);
    sigaddset(set, SIGINT);
    sigaddset(set, SIGHUP);
}

void dlc_cli_block_signals(void)
{
    sigset_t set;
    handled_signals(&set);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);
}

void dlc_cli_ready(void)
{
    if (dlc_notify_send("READY=1") < 0)
        dlc_log_warn("could not notify the service manager (NOTIFY_SOCKET)");
}

void dlc_cli_wait_for_stop(dlc_reload *live)
{
    sigset_t set;
    handled_signals(&set);
    for (;;) {
        int sig = 0;
        sigwait(&set, &sig);
        if (sig != SIGHUP) {
            dlc_notify_send("STOPPING=1");
            return;
        }
        dlc_log_info("SIGHUP: reloading the configuration");
        dlc_notify_send("RELOADING=1");
        dlc_reload_now(live);
        dlc_notify_send("READY=1");
    }
}
