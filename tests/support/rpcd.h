/*
 * A real dlc-rpcd for tests, and raw envelope calls to it over nng: one
 * REQ socket per call, no dlc_client in between, so the wire is what is
 * tested.
 */
#ifndef DLC_TESTRPCD_H
#define DLC_TESTRPCD_H

#include "rpc/runtime/envelope.h"
#include "rpc/runtime/status.h"

#include <protobuf-c/protobuf-c.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

typedef struct {
    pid_t pid;
    char dir[256];      /* scratch folder (mode 0755): log, ipc socket */
    char tcp_url[64];   /* tcp://127.0.0.1:<free port> */
    char ipc_url[320];  /* ipc://<dir>/rpcd.ipc */
    char log_path[300];
} dlc_test_rpcd;

/* Starts dlc-rpcd on a free tcp port and an ipc socket, database `dbname`
 * on the server of the PG* environment, plus extra "DLC_…=…" settings
 * (NULL-terminated, may be NULL; rate limits are off unless they say
 * DLC_RATELIMIT_ENABLED=true); waits until Check answers SERVING (≤ 30 s).
 * 0, or -1 (the log is printed). */
int dlc_test_rpcd_start(dlc_test_rpcd *r, const char *dbname, char *const extra_env[]);
/* SIGTERM, wait ≤ 10 s; returns the exit code (or -1 when killed). Removes
 * the scratch folder. */
int dlc_test_rpcd_stop(dlc_test_rpcd *r);

/* Sends one raw frame and waits ≤ timeout_ms for one frame back.
 * Returns 0 and *reply (caller nng_msg_free()s), or an nng error. */
int dlc_test_raw(const char *url, const void *frame, size_t len, int timeout_ms,
                 void **reply, size_t *reply_len);

/* Calls method with input in, envelope timeout_ms (0 = server default),
 * waiting ≤ wait_ms. Fills st (transport failures → UNAVAILABLE). On OK,
 * *out (when non-NULL) gets the decoded output (free_unpacked(…, NULL)). */
void dlc_test_call(const char *url, const char *method, const ProtobufCMessage *in,
                   uint32_t timeout_ms, int wait_ms, const ProtobufCMessageDescriptor *out_desc,
                   ProtobufCMessage **out, dlc_status *st);

/* As dlc_test_call, with request metadata (e.g. authorization). */
void dlc_test_call_md(const char *url, const char *method, const ProtobufCMessage *in,
                      const dlc_md *md, size_t n_md, int wait_ms,
                      const ProtobufCMessageDescriptor *out_desc, ProtobufCMessage **out,
                      dlc_status *st);

/* Check("") → true when SERVING. */
bool dlc_test_serving(const char *url, int wait_ms);

#endif
