/* AuthService: RegisterUser, Login, AdminLogin, CompletePasswordReset. */
#ifndef DLC_SVC_AUTH_H
#define DLC_SVC_AUTH_H

#include "rpc/runtime/dispatch.h"

#define DLC_USERNAME_MIN 3
#define DLC_USERNAME_MAX 50
#define DLC_PASSWORD_MIN 8
#define DLC_PASSWORD_MAX 128

int dlc_auth_service_register(dlc_dispatch *d, char *err, size_t errlen);

#endif
