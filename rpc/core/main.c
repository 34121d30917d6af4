/*
 * dlc-rpcd: the RPC core. Loads the configuration, applies migrations
 * (database.auto_migrate, or `dlc-rpcd migrate`), serves until SIGTERM or
 * SIGINT, then drains: in-flight requests finish (bounded by
 * rpc.default_timeout), DB connections close, exit 0.
 */
#include "common/cli.h"
#include "common/clock.h"
#include "common/log.h"
#include "rpc/core/admin_http.h"
#include "rpc/core/core.h"
#include "rpc/runtime/probe.h"
#include "storage/migrate.h"

#include <nng/supplemental/util/platform.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* How long start-up waits for the database before giving up. */
#define STARTUP_DB_WAIT_MS 30000

static const char USAGE[] =
    "usage: dlc-rpcd [options] [migrate]\n"
    "\n"
    "Serves the dlc RPC methods over nng (REQ/REP); `migrate` applies the\n"
    "database migrations and exits.\n"
    "\n"
    "options:\n"
    DLC_CLI_COMMON_OPTIONS
    "  --listen URL       listen here instead of rpc.listen (repeatable;\n"
    "                     tcp://HOST:PORT or ipc:///path)\n"
    "  --probe URL        health probe, no server: asks the core at URL\n"
    "                     (tcp://HOST:PORT, ipc:///path) for SystemService/Check;\n"
    "                     exit 0 when SERVING, 1 otherwise (answer within 2 s)\n"
    "\n"
    "Environment: DLC_<SECTION>_<KEY> overrides the file (e.g. DLC_DATABASE_HOST);\n"
    "flags override both. With no database configured, libpq's PG* variables apply.\n";

/* A blocking connection for start-up work, retried for up to wait_ms. */
static dlc_conn *connect_database(const dlc_config *cfg, int64_t wait_ms)
{
    dlc_db_params p = dlc_core_db_params(cfg);
    p.application_name = "dlc-rpcd start-up";
    char err[512];
    int64_t until = dlc_clock_mono_ms() + wait_ms;
    dlc_conn *conn;
    while (!(conn = dlc_db_connect_blocking(&p, err, sizeof err))) {
        dlc_log_warn("database not reachable", "error", err);
        if (dlc_clock_mono_ms() >= until)
            return NULL;
        nng_msleep(500);
    }
    return conn;
}

static int migrate(dlc_conn *conn)
{
    char err[512];
    dlc_migrate_report rep = {0};
    if (dlc_migrate_run(conn, dlc_migrations_embedded, dlc_migrations_embedded_count, &rep, err,
                        sizeof err) != 0) {
        dlc_log_error("migrations failed", "error", err);
        return -1;
    }
    char applied[16], skipped[16];
    snprintf(applied, sizeof applied, "%d", rep.applied);
    snprintf(skipped, sizeof skipped, "%d", rep.skipped);
    dlc_log_info("migrations done", "applied", applied, "already_applied", skipped);
    return 0;
}

/* `dlc-rpcd migrate`: one attempt, no waiting. */
static int migrate_only(const dlc_config *cfg)
{
    dlc_conn *conn = connect_database(cfg, 0);
    int rc = conn && migrate(conn) == 0 ? 0 : 1;
    dlc_db_disconnect(conn);
    return rc;
}

/* Before serving: the schema (database.auto_migrate) and the signing keys. */
static int prepare_database(dlc_core *core)
{
    dlc_conn *conn = connect_database(&core->cfg, STARTUP_DB_WAIT_MS);
    char err[512] = "database not reachable";
    bool migrated = conn && (!core->cfg.database.auto_migrate || migrate(conn) == 0);
    if (conn && !migrated)
        snprintf(err, sizeof err, "migrations failed (see above)");
    int rc = migrated && dlc_auth_load_keys(&core->auth, &core->cfg, conn, err, sizeof err) == 0
                 ? 0
                 : -1;
    if (rc != 0)
        dlc_log_error("cannot prepare the database", "error", err);
    dlc_db_disconnect(conn);
    return rc;
}

/* The admin listener (metrics, probes). Its failure is logged, not fatal:
 * the RPC service does not depend on it. */
static dlc_admin_http *start_admin(dlc_core *core)
{
    char err[512];
    dlc_admin_http *admin = dlc_admin_http_start(core, err, sizeof err);
    char port[16];
    snprintf(port, sizeof port, "%d", dlc_admin_http_port(admin));
    if (admin)
        dlc_log_info("admin listening", "address", core->cfg.admin.listen, "port", port);
    else if (err[0])
        dlc_log_error("admin listener not started; serving without it", "error", err);
    return admin;
}

static int serve(const dlc_cli_spec *spec, int argc, char **argv, const dlc_config *cfg)
{
    dlc_core core;
    dlc_server *server = NULL;
    char err[512];
    if (dlc_core_init(&core, cfg, err, sizeof err) != 0) {
        dlc_log_error("cannot start", "error", err);
        return 1;
    }
    dlc_db_params keys_db = dlc_core_db_params(&core.cfg);
    keys_db.application_name = "dlc-rpcd keys";
    dlc_db_params chores_db = dlc_core_db_params(&core.cfg);
    chores_db.application_name = "dlc-rpcd housekeeping";
    if (prepare_database(&core) != 0 || dlc_auth_watch_start(&core.auth, &keys_db, core.live) != 0 ||
        dlc_core_housekeeping_start(&core, &chores_db) != 0) {
        dlc_core_free(&core);
        return 1;
    }
    if (dlc_core_serve(&core, &server, err, sizeof err) != 0) {
        dlc_log_error("cannot start", "error", err);
        dlc_core_free(&core);
        return 1;
    }
    for (size_t i = 0; i < cfg->rpc.listen.count; i++)
        dlc_log_info("listening", "url", cfg->rpc.listen.items[i]);
    dlc_admin_http *admin = start_admin(&core);
    if (dlc_cli_watch(core.live, spec, argc, argv, err, sizeof err) != 0)
        dlc_log_warn("configuration file not watched (SIGHUP still reloads)", "error", err);
    dlc_cli_ready();
    dlc_cli_wait_for_stop(core.live);
    char drain[24];
    snprintf(drain, sizeof drain, "%lld", (long long)cfg->rpc.default_timeout_ms);
    dlc_log_info("shutting down", "drain_timeout_ms", drain);
    atomic_store(&core.shutting_down, true);
    dlc_server_stop(server, cfg->rpc.default_timeout_ms);
    dlc_admin_http_stop(admin); /* /readyz said 503 while draining */
    dlc_core_free(&core);
    dlc_log_info("stopped");
    return 0;
}

static int probe(const char *url)
{
    return dlc_probe_core(url, DLC_PROBE_TIMEOUT_MS, stdout);
}

int main(int argc, char **argv)
{
    static const char *const subcommands[] = {"migrate", NULL};
    const dlc_cli_spec spec = {"dlc-rpcd", USAGE, "rpc.listen", subcommands, probe};
    dlc_config cfg;
    const char *sub = NULL;
    int rc = dlc_cli_load(&spec, argc, argv, &cfg, &sub);
    if (rc < 0) {
        dlc_cli_block_signals();
        rc = sub ? migrate_only(&cfg) : serve(&spec, argc, argv, &cfg);
    }
    dlc_config_free(&cfg);
    return rc;
}
