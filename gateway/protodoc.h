/*
 * dlc_protodoc: the comments of the .proto files, read from a serialized
 * google.protobuf.FileDescriptorSet with source info (the contract's:
 * dlc_contract_descriptor_set). A small hand-written wire-format reader
 * takes just what it needs (file names, packages, the names of messages,
 * fields, enums, enum values, oneofs, services and methods, and each
 * SourceCodeInfo location's leading and trailing comments), so no C
 * bindings of descriptor.proto are needed.
 *
 * Comments are found by full name: "dlc.v1.LoginRequest",
 * "dlc.v1.LoginRequest.username", "dlc.v1.AuthService",
 * "dlc.v1.AuthService.Login", "dlc.v1.HealthCheckResponse.ServingStatus".
 * The text is the leading comment, then the trailing one (a blank line
 * between them when both exist), each trimmed of surrounding white space
 * and of the single space that follows "//" on every line. A service
 * without a comment of its own gets its file's header comment (the one
 * before `syntax`).
 */
#ifndef DLC_PROTODOC_H
#define DLC_PROTODOC_H

#include <stddef.h>

typedef struct dlc_protodoc dlc_protodoc;

/* Reads the set (borrowed only during the call). NULL on malformed input
 * or out of memory, with err filled. Free with dlc_protodoc_free. */
dlc_protodoc *dlc_protodoc_new(const unsigned char *set, size_t len, char *err, size_t errlen);
void dlc_protodoc_free(dlc_protodoc *d);

/* The comment of full_name (owned by d), or NULL when it has none. */
const char *dlc_protodoc_comment(const dlc_protodoc *d, const char *full_name);

#endif
