/* UserService (GetMe, UpdateMe, ChangePassword) and AdminService
 * (ListUsers, AllowPasswordReset, DeleteUser). */
#ifndef DLC_SVC_USERS_H
#define DLC_SVC_USERS_H

#include "rpc/runtime/dispatch.h"

#define DLC_LIST_DEFAULT_PAGE 50
#define DLC_LIST_MAX_PAGE 200

int dlc_user_service_register(dlc_dispatch *d, char *err, size_t errlen);
int dlc_admin_service_register(dlc_dispatch *d, char *err, size_t errlen);

#endif
