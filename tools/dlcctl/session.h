/*
 * dlcctl_session: what every dlcctl command shares — one dlc_client
 * (rpc/runtime/client.h) to the core at --url, the caller's token, the
 * timeout — and how results leave the process: a message as one JSON
 * object on stdout (gateway/transcode.h, the gateway's own mapping), a
 * failure as {"code","reason","message","details"} on stderr, and the exit
 * code a status maps to.
 */
#ifndef DLCCTL_SESSION_H
#define DLCCTL_SESSION_H

#include "rpc/runtime/arena.h"
#include "dlc/client.h"

#include <jansson.h>
#include <protobuf-c/protobuf-c.h>
#include <stdint.h>

/* Exit codes besides the status codes (0 OK, 1–16 the RPC code):
 * sysexits.h's. */
#define DLCCTL_EXIT_USAGE 64   /* EX_USAGE: bad command line */
#define DLCCTL_EXIT_NOINPUT 66 /* EX_NOINPUT: a file or stdin could not be read */
#define DLCCTL_EXIT_IOERR 74   /* EX_IOERR: the output could not be written */

typedef struct {
    const char *url;
    const char *token;   /* bearer token, or NULL (anonymous); borrowed */
    uint32_t timeout_ms; /* per call */
    dlc_client *client;  /* owned; opened by dlcctl_session_open */
    dlc_arena arena;     /* input messages of this process's calls */
} dlcctl_session;

/* Connects (asynchronously: a core that is down shows in the first call,
 * as UNAVAILABLE). 0, or -1 with a message on stderr (a bad URL). */
int dlcctl_session_open(dlcctl_session *s);
void dlcctl_session_close(dlcctl_session *s);

/* The contract's method named full_name ("dlc.v1.GreetService/Greet"), or
 * NULL with st = UNIMPLEMENTED (reason unknown_method, as the core says). */
const ProtobufCMethodDescriptor *dlcctl_method(const char *full_name, dlc_status *st);

/* Calls method (full name, in the contract) with in. The decoded output
 * (caller frees: protobuf_c_message_free_unpacked(m, NULL)), or NULL with
 * st telling why. */
ProtobufCMessage *dlcctl_call(dlcctl_session *s, const char *method, const ProtobufCMessage *in,
                              dlc_status *st);

/* Prints v as one line of JSON on stdout and drops the reference. 0, or
 * the exit code of a failure to write. */
int dlcctl_print_json(json_t *v);
/* The message as JSON (the transcoder's) on stdout; 0 or an exit code. */
int dlcctl_print_message(const ProtobufCMessage *m);
/* st as {"code","reason","message","details"[,"retry_after_ms"]} on
 * stderr; returns st's exit code (its code number). */
int dlcctl_print_error(const dlc_status *st);

/* A secret from path ("-": stdin): the whole text, one trailing newline
 * (or CRLF) dropped. From a terminal, one line read without echo after a
 * prompt (prompt on stderr). Heap string (caller frees), or NULL with a
 * message on stderr. */
char *dlcctl_read_secret(const char *path, const char *prompt);

#endif
