/*
 * The core's health probe (probe.h): a one-shot dlc_client (one socket, one
 * context) that asks Check("") and judges the answer.
 */
#include "rpc/runtime/probe.h"

#include "dlc/v1/system.pb-c.h"
#include "dlc/client.h"

#define SERVING DLC__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__SERVING

/* Prints the verdict of an answered call; 0 when SERVING. */
static int judge(const char *url, dlc_client_reply *reply, FILE *out)
{
    Dlc__V1__HealthCheckResponse *resp = (Dlc__V1__HealthCheckResponse *)dlc_client_reply_unpack(
        reply, &dlc__v1__health_check_response__descriptor);
    int rc = 1;
    if (!resp)
        fprintf(out, "UNAVAILABLE %s: %s (%s)\n", url, reply->status.message,
                dlc_status_reason(&reply->status));
    else if (resp->status == SERVING)
        rc = 0, fprintf(out, "SERVING %s\n", url);
    else
        fprintf(out, "NOT_SERVING %s: %s%s%s\n", url, resp->reason[0] ? resp->reason : "unknown",
                resp->error[0] ? ", " : "", resp->error);
    if (resp)
        protobuf_c_message_free_unpacked(&resp->base, NULL);
    return rc;
}

int dlc_probe_core(const char *url, uint32_t timeout_ms, FILE *out)
{
    const char *urls[] = {url};
    /* Half the time to connect, the rest (at least) for the answer. */
    dlc_client_opts o = {.urls = urls,
                         .n_urls = 1,
                         .sockets = 1,
                         .max_contexts = 1,
                         .default_timeout_ms = timeout_ms / 2,
                         .connect_wait_ms = timeout_ms / 2};
    dlc_client *c = NULL;
    char err[256];
    if (dlc_client_open(&o, &c, err, sizeof err) != 0) {
        fprintf(out, "UNAVAILABLE %s: %s\n", url, err);
        return 1;
    }
    Dlc__V1__HealthCheckRequest in = DLC__V1__HEALTH_CHECK_REQUEST__INIT;
    dlc_client_request rq = {.method = "dlc.v1.SystemService/Check", .input = &in.base};
    dlc_client_reply reply;
    dlc_client_call(c, &rq, &reply);
    int rc = judge(url, &reply, out);
    dlc_client_reply_free(&reply);
    dlc_client_close(c);
    return rc;
}
