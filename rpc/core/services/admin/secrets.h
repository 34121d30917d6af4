/* AdminService's JWT secret methods (bound with the rest of AdminService in
 * admin.c): list by fingerprint, add, rotate. */
#ifndef DLC_SVC_ADMIN_SECRETS_H
#define DLC_SVC_ADMIN_SECRETS_H

#include "rpc/runtime/dispatch.h"

dlc_code dlc_svc_admin_secrets_list(dlc_call *call, const ProtobufCMessage *in,
                                    ProtobufCMessage **out);
dlc_code dlc_svc_admin_secrets_add(dlc_call *call, const ProtobufCMessage *in,
                                   ProtobufCMessage **out);
dlc_code dlc_svc_admin_secrets_rotate(dlc_call *call, const ProtobufCMessage *in,
                                      ProtobufCMessage **out);

#endif
