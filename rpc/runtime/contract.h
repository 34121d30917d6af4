/*
 * dlc_contract: the services of the contract (proto/dlc/v1), so that any
 * process can find a method's input and output types by its full name —
 * the gateway's /rpc route and its route table need this; the core checks
 * that it serves every method listed here.
 */
#ifndef DLC_CONTRACT_H
#define DLC_CONTRACT_H

#include <protobuf-c/protobuf-c.h>
#include <stddef.h>

extern const ProtobufCServiceDescriptor *const dlc_contract_services[];
extern const size_t dlc_contract_service_count;

/* The contract's .proto files (proto/, imports included) as a serialized
 * google.protobuf.FileDescriptorSet with source info (comments), built
 * into every binary (CMakeLists.txt: descriptor_set.c). */
extern const unsigned char dlc_contract_descriptor_set[];
extern const size_t dlc_contract_descriptor_set_len;

/* "dlc.v1.GreetService/Greet" → its method descriptor, or NULL. */
const ProtobufCMethodDescriptor *dlc_contract_find(const char *full_name);

#endif
