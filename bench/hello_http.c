/*
 * Bench-only HTTP ceiling: the gateway's own HTTP glue (civetweb with
 * keep-alive, tcp_nodelay, one write per response) answering a constant
 * greeting, with no routing, transcoding or RPC. What dlc-gateway adds on
 * top is measured as a ratio against this.
 *   hello_http ADDR THREADS   (SIGTERM/SIGINT stops it)
 */
#include "gateway/http.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

static void hello(void *app, const dlc_http_request *rq, dlc_http_response *rs)
{
    (void)app, (void)rq;
    dlc_http_set_json(rs, 200, json_pack("{s:s}", "message", "Hello ann!"));
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: hello_http ADDR THREADS\n");
        return 2;
    }
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    dlc_http_opts o = {argv[1], atoi(argv[2]), 65536, 5000, hello, NULL, NULL};
    char err[256];
    dlc_http *h = dlc_http_start(&o, err, sizeof err);
    if (!h) {
        fprintf(stderr, "hello_http: %s\n", err);
        return 1;
    }
    int sig;
    sigwait(&set, &sig);
    dlc_http_stop(h);
    return 0;
}
