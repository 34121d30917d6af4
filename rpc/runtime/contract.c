/*
 * dlc_contract: finding a method of the contract's services by its full
 * name.
 */
#include "rpc/runtime/contract.h"

#include "dlc/v1/admin.pb-c.h"
#include "dlc/v1/auth.pb-c.h"
#include "dlc/v1/greet.pb-c.h"
#include "dlc/v1/system.pb-c.h"
#include "dlc/v1/user.pb-c.h"

#include <string.h>

const ProtobufCServiceDescriptor *const dlc_contract_services[] = {
    &dlc__v1__admin_service__descriptor,
    &dlc__v1__auth_service__descriptor,
    &dlc__v1__greet_service__descriptor,
    &dlc__v1__system_service__descriptor,
    &dlc__v1__user_service__descriptor,
};
const size_t dlc_contract_service_count =
    sizeof dlc_contract_services / sizeof dlc_contract_services[0];

const ProtobufCMethodDescriptor *dlc_contract_find(const char *full_name)
{
    const char *slash = strchr(full_name, '/');
    if (!slash)
        return NULL;
    size_t svc_len = (size_t)(slash - full_name);
    for (size_t i = 0; i < dlc_contract_service_count; i++) {
        const ProtobufCServiceDescriptor *s = dlc_contract_services[i];
        if (strlen(s->name) == svc_len && strncmp(s->name, full_name, svc_len) == 0)
            return protobuf_c_service_descriptor_get_method_by_name(s, slash + 1);
    }
    return NULL;
}
