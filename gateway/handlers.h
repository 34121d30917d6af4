/*
 * dlc_handlers: the routes answered by code of the gateway rather than by a
 * row that names one RPC method — health and readiness (SystemService/Check
 * on a core), info and uptime (GetInfo), version (this build), and the
 * /rpc pass-through to any method of the contract.
 */
#ifndef DLC_HANDLERS_H
#define DLC_HANDLERS_H

#include "gateway/gateway.h"

dlc_local_fn dlc_handlers_health;
dlc_local_fn dlc_handlers_healthz; /* liveness of this process: no core needed */
dlc_local_fn dlc_handlers_ready;   /* the core answers Check with SERVING */
dlc_local_fn dlc_handlers_version;
dlc_local_fn dlc_handlers_info;
dlc_local_fn dlc_handlers_uptime;
/* POST /rpc/{service}/{method}: any method of the contract, Connect style. */
dlc_local_fn dlc_handlers_rpc;

#endif
