/*
 * dlc-rpcd: the RPC core. Loads the configuration, applies migrations
 * (database.auto_migrate, or `dlc-rpcd migrate`), serves until SIGTERM or
 * SIGINT, then drains: in-flight requests finish (bounded by
 * rpc.default_timeout), DB connections close, exit 0.
 */
#include "common/clock.h"
#include "common/config.h"
#include "common/log.h"
#include "dlc_version.h"
#include "rpc/core/core.h"
#include "storage/migrate.h"

#include <nng/supplemental/util/platform.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern char **environ;

/* How long start-up waits for the database before giving up. */
#define STARTUP_DB_WAIT_MS 30000

static const char USAGE[] =
    "usage: dlc-rpcd [options] [migrate]\n"
    "\n"
    "Serves the dlc RPC methods over nng (REQ/REP); `migrate` applies the\n"
    "database migrations and exits.\n"
    "\n"
    "options:\n"
    "  --config FILE      YAML configuration (see DESIGN.md for the keys)\n"
    "  --listen URL       listen here instead of rpc.listen (repeatable;\n"
    "                     tcp://HOST:PORT or ipc:///path)\n"
    "  --set KEY=VALUE    override any configuration key (repeatable)\n"
    "  --help             this text\n"
    "  --version          version, commit and build date\n"
    "\n"
    "Environment: DLC_<SECTION>_<KEY> overrides the file (e.g. DLC_DATABASE_HOST);\n"
    "flags override both. With no database configured, libpq's PG* variables apply.\n";

typedef struct {
    const char *config;
    bool migrate_only;
    char listen[1024]; /* comma-joined --listen values */
    const char *sets[64];
    int n_sets;
} args;

static int usage_error(const char *what)
{
    fprintf(stderr, "dlc-rpcd: %s\n%s", what, USAGE);
    return 2;
}

/* Returns -1 to continue, else the exit code. */
static int parse_args(int argc, char **argv, args *a)
{
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        const char *val = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
            fputs(USAGE, stdout);
            return 0;
        } else if (strcmp(arg, "--version") == 0) {
            printf("dlc-rpcd %s (commit %s, built %s, %s)\n", DLC_VERSION, DLC_COMMIT,
                   DLC_BUILD_DATE, DLC_COMPILER);
            return 0;
        } else if (strcmp(arg, "migrate") == 0) {
            a->migrate_only = true;
        } else if (!val) {
            return usage_error("missing value or unknown argument");
        } else if (strcmp(arg, "--config") == 0) {
            a->config = val, i++;
        } else if (strcmp(arg, "--listen") == 0) {
            size_t n = strlen(a->listen);
            snprintf(a->listen + n, sizeof a->listen - n, "%s%s", n ? "," : "", val), i++;
        } else if (strcmp(arg, "--set") == 0 && a->n_sets < 64) {
            a->sets[a->n_sets++] = val, i++;
        } else {
            return usage_error("unknown argument");
        }
    }
    return -1;
}

static int config_error(const dlc_config_error *e)
{
    char buf[800];
    fprintf(stderr, "dlc-rpcd: invalid configuration: %s\n",
            dlc_config_error_format(e, buf, sizeof buf));
    return 2;
}

/* Applies --set and --listen on top of file and environment. */
static int apply_flags(dlc_config *cfg, const args *a, dlc_config_error *e)
{
    for (int i = 0; i < a->n_sets; i++) {
        char key[128];
        const char *eq = strchr(a->sets[i], '=');
        if (!eq || (size_t)(eq - a->sets[i]) >= sizeof key) {
            snprintf(e->source, sizeof e->source, "flag");
            e->line = 0;
            snprintf(e->key, sizeof e->key, "%.100s", a->sets[i]);
            snprintf(e->message, sizeof e->message, "--set takes KEY=VALUE");
            return -1;
        }
        snprintf(key, sizeof key, "%.*s", (int)(eq - a->sets[i]), a->sets[i]);
        if (dlc_config_set(cfg, key, eq + 1, e) != 0)
            return -1;
    }
    if (a->listen[0] && dlc_config_set(cfg, "rpc.listen", a->listen, e) != 0)
        return -1;
    return dlc_config_validate(cfg, e);
}

static void setup_logging(const dlc_config *cfg)
{
    dlc_log_level lvl = DLC_LOG_INFO;
    dlc_log_parse_level(cfg->logging.level, &lvl);
    dlc_log_set_level(lvl);
    dlc_log_set_json(cfg->logging.json);
    dlc_log_set_service("dlc-rpcd");
}

static int run_migrations(const dlc_config *cfg, int64_t wait_ms)
{
    dlc_db_params p = dlc_core_db_params(cfg);
    p.application_name = "dlc-rpcd migrate";
    char err[512];
    int64_t until = dlc_clock_mono_ms() + wait_ms;
    PGconn *conn;
    while (!(conn = dlc_db_connect_blocking(&p, err, sizeof err))) {
        dlc_log_warn("database not reachable", "error", err);
        if (dlc_clock_mono_ms() >= until)
            return -1;
        nng_msleep(500);
    }
    dlc_migrate_report rep = {0};
    int rc = dlc_migrate_run(conn, dlc_migrations_embedded, dlc_migrations_embedded_count, &rep,
                             err, sizeof err);
    PQfinish(conn);
    if (rc != 0) {
        dlc_log_error("migrations failed", "error", err);
        return -1;
    }
    char applied[16], skipped[16];
    snprintf(applied, sizeof applied, "%d", rep.applied);
    snprintf(skipped, sizeof skipped, "%d", rep.skipped);
    dlc_log_info("migrations done", "applied", applied, "already_applied", skipped);
    return 0;
}

/* Blocks the signals we handle in every thread; main waits for them. */
static void block_signals(sigset_t *set)
{
    sigemptyset(set);
    sigaddset(set, SIGTERM);
    sigaddset(set, SIGINT);
    sigaddset(set, SIGHUP);
    pthread_sigmask(SIG_BLOCK, set, NULL);
    signal(SIGPIPE, SIG_IGN);
}

static int serve(const dlc_config *cfg, sigset_t *sigs)
{
    dlc_core core;
    dlc_server *server = NULL;
    char err[512];
    if (dlc_core_init(&core, cfg, err, sizeof err) != 0 ||
        dlc_core_serve(&core, &server, err, sizeof err) != 0) {
        dlc_log_error("cannot start", "error", err);
        return 1;
    }
    for (size_t i = 0; i < cfg->rpc.listen.count; i++)
        dlc_log_info("listening", "url", cfg->rpc.listen.items[i]);
    for (;;) {
        int sig = 0;
        sigwait(sigs, &sig);
        if (sig != SIGHUP)
            break;
        dlc_log_warn("SIGHUP ignored: configuration reload is not supported yet");
    }
    char drain[24];
    snprintf(drain, sizeof drain, "%lld", (long long)cfg->rpc.default_timeout_ms);
    dlc_log_info("shutting down", "drain_timeout_ms", drain);
    atomic_store(&core.shutting_down, true);
    dlc_server_stop(server, cfg->rpc.default_timeout_ms);
    dlc_core_free(&core);
    dlc_log_info("stopped");
    return 0;
}

int main(int argc, char **argv)
{
    args a = {0};
    int rc = parse_args(argc, argv, &a);
    if (rc >= 0)
        return rc;
    dlc_config cfg;
    dlc_config_error e = {0};
    if (dlc_config_load(&cfg, a.config, environ, &e) != 0 || apply_flags(&cfg, &a, &e) != 0) {
        dlc_config_free(&cfg);
        return config_error(&e);
    }
    setup_logging(&cfg);
    sigset_t sigs;
    block_signals(&sigs);
    if (a.migrate_only)
        rc = run_migrations(&cfg, 0) == 0 ? 0 : 1;
    else if (cfg.database.auto_migrate && run_migrations(&cfg, STARTUP_DB_WAIT_MS) != 0)
        rc = 1;
    else
        rc = serve(&cfg, &sigs);
    dlc_config_free(&cfg);
    return rc;
}
