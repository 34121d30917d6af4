/* GreetService: Greet (v1) and GreetV2. */
#ifndef DLC_SVC_GREET_H
#define DLC_SVC_GREET_H

#include "rpc/runtime/dispatch.h"

#define DLC_GREET_NAME_MAX_CHARS 100

int dlc_svc_greet_register(dlc_dispatch *d, char *err, size_t errlen);

#endif
