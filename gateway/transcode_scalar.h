/*
 * Internal to dlc_transcode: conversion of one scalar value (everything but
 * a sub-message) between its slot in a protobuf-c message and JSON or URL
 * text, with the error reporting both sides share.
 */
#ifndef DLC_TRANSCODE_SCALAR_H
#define DLC_TRANSCODE_SCALAR_H

#include "rpc/runtime/arena.h"
#include "rpc/runtime/status.h"

#include <jansson.h>
#include <protobuf-c/protobuf-c.h>
#include <stddef.h>

/* One conversion: where allocations go, where errors go, and the path of
 * the value being converted ("items[2].id"), which errors name. */
typedef struct {
    dlc_arena *arena;
    dlc_status *st;
    char path[256];
    size_t len;
} dlc_tx_ctx;

/* Sets st to INVALID_ARGUMENT with one violation (path, description),
 * replacing whatever it held. Returns -1. */
int dlc_tx_bad(dlc_tx_ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Sets st to INTERNAL "out of memory". Returns -1. */
int dlc_tx_oom(dlc_tx_ctx *c);

/* Size of one value of f (in the message, or one element of its array). */
size_t dlc_tx_size(const ProtobufCFieldDescriptor *f);

/* Text as found in a URL into slot (f not a message: that is an error).
 * slot is written only on success. 0 or -1. */
int dlc_tx_scalar_from_text(dlc_tx_ctx *c, const ProtobufCFieldDescriptor *f, const char *text,
                            void *slot);
/* A non-null JSON value into slot (f not a message). 0 or -1. */
int dlc_tx_scalar_from_json(dlc_tx_ctx *c, const ProtobufCFieldDescriptor *f, const json_t *v,
                            void *slot);
/* The value in slot (f not a message); NULL only on allocation failure. */
json_t *dlc_tx_scalar_to_json(const ProtobufCFieldDescriptor *f, const void *slot);

#endif
