/*
 * dlcctl: the command line client of a dlc core, over nng like the
 * gateway. Global options, the environment, help and version here; the
 * commands are commands.c, calls and output session.c.
 */
#include "common/config.h"
#include "dlc_version.h"
#include "tools/dlcctl/commands.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define DEFAULT_URL "tcp://127.0.0.1:7070"
#define DEFAULT_TIMEOUT_MS 5000

static const char USAGE_HEAD[] =
    "usage: dlcctl [--url URL] [--token TOKEN | --token-file FILE] [--timeout DURATION]\n"
    "              COMMAND [ARG…]\n"
    "       dlcctl help [COMMAND] | COMMAND --help | --help | --version\n"
    "\n"
    "  --url URL           the core: tcp://HOST:PORT or ipc:///path (default $DLC_URL,\n"
    "                      else " DEFAULT_URL ")\n"
    "  --token TOKEN       bearer token sent with every call (default $DLC_TOKEN); visible\n"
    "                      to every user in ps: prefer --token-file or $DLC_TOKEN\n"
    "  --token-file FILE   the token from FILE (- for stdin)\n"
    "  --timeout DURATION  per call: 250ms, 5s, 1m… (default 5s)\n"
    "\n"
    "commands:\n";

static const char USAGE_TAIL[] =
    "\n"
    "Output: results are one JSON object on stdout. Errors are one JSON object on\n"
    "stderr, {\"code\",\"reason\",\"message\",\"details\":[{\"field\",\"description\"}]}\n"
    "(code as snake_case: not_found, unauthenticated, …).\n"
    "Exit codes: 0 OK; otherwise the RPC status code, e.g. 3 invalid_argument,\n"
    "5 not_found, 7 permission_denied, 12 unimplemented, 14 unavailable (no core\n"
    "answering), 16 unauthenticated; 64 bad command line; 66 a file or stdin could\n"
    "not be read; 74 the output could not be written.\n";

static void print_usage(FILE *f)
{
    fputs(USAGE_HEAD, f);
    for (size_t i = 0; i < dlcctl_command_count; i++)
        fprintf(f, "  %-10s %s\n", dlcctl_commands[i].name, dlcctl_commands[i].summary);
    fputs(USAGE_TAIL, f);
}

static int usage_error(const char *what, const char *arg)
{
    fprintf(stderr, "dlcctl: %s%s%s (dlcctl --help)\n", what, arg ? ": " : "", arg ? arg : "");
    return DLCCTL_EXIT_USAGE;
}

typedef struct {
    const char *url, *token, *token_file, *timeout;
    int command; /* index into argv, 0 when none */
} options;

/* Global options up to the command. -1 to go on, else the exit code. */
static int parse_options(int argc, char **argv, options *o)
{
    for (int i = 1; i < argc; i += 2) { /* an option and its value */
        const char *arg = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
        const char **slot = strcmp(arg, "--url") == 0          ? &o->url
                            : strcmp(arg, "--token") == 0      ? &o->token
                            : strcmp(arg, "--token-file") == 0 ? &o->token_file
                            : strcmp(arg, "--timeout") == 0    ? &o->timeout
                                                               : NULL;
        if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
            print_usage(stdout);
            return 0;
        } else if (strcmp(arg, "--version") == 0) {
            printf("dlcctl %s (commit %s, built %s, %s)\n", DLC_VERSION, DLC_COMMIT,
                   DLC_BUILD_DATE, DLC_COMPILER);
            return 0;
        } else if (arg[0] != '-') {
            o->command = i;
            return -1;
        } else if (!slot) {
            return usage_error("unknown option", arg);
        } else if (!val) {
            return usage_error("missing value", arg);
        }
        *slot = val;
    }
    return usage_error("no command", NULL);
}

static bool wants_help(int argc, char **argv)
{
    for (int i = 0; i < argc; i++)
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
            return true;
    return false;
}

/* `help [COMMAND]` */
static int help(int argc, char **argv)
{
    const dlcctl_command *c = argc > 0 ? dlcctl_command_find(argv[0]) : NULL;
    if (argc > 0 && !c)
        return usage_error("unknown command", argv[0]);
    if (c)
        fputs(c->help, stdout);
    else
        print_usage(stdout);
    return 0;
}

/* Fills s from the options and the environment; -1 to go on, else the
 * exit code. *token_buf owns a token read from a file. */
static int configure(const options *o, dlcctl_session *s, char **token_buf)
{
    int64_t ms = DEFAULT_TIMEOUT_MS;
    if (o->timeout && (dlc_config_parse_duration(o->timeout, &ms) != 0 || ms <= 0 ||
                       ms > 3600 * 1000))
        return usage_error("--timeout takes a duration from 1ms to 1h, e.g. 5s", o->timeout);
    if (o->token && o->token_file)
        return usage_error("give --token or --token-file, not both", NULL);
    s->timeout_ms = (uint32_t)ms;
    s->url = o->url ? o->url : getenv("DLC_URL") ? getenv("DLC_URL") : DEFAULT_URL;
    s->token = o->token ? o->token : getenv("DLC_TOKEN");
    if (o->token_file && !(s->token = *token_buf = dlcctl_read_secret(o->token_file, "Token")))
        return DLCCTL_EXIT_NOINPUT;
    if (s->token && strncasecmp(s->token, "Bearer ", 7) == 0)
        s->token += 7; /* a whole Authorization value was given */
    if (s->token && !s->token[0])
        s->token = NULL; /* DLC_TOKEN= means anonymous */
    return -1;
}

static int run(const dlcctl_command *c, const options *o, int argc, char **argv)
{
    dlcctl_session s = {0};
    char *token_buf = NULL;
    int rc = configure(o, &s, &token_buf);
    if (rc < 0 && c->needs_core && dlcctl_session_open(&s) != 0)
        rc = DLCCTL_EXIT_USAGE;
    if (rc < 0)
        rc = c->run(&s, argc, argv);
    dlcctl_session_close(&s);
    free(token_buf);
    return rc;
}

int main(int argc, char **argv)
{
    signal(SIGPIPE, SIG_IGN);
    options o = {0};
    int rc = parse_options(argc, argv, &o);
    if (rc >= 0)
        return rc;
    const char *name = argv[o.command];
    int cargc = argc - o.command - 1;
    char **cargv = argv + o.command + 1;
    if (strcmp(name, "help") == 0)
        return help(cargc, cargv);
    const dlcctl_command *c = dlcctl_command_find(name);
    if (!c)
        return usage_error("unknown command", name);
    if (wants_help(cargc, cargv)) {
        fputs(c->help, stdout);
        return 0;
    }
    return run(c, &o, cargc, cargv);
}
