/* SystemService: Check (grpc.health.v1 semantics) and GetInfo. */
#ifndef DLC_SVC_SYSTEM_H
#define DLC_SVC_SYSTEM_H

#include "rpc/runtime/dispatch.h"

int dlc_svc_system_register(dlc_dispatch *d, char *err, size_t errlen);

#endif
