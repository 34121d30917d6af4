/* AuthService: RegisterUser, Login, AdminLogin, CompletePasswordReset. */
#ifndef DLC_SVC_AUTH_H
#define DLC_SVC_AUTH_H

#include "rpc/runtime/dispatch.h"

int dlc_svc_auth_register(dlc_dispatch *d, char *err, size_t errlen);

#endif
