/* AdminService (admin.c, with its JWT-secret methods in secrets.c and the
 * cache flush in cache.c). */
#ifndef DLC_SVC_ADMIN_H
#define DLC_SVC_ADMIN_H

#include "rpc/runtime/dispatch.h"

int dlc_svc_admin_register(dlc_dispatch *d, char *err, size_t errlen);

#endif
