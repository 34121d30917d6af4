/*
 * dlcctl_contract: the contract compiled into dlcctl (the protobuf-c
 * descriptors behind rpc/runtime/contract.h), for `describe` and for `list`
 * when no core will say. Names are full ("dlc.v1.GreetService",
 * "dlc.v1.GreetService/Greet", "dlc.v1.GreetRequest"); a name without a
 * package is looked up in dlc.v1.
 */
#ifndef DLCCTL_CONTRACT_H
#define DLCCTL_CONTRACT_H

#include "rpc/runtime/status.h"

#include <jansson.h>

/* A service ({"service","methods"}), a method ({"method","input","output"})
 * or a message ({"message","fields":[{"name","number","type","repeated"
 * [,"oneof"][,"values"]}]}: type is the scalar's proto name or the full
 * name of the message or enum; values are an enum's names) as JSON (new
 * reference), or NULL with st = NOT_FOUND. */
json_t *dlcctl_contract_describe(const char *name, dlc_status *st);

/* Every service and method of the contract in ListServices' JSON shape;
 * access is ACCESS_UNSPECIFIED and writes false (only a core knows them).
 * New reference, NULL on allocation failure. */
json_t *dlcctl_contract_services(void);

#endif
