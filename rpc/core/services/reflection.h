/*
 * dlc_svc_reflection: SystemService/ListServices (the dispatch table: services,
 * methods, input and output types, access level, whether a method writes)
 * and SystemService/GetFileDescriptorSet (the contract compiled into the
 * core, rpc/runtime/contract.h). Admins only, unless rpc.reflection is
 * "public" (checked here, at every call, so a reload applies at once).
 */
#ifndef DLC_REFLECTION_H
#define DLC_REFLECTION_H

#include "rpc/runtime/dispatch.h"

/* dlc_handler's; bound in services/system.c. */
dlc_code dlc_svc_reflection_list_services(dlc_call *call, const ProtobufCMessage *in,
                                          ProtobufCMessage **out);
dlc_code dlc_svc_reflection_descriptor_set(dlc_call *call, const ProtobufCMessage *in,
                                           ProtobufCMessage **out);

#endif
