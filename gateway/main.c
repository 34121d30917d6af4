/*
 * dlc-gateway: REST/JSON in front of the dlc RPC core. Serves until SIGTERM
 * or SIGINT; then /api/ready answers 503 at once, requests in flight finish
 * (bounded by server.request_timeout), connections close, exit 0.
 */
#include "common/cli.h"
#include "common/clock.h"
#include "common/log.h"
#include "gateway/gateway.h"
#include "gateway/http_probe.h"
#include "gateway/metrics.h"
#include "gateway/routes.h"

#include <nng/nng.h>
#include <nng/supplemental/util/platform.h>
#include <stdio.h>

static const char USAGE[] =
    "usage: dlc-gateway [options]\n"
    "\n"
    "Serves the dlc REST API (routes: gateway/routes.c) over HTTP and calls the dlc RPC core.\n"
    "\n"
    "options:\n"
    DLC_CLI_COMMON_OPTIONS
    "  --listen ADDR      listen here instead of server.listen (e.g. 127.0.0.1:8080)\n"
    "  --probe URL        health probe, no server: GET http://HOST:PORT/PATH\n"
    "                     (e.g. http://127.0.0.1:8080/api/healthz); exit 0 for a\n"
    "                     2xx answer within 2 s, 1 otherwise\n"
    "\n"
    "Environment: DLC_<SECTION>_<KEY> overrides the file (e.g. DLC_RPC_ENDPOINTS);\n"
    "flags override both.\n";

static void drain(dlc_gateway *gw, dlc_http *http)
{
    atomic_store(&gw->draining, true);
    dlc_log_info("shutting down");
    int64_t until = dlc_clock_mono_ms() + gw->cfg.server.request_timeout_ms;
    while (dlc_http_in_flight(http) > 0 && dlc_clock_mono_ms() < until)
        nng_msleep(10);
    dlc_http_stop(http);
}

static int serve(const dlc_cli_spec *spec, int argc, char **argv, const dlc_config *cfg)
{
    dlc_gateway gw;
    char err[512];
    if (dlc_gateway_init(&gw, cfg, dlc_endpoints, dlc_endpoint_count, err, sizeof err) != 0) {
        dlc_log_error("cannot start", "error", err);
        dlc_gateway_free(&gw);
        return 1;
    }
    dlc_http_opts o = {cfg->server.listen, cfg->server.threads, cfg->server.max_body_bytes,
                       cfg->server.request_timeout_ms, dlc_gateway_handle, &gw,
                       dlc_gateway_metrics_done};
    dlc_http *http = dlc_http_start(&o, err, sizeof err);
    if (!http) {
        dlc_log_error("cannot start", "error", err);
        dlc_gateway_free(&gw);
        return 1;
    }
    dlc_gateway_metrics_attach(gw.metrics, http);
    char port[16];
    snprintf(port, sizeof port, "%d", dlc_http_port(http));
    dlc_log_info("listening", "address", cfg->server.listen, "port", port);
    if (dlc_cli_watch(gw.live, spec, argc, argv, err, sizeof err) != 0)
        dlc_log_warn("configuration file not watched (SIGHUP still reloads)", "error", err);
    dlc_cli_ready();
    dlc_cli_wait_for_stop(gw.live);
    dlc_gateway_metrics_attach(gw.metrics, NULL);
    drain(&gw, http);
    dlc_gateway_free(&gw);
    dlc_log_info("stopped");
    return 0;
}

static int probe(const char *url)
{
    return dlc_http_probe(url, DLC_HTTP_PROBE_TIMEOUT_MS, stdout);
}

int main(int argc, char **argv)
{
    const dlc_cli_spec spec = {"dlc-gateway", USAGE, "server.listen", NULL, probe};
    dlc_cli_block_signals(); /* before any thread starts */
    dlc_config cfg;
    const char *sub = NULL;
    int rc = dlc_cli_load(&spec, argc, argv, &cfg, &sub);
    if (rc < 0)
        rc = serve(&spec, argc, argv, &cfg);
    dlc_config_free(&cfg);
    return rc;
}
