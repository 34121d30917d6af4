/*
 * dlc_routes: the REST route table (routes.c) and the router made from a
 * table. The daemon (gateway/main.c) hands the table to dlc_gateway_init;
 * tests and fuzzers build routers from it the same way.
 */
#ifndef DLC_ROUTES_H
#define DLC_ROUTES_H

#include "gateway/gateway.h"

extern const dlc_endpoint dlc_endpoints[];
extern const size_t dlc_endpoint_count;

/* A router over endpoints[0..n). *routes gets the array it matches on
 * (malloc'd; free it after dlc_router_free). NULL with err filled. */
dlc_router *dlc_routes_compile(const dlc_endpoint *endpoints, size_t n, dlc_route **routes,
                               char *err, size_t errlen);

#endif
