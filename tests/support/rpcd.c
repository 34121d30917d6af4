/*
 * A real dlc-rpcd for tests, and raw envelope calls to it over nng (see
 * rpcd.h).
 */
#include "support/rpcd.h"

#include "dlc/v1/system.pb-c.h"
#include "rpc/runtime/envelope.h"
#include "support/proc.h"

#include <nng/protocol/reqrep0/req.h>
#include <nng/supplemental/util/platform.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static void print_log(const char *path)
{
    FILE *f = fopen(path, "r");
    char line[1024];
    fprintf(stderr, "---- %s ----\n", path);
    while (f && fgets(line, sizeof line, f))
        fputs(line, stderr);
    if (f)
        fclose(f);
}

int dlc_test_rpcd_start(dlc_test_rpcd *r, const char *dbname, char *const extra_env[])
{
    memset(r, 0, sizeof *r);
    snprintf(r->dir, sizeof r->dir, "/tmp/dlc-test-XXXXXX");
    if (!mkdtemp(r->dir) || chmod(r->dir, 0755) != 0)
        return -1;
    snprintf(r->tcp_url, sizeof r->tcp_url, "tcp://127.0.0.1:%d", dlc_proc_free_port());
    snprintf(r->ipc_url, sizeof r->ipc_url, "ipc://%s/rpcd.ipc", r->dir);
    snprintf(r->log_path, sizeof r->log_path, "%s/rpcd.log", r->dir);
    char listen[512], db[128];
    snprintf(listen, sizeof listen, "DLC_RPC_LISTEN=%s,%s", r->tcp_url, r->ipc_url);
    snprintf(db, sizeof db, "DLC_DATABASE_NAME=%s", dbname);
    /* Rate limits off unless a test turns them on (extra_env comes later
     * and wins): protocol tests send bursts from one peer. */
    char *env[32] = {listen, db, "DLC_LOGGING_LEVEL=debug", "DLC_RATELIMIT_ENABLED=false",
                     "DLC_ADMIN_LISTEN=" /* parallel tests would share one port */};
    size_t n = 5;
    for (size_t i = 0; extra_env && extra_env[i] && n < 31; i++)
        env[n++] = extra_env[i];
    env[n] = NULL;
    char *argv[] = {DLC_RPCD_PATH, NULL};
    r->pid = dlc_proc_spawn(argv, env, r->log_path);
    for (int i = 0; i < 300 && r->pid > 0; i++) {
        if (dlc_test_serving(r->tcp_url, 100))
            return 0;
        if (waitpid(r->pid, NULL, WNOHANG) == r->pid) {
            r->pid = 0; /* reaped: nothing left to stop */
            break;
        }
    }
    print_log(r->log_path);
    dlc_proc_stop(r->pid, SIGKILL, 1000); /* not serving: do not leave it behind */
    return -1;
}

int dlc_test_rpcd_stop(dlc_test_rpcd *r)
{
    int status = dlc_proc_stop(r->pid, SIGTERM, 10000);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", r->dir);
    if (status != 0)
        print_log(r->log_path);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", r->dir);
    return status >= 0 && WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

int dlc_test_raw(const char *url, const void *frame, size_t len, int timeout_ms, void **reply,
                 size_t *reply_len)
{
    nng_socket s;
    int rv = nng_req0_open(&s);
    if (rv != 0)
        return rv;
    nng_socket_set_ms(s, NNG_OPT_RECVTIMEO, timeout_ms);
    nng_socket_set_ms(s, NNG_OPT_SENDTIMEO, timeout_ms);
    rv = nng_dial(s, url, NULL, 0);
    if (rv == 0)
        rv = nng_send(s, (void *)frame, len, 0);
    if (rv == 0)
        rv = nng_recv(s, reply, reply_len, NNG_FLAG_ALLOC);
    nng_close(s);
    return rv;
}

static void call(const char *url, const char *method, const ProtobufCMessage *in,
                 const dlc_md *md, size_t n_md, uint32_t timeout_ms, int wait_ms,
                 const ProtobufCMessageDescriptor *out_desc, ProtobufCMessage **out,
                 dlc_status *st)
{
    uint8_t payload[4096];
    dlc_status_clear(st);
    if (out)
        *out = NULL;
    if (in && protobuf_c_message_get_packed_size(in) > sizeof payload) {
        dlc_status_set(st, DLC_INTERNAL, NULL, "test input larger than the helper's buffer");
        return;
    }
    size_t plen = in ? protobuf_c_message_pack(in, payload) : 0;
    nng_msg *req;
    dlc_envelope_pack_request(method, payload, plen, md, n_md, timeout_ms, NULL, &req);
    void *buf;
    size_t len;
    int rv = dlc_test_raw(url, nng_msg_body(req), nng_msg_len(req), wait_ms, &buf, &len);
    nng_msg_free(req);
    if (rv != 0) {
        dlc_status_set(st, DLC_UNAVAILABLE, NULL, "transport: %s", nng_strerror(rv));
        return;
    }
    Dlc__Rpc__V1__Response *resp = dlc_envelope_decode_response(buf, len);
    nng_free(buf, len);
    if (!resp) {
        dlc_status_set(st, DLC_INTERNAL, NULL, "undecodable response");
        return;
    }
    dlc_status_from_proto(st, resp->status);
    if (st->code == DLC_OK && out && out_desc)
        *out = protobuf_c_message_unpack(out_desc, NULL, resp->payload.len, resp->payload.data);
    dlc__rpc__v1__response__free_unpacked(resp, NULL);
}

void dlc_test_call(const char *url, const char *method, const ProtobufCMessage *in,
                   uint32_t timeout_ms, int wait_ms, const ProtobufCMessageDescriptor *out_desc,
                   ProtobufCMessage **out, dlc_status *st)
{
    call(url, method, in, NULL, 0, timeout_ms, wait_ms, out_desc, out, st);
}

void dlc_test_call_md(const char *url, const char *method, const ProtobufCMessage *in,
                      const dlc_md *md, size_t n_md, int wait_ms,
                      const ProtobufCMessageDescriptor *out_desc, ProtobufCMessage **out,
                      dlc_status *st)
{
    call(url, method, in, md, n_md, 0, wait_ms, out_desc, out, st);
}

bool dlc_test_serving(const char *url, int wait_ms)
{
    Dlc__V1__HealthCheckRequest in = DLC__V1__HEALTH_CHECK_REQUEST__INIT;
    ProtobufCMessage *out;
    dlc_status st;
    dlc_test_call(url, "dlc.v1.SystemService/Check", &in.base, 0, wait_ms,
                  &dlc__v1__health_check_response__descriptor, &out, &st);
    bool ok = st.code == DLC_OK && out &&
              ((Dlc__V1__HealthCheckResponse *)out)->status ==
                  DLC__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__SERVING;
    if (out)
        protobuf_c_message_free_unpacked(out, NULL);
    if (!ok)
        nng_msleep((nng_duration)wait_ms);
    return ok;
}
