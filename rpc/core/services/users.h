/* UserService: the caller's own profile (GetMe, UpdateMe, ChangePassword). */
#ifndef DLC_SVC_USERS_H
#define DLC_SVC_USERS_H

#include "rpc/runtime/dispatch.h"

int dlc_svc_users_register(dlc_dispatch *d, char *err, size_t errlen);

#endif
