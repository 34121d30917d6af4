/* Routes the gateway answers itself: health, readiness, version, info,
 * uptime, and the /rpc pass-through. */
#ifndef DLC_LOCAL_H
#define DLC_LOCAL_H

#include "gateway/gateway.h"

dlc_local_fn dlc_local_health;
dlc_local_fn dlc_local_healthz; /* liveness of this process: no core needed */
dlc_local_fn dlc_local_ready;   /* the core answers Check with SERVING */
dlc_local_fn dlc_local_version;
dlc_local_fn dlc_local_info;
dlc_local_fn dlc_local_uptime;
/* POST /rpc/{service}/{method}: any method of the contract, Connect style. */
dlc_local_fn dlc_local_rpc;

#endif
