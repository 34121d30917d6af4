/*
 * dlc_arena: a bump allocator for one request. Everything a request decodes
 * or builds (input message, output message, strings, packed payload) comes
 * from its arena and is released at once by dlc_arena_reset, so handlers
 * never free anything. Not thread-safe: one arena per worker.
 */
#ifndef DLC_ARENA_H
#define DLC_ARENA_H

#include <protobuf-c/protobuf-c.h>
#include <stdarg.h>
#include <stddef.h>

typedef struct dlc_arena_chunk dlc_arena_chunk;

typedef struct {
    dlc_arena_chunk *head;  /* current chunk; older chunks follow */
    size_t chunk_size;      /* size of ordinary chunks */
    ProtobufCAllocator pb;  /* allocator view for protobuf_c unpack */
} dlc_arena;

void dlc_arena_init(dlc_arena *a, size_t chunk_size);
/* Releases everything but the first chunk (kept warm for the next request). */
void dlc_arena_reset(dlc_arena *a);
void dlc_arena_destroy(dlc_arena *a);

/* Aligned to max_align_t; NULL only when the system is out of memory. */
void *dlc_arena_alloc(dlc_arena *a, size_t size);
void *dlc_arena_zalloc(dlc_arena *a, size_t size);
char *dlc_arena_strdup(dlc_arena *a, const char *s);
char *dlc_arena_printf(dlc_arena *a, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
char *dlc_arena_vprintf(dlc_arena *a, const char *fmt, va_list ap);
/* A new message of desc, initialised with its defaults. */
ProtobufCMessage *dlc_arena_message(dlc_arena *a, const ProtobufCMessageDescriptor *desc);

#endif
