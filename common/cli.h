/*
 * dlc_cli: the command line every dlc daemon shares — --config FILE,
 * --listen ADDR (repeatable, overrides the daemon's listen key),
 * --set KEY=VALUE (repeatable), --help, --version, --probe URL (a health
 * probe, when the daemon has one), and optional subcommands — plus loading the configuration in the documented order
 * (defaults < file < DLC_ env < flags) and applying the logging settings.
 */
#ifndef DLC_CLI_H
#define DLC_CLI_H

#include "common/config.h"
#include "common/reload.h"

/* The options every daemon takes, for its usage text. */
#define DLC_CLI_COMMON_OPTIONS                                                                     \
    "  --config FILE      YAML configuration (--config=FILE too; every key:\n"                    \
    "                     docs/configuration.md, dlc.yaml.example)\n"                             \
    "  --set KEY=VALUE    override any configuration key (repeatable; never\n"                    \
    "                     for secrets: the process list shows them)\n"                            \
    "  --check-config     validate the configuration (file, environment, flags)\n"                \
    "                     and exit: 0 valid, 2 invalid (file:line and key)\n"                     \
    "  --dump-config      print the effective configuration as YAML (secrets\n"                   \
    "                     redacted) and exit\n"                                                   \
    "  --help             this text\n"                                                            \
    "  --version          version, commit and build date\n"

typedef struct {
    const char *program;        /* "dlc-rpcd" */
    const char *usage;          /* full --help text */
    const char *listen_key;     /* "rpc.listen" or "server.listen" */
    const char *const *subcommands; /* NULL-terminated, may be NULL */
    /* `--probe URL`: runs this instead of the daemon and exits with what it
     * returns (0 healthy, 1 not, 2 bad URL); NULL when there is none. */
    int (*probe)(const char *url);
} dlc_cli_spec;

/* Parses argv and loads cfg. Returns -1 to go on (cfg loaded, logging set,
 * *subcommand = the one given or NULL), or an exit code: 0 after --help /
 * --version, the probe's after --probe, 2 for bad usage or invalid configuration (message on stderr
 * naming file:line and key). cfg must be dlc_config_free'd in every case. */
int dlc_cli_load(const dlc_cli_spec *spec, int argc, char **argv, dlc_config *cfg,
                 const char **subcommand);

/* The daemons' signals: blocks SIGTERM, SIGINT and SIGHUP in the calling
 * thread, and so in every thread started after (call it first), and
 * ignores SIGPIPE. */
void dlc_cli_block_signals(void);
/* Tells the service manager the daemon serves (READY=1 to $NOTIFY_SOCKET,
 * common/notify.h; nothing without it). */
void dlc_cli_ready(void);
/* Returns at SIGTERM or SIGINT (telling the service manager STOPPING=1);
 * each SIGHUP meanwhile reloads live (RELOADING=1, then READY=1). */
void dlc_cli_wait_for_stop(dlc_reload *live);

/* Hot reload from the sources dlc_cli_load read: the --config file and the
 * --set/--listen flags on top of the environment, read anew each time; starts
 * watching the file. One per process (spec and argv must outlive r).
 * 0, or -1 with err filled. */
int dlc_cli_watch(dlc_reload *r, const dlc_cli_spec *spec, int argc, char **argv, char *err,
                  size_t errlen);

#endif
