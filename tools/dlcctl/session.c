/*
 * dlcctl_session: the client, calls, JSON output and errors of dlcctl
 * (see session.h).
 */
#include "tools/dlcctl/session.h"

#include "gateway/transcode.h"
#include "rpc/runtime/contract.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#define SECRET_MAX (64 * 1024)

int dlcctl_session_open(dlcctl_session *s)
{
    const char *urls[] = {s->url};
    dlc_client_opts o = {
        .urls = urls,
        .n_urls = 1,
        .sockets = 1,
        .max_contexts = 1,
        .default_timeout_ms = s->timeout_ms,
        .connect_wait_ms = s->timeout_ms < 1000 ? s->timeout_ms : 1000,
    };
    char err[256];
    if (dlc_client_open(&o, &s->client, err, sizeof err) != 0) {
        fprintf(stderr, "dlcctl: --url %s: %s\n", s->url, err);
        return -1;
    }
    dlc_arena_init(&s->arena, 16 * 1024);
    return 0;
}

void dlcctl_session_close(dlcctl_session *s)
{
    if (!s->client)
        return;
    dlc_client_close(s->client);
    dlc_arena_destroy(&s->arena);
    s->client = NULL;
}

const ProtobufCMethodDescriptor *dlcctl_method(const char *full_name, dlc_status *st)
{
    const ProtobufCMethodDescriptor *md = dlc_contract_find(full_name);
    dlc_status_clear(st);
    if (!md)
        dlc_status_set(st, DLC_UNIMPLEMENTED, "unknown_method",
                       "no method %.200s in the contract (dlcctl list)", full_name);
    return md;
}

ProtobufCMessage *dlcctl_call(dlcctl_session *s, const char *method, const ProtobufCMessage *in,
                              dlc_status *st)
{
    const ProtobufCMethodDescriptor *md = dlcctl_method(method, st);
    if (!md)
        return NULL;
    char *auth = s->token ? dlc_arena_printf(&s->arena, "Bearer %s", s->token) : NULL;
    dlc_md metadata[] = {{"authorization", auth}};
    dlc_client_request rq = {.method = method, .input = in, .metadata = metadata,
                             .n_metadata = auth ? 1 : 0, .timeout_ms = s->timeout_ms};
    dlc_client_reply reply;
    dlc_client_call(s->client, &rq, &reply);
    ProtobufCMessage *out = dlc_client_reply_unpack(&reply, md->output);
    *st = reply.status;
    dlc_client_reply_free(&reply);
    return out;
}

int dlcctl_print_json(json_t *v)
{
    int rc = v ? json_dumpf(v, stdout, JSON_COMPACT) : -1;
    json_decref(v);
    if (rc != 0 || fputc('\n', stdout) == EOF || fflush(stdout) != 0) {
        fprintf(stderr, "dlcctl: could not write the output\n");
        return DLCCTL_EXIT_IOERR;
    }
    return 0;
}

int dlcctl_print_message(const ProtobufCMessage *m)
{
    return dlcctl_print_json(dlc_transcode_to_json(m));
}

static json_t *details(const dlc_status *st)
{
    json_t *arr = json_array();
    for (size_t i = 0; i < st->n_violations; i++)
        json_array_append_new(arr, json_pack("{s:s,s:s}", "field", st->violations[i].field,
                                             "description", st->violations[i].description));
    return arr;
}

int dlcctl_print_error(const dlc_status *st)
{
    /* a core's texts may not be UTF-8, which JSON strings must be */
    json_t *msg = json_string(st->message);
    json_t *e = json_pack("{s:s,s:s,s:o,s:o}", "code", dlc_code_name(st->code), "reason",
                          dlc_status_reason(st), "message",
                          msg ? msg : json_string("(the message is not UTF-8)"), "details",
                          details(st));
    if (!e)
        e = json_pack("{s:s}", "code", dlc_code_name(st->code));
    if (e && st->retry_after_ms)
        json_object_set_new(e, "retry_after_ms", json_integer(st->retry_after_ms));
    if (e && json_dumpf(e, stderr, JSON_COMPACT) == 0)
        fputc('\n', stderr);
    json_decref(e);
    return st->code == DLC_OK ? 0 : (int)st->code;
}

/* One line from the terminal on stdin, not echoed. */
static size_t read_hidden(const char *prompt, char *buf, size_t len)
{
    struct termios saved, quiet;
    bool hide = tcgetattr(STDIN_FILENO, &saved) == 0;
    quiet = saved;
    quiet.c_lflag &= ~(tcflag_t)ECHO;
    fprintf(stderr, "%s: ", prompt);
    if (hide)
        tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
    size_t n = fgets(buf, (int)len, stdin) ? strlen(buf) : 0;
    if (hide)
        tcsetattr(STDIN_FILENO, TCSANOW, &saved);
    fputc('\n', stderr);
    return n;
}

char *dlcctl_read_secret(const char *path, const char *prompt)
{
    bool from_stdin = strcmp(path, "-") == 0;
    FILE *f = from_stdin ? stdin : fopen(path, "r");
    char *buf = f ? malloc(SECRET_MAX + 1) : NULL;
    size_t n = !buf                             ? 0
               : from_stdin && isatty(STDIN_FILENO) ? read_hidden(prompt, buf, SECRET_MAX + 1)
                                                    : fread(buf, 1, SECRET_MAX + 1, f);
    bool ok = buf && !ferror(f) && n <= SECRET_MAX;
    if (f && !from_stdin)
        fclose(f);
    if (!ok) {
        fprintf(stderr, "dlcctl: cannot read %s\n", from_stdin ? "stdin" : path);
        free(buf);
        return NULL;
    }
    if (n > 0 && buf[n - 1] == '\n')
        n--;
    if (n > 0 && buf[n - 1] == '\r')
        n--;
    buf[n] = '\0';
    return buf;
}
