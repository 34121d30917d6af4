/*
 * dlc_admin_http: the core's small admin HTTP listener (admin.listen,
 * civetweb through gateway/http.h): GET /metrics (Prometheus text), /livez
 * (200 while the process runs) and /readyz (200 while the core serves and
 * its database answers a ping within a second; 503 while shutting down or
 * with the database down). Kept apart from the RPC port, on loopback by
 * default: it needs no authentication there.
 */
#ifndef DLC_ADMIN_HTTP_H
#define DLC_ADMIN_HTTP_H

#include "rpc/core/core.h"

typedef struct dlc_admin_http dlc_admin_http;

/* Listens on core->cfg.admin.listen (core borrowed; must outlive the
 * listener). NULL when admin.listen is empty or on failure (then err is
 * filled; err[0] is '\0' when disabled). */
dlc_admin_http *dlc_admin_http_start(dlc_core *core, char *err, size_t errlen);
/* The port bound (useful with port 0), -1 if none. */
int dlc_admin_http_port(const dlc_admin_http *a);
/* Stops and frees; NULL is a no-op. */
void dlc_admin_http_stop(dlc_admin_http *a);

#endif
