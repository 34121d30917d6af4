/* AdminService/FlushCache (bound with the rest of AdminService in admin.c). */
#ifndef DLC_SVC_ADMIN_CACHE_H
#define DLC_SVC_ADMIN_CACHE_H

#include "rpc/runtime/dispatch.h"

/* Public at the dispatch level: an admin token, or the master password in
 * x-admin-password (rate limited like a login), is checked here. */
dlc_code dlc_svc_admin_cache_flush(dlc_call *call, const ProtobufCMessage *in,
                                   ProtobufCMessage **out);

#endif
