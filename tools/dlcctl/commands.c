/*
 * dlcctl_commands: list, describe, call, health, login (see commands.h).
 * Every call goes through dlcctl_call and every input is transcoded by the
 * gateway's transcoder, so dlcctl speaks exactly the JSON /rpc speaks.
 */
#include "tools/dlcctl/commands.h"

#include "dlc/v1/auth.pb-c.h"
#include "dlc/v1/system.pb-c.h"
#include "gateway/transcode.h"
#include "tools/dlcctl/contract.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LIST_SERVICES "dlc.v1.SystemService/ListServices"
#define CHECK "dlc.v1.SystemService/Check"

static int usage(const dlcctl_command *c, const char *what, const char *arg)
{
    fprintf(stderr, "dlcctl %s: %s%s%s\n\n%s", c->name, what, arg ? ": " : "", arg ? arg : "",
            c->help);
    return DLCCTL_EXIT_USAGE;
}

/* Prints out (and frees it), or st's error. */
static int finish(ProtobufCMessage *out, const dlc_status *st)
{
    if (!out)
        return dlcctl_print_error(st);
    int rc = dlcctl_print_message(out);
    protobuf_c_message_free_unpacked(out, NULL);
    return rc;
}

/* ---- list ------------------------------------------------------------------- */

static bool reflection_refused(dlc_code code)
{
    return code == DLC_UNAUTHENTICATED || code == DLC_PERMISSION_DENIED ||
           code == DLC_UNIMPLEMENTED;
}

static int cmd_list(dlcctl_session *s, int argc, char **argv)
{
    bool contract = argc == 1 && strcmp(argv[0], "--contract") == 0;
    if (argc > (contract ? 1 : 0))
        return usage(dlcctl_command_find("list"), "unexpected argument", argv[0]);
    dlc_status st;
    dlc_status_clear(&st);
    Dlc__V1__ListServicesRequest in = DLC__V1__LIST_SERVICES_REQUEST__INIT;
    ProtobufCMessage *out = contract ? NULL : dlcctl_call(s, LIST_SERVICES, &in.base, &st);
    if (out || !(contract || reflection_refused(st.code)))
        return finish(out, &st);
    if (!contract)
        fprintf(stderr, "dlcctl: the core refused reflection (%s): listing the contract "
                        "compiled into dlcctl\n", dlc_status_reason(&st));
    return dlcctl_print_json(dlcctl_contract_services());
}

/* ---- describe ------------------------------------------------------------- */

static int cmd_describe(dlcctl_session *s, int argc, char **argv)
{
    (void)s;
    if (argc != 1)
        return usage(dlcctl_command_find("describe"), "expected one name", NULL);
    dlc_status st;
    json_t *v = dlcctl_contract_describe(argv[0], &st);
    return v ? dlcctl_print_json(v) : dlcctl_print_error(&st);
}

/* ---- call ----------------------------------------------------------------- */

/* The JSON text arg, or stdin when arg is NULL or "-"; NULL with st set. */
static json_t *read_input(const char *arg, dlc_status *st)
{
    json_error_t jerr;
    json_t *doc = arg && strcmp(arg, "-") != 0 ? json_loads(arg, JSON_REJECT_DUPLICATES, &jerr)
                                               : json_loadf(stdin, JSON_REJECT_DUPLICATES, &jerr);
    if (!doc) {
        dlc_status_set(st, DLC_INVALID_ARGUMENT, "invalid_argument",
                       "malformed JSON at line %d column %d: %.150s", jerr.line, jerr.column,
                       jerr.text);
        dlc_status_violation(st, "body", "%s", st->message);
    }
    return doc;
}

/* The input of method from JSON, in s's arena; NULL with st set. */
static ProtobufCMessage *build_input(dlcctl_session *s, const ProtobufCMethodDescriptor *md,
                                     const char *arg, dlc_status *st)
{
    json_t *doc = read_input(arg, st);
    ProtobufCMessage *in = doc ? dlc_transcode_new(md->input, &s->arena) : NULL;
    if (doc && !in)
        dlc_status_set(st, DLC_INTERNAL, NULL, "out of memory");
    bool ok = in && dlc_transcode_merge_json(in, doc, &s->arena, st) == 0;
    json_decref(doc);
    return ok ? in : NULL;
}

static int cmd_call(dlcctl_session *s, int argc, char **argv)
{
    if (argc < 1 || argc > 2)
        return usage(dlcctl_command_find("call"), "expected METHOD [JSON]", NULL);
    dlc_status st;
    const ProtobufCMethodDescriptor *md = dlcctl_method(argv[0], &st);
    if (!md)
        return dlcctl_print_error(&st);
    ProtobufCMessage *in = build_input(s, md, argc == 2 ? argv[1] : NULL, &st);
    if (!in)
        return dlcctl_print_error(&st);
    return finish(dlcctl_call(s, argv[0], in, &st), &st);
}

/* ---- health --------------------------------------------------------------- */

static int cmd_health(dlcctl_session *s, int argc, char **argv)
{
    if (argc > 1)
        return usage(dlcctl_command_find("health"), "unexpected argument", argv[1]);
    Dlc__V1__HealthCheckRequest in = DLC__V1__HEALTH_CHECK_REQUEST__INIT;
    in.service = argc == 1 ? argv[0] : "";
    dlc_status st;
    ProtobufCMessage *out = dlcctl_call(s, CHECK, &in.base, &st);
    bool serving = out && ((Dlc__V1__HealthCheckResponse *)out)->status ==
                              DLC__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__SERVING;
    int rc = finish(out, &st);
    return rc == 0 && !serving ? (int)DLC_UNAVAILABLE : rc;
}

/* ---- login ---------------------------------------------------------------- */

/* Prints the token of out alone (for DLC_TOKEN=$(dlcctl login …)). */
static int print_token(ProtobufCMessage *out, const dlc_status *st)
{
    if (!out)
        return dlcctl_print_error(st);
    int rc = printf("%s\n", ((Dlc__V1__TokenResponse *)out)->token) < 0 ? DLCCTL_EXIT_IOERR : 0;
    protobuf_c_message_free_unpacked(out, NULL);
    return rc;
}

static int cmd_login(dlcctl_session *s, int argc, char **argv)
{
    const dlcctl_command *self = dlcctl_command_find("login");
    const char *username = NULL, *password_file = "-";
    bool admin = false;
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--admin") == 0)
            admin = true;
        else if (strcmp(argv[i], "--password-file") == 0 && i + 1 < argc)
            password_file = argv[++i];
        else if (argv[i][0] != '-' && !username)
            username = argv[i];
        else
            return usage(self, "unexpected argument", argv[i]);
    }
    if (admin == (username != NULL))
        return usage(self, "give either USERNAME or --admin", NULL);
    char *password = dlcctl_read_secret(password_file, admin ? "Master password" : "Password");
    if (!password)
        return DLCCTL_EXIT_NOINPUT;
    Dlc__V1__LoginRequest user = DLC__V1__LOGIN_REQUEST__INIT;
    Dlc__V1__AdminLoginRequest master = DLC__V1__ADMIN_LOGIN_REQUEST__INIT;
    user.username = (char *)username;
    user.password = master.master_password = password;
    dlc_status st;
    ProtobufCMessage *out =
        admin ? dlcctl_call(s, "dlc.v1.AuthService/AdminLogin", &master.base, &st)
              : dlcctl_call(s, "dlc.v1.AuthService/Login", &user.base, &st);
    explicit_bzero(password, strlen(password));
    free(password);
    return print_token(out, &st);
}

/* ---- the table -------------------------------------------------------------- */

const dlcctl_command dlcctl_commands[] = {
    {"list", "services and methods the core serves",
     "usage: dlcctl list [--contract]\n"
     "Prints SystemService/ListServices as JSON: services, methods, input and output\n"
     "types, access level, whether a method writes. Reflection is for admins unless\n"
     "the core has rpc.reflection: public; when the core refuses it (unauthenticated,\n"
     "permission_denied, unimplemented), dlcctl says so on stderr and lists the\n"
     "contract compiled into itself instead (access ACCESS_UNSPECIFIED, writes false),\n"
     "exit 0. --contract lists that without asking the core.\n",
     true, cmd_list},
    {"describe", "fields of a service, method or message (compiled-in contract)",
     "usage: dlcctl describe SERVICE|METHOD|MESSAGE\n"
     "  e.g. dlc.v1.GreetService, dlc.v1.GreetService/Greet, dlc.v1.GreetRequest\n"
     "  (a name without a package is looked up in dlc.v1)\n"
     "Prints the contract compiled into dlcctl as JSON; needs no core. A message's\n"
     "fields: name, number, type (scalar name, or the full name of a message or\n"
     "enum), repeated, oneof, values (an enum's). Unknown name: exit 5 (not_found).\n",
     false, cmd_describe},
    {"call", "call a method with a JSON input",
     "usage: dlcctl call METHOD [JSON|-]\n"
     "  e.g. dlcctl call dlc.v1.GreetService/Greet '{\"name\":\"ann\"}'\n"
     "JSON is the input message (stdin when omitted or -), mapped as the gateway's\n"
     "/rpc route maps it (gateway/transcode.h); prints the output message as JSON.\n"
     "An unknown method: exit 12 (unimplemented); bad JSON: exit 3 (invalid_argument).\n",
     true, cmd_call},
    {"health", "is the core serving (SystemService/Check)",
     "usage: dlcctl health [SERVICE]\n"
     "Prints the HealthCheckResponse as JSON ({\"status\":\"SERVING\",…}). Exit 0 only\n"
     "when SERVING; 14 (unavailable) when the core answers NOT_SERVING or cannot be\n"
     "reached (then the error is on stderr); 5 for an unknown SERVICE.\n",
     true, cmd_health},
    {"login", "log in and print a token",
     "usage: dlcctl login USERNAME [--password-file FILE]\n"
     "       dlcctl login --admin [--password-file FILE]\n"
     "Reads the password (with --admin: the master password) from stdin, or FILE:\n"
     "the whole text, one trailing newline dropped (a terminal is prompted, without\n"
     "echo); never from the command line.\n"
     "Prints the bare token on one line, so that: export DLC_TOKEN=$(dlcctl login ann)\n"
     "(`dlcctl call dlc.v1.AuthService/Login` prints the whole TokenResponse).\n"
     "A wrong password: exit 16 (unauthenticated).\n",
     true, cmd_login},
};
const size_t dlcctl_command_count = sizeof dlcctl_commands / sizeof dlcctl_commands[0];

const dlcctl_command *dlcctl_command_find(const char *name)
{
    for (size_t i = 0; i < dlcctl_command_count; i++)
        if (strcmp(dlcctl_commands[i].name, name) == 0)
            return &dlcctl_commands[i];
    return NULL;
}
