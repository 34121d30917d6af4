/* dlc_arena: the per-request bump allocator (see arena.h). */
#include "rpc/runtime/arena.h"

#include <stdalign.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct dlc_arena_chunk {
    dlc_arena_chunk *next;
    size_t size;
    size_t used;
    alignas(max_align_t) unsigned char data[];
};

static void *pb_alloc(void *data, size_t size)
{
    return dlc_arena_alloc(data, size);
}

static void pb_free(void *data, void *ptr)
{
    (void)data; /* released with the arena */
    (void)ptr;
}

void dlc_arena_init(dlc_arena *a, size_t chunk_size)
{
    a->head = NULL;
    a->chunk_size = chunk_size ? chunk_size : 16384;
    a->pb.alloc = pb_alloc;
    a->pb.free = pb_free;
    a->pb.allocator_data = a;
}

static void free_chunks(dlc_arena_chunk *c)
{
    while (c) {
        dlc_arena_chunk *next = c->next;
        free(c);
        c = next;
    }
}

void dlc_arena_reset(dlc_arena *a)
{
    if (!a->head)
        return;
    /* The oldest chunk is the last one; keep it if it is an ordinary one. */
    dlc_arena_chunk **pp = &a->head;
    while ((*pp)->next)
        pp = &(*pp)->next;
    dlc_arena_chunk *first = *pp;
    *pp = NULL;
    free_chunks(a->head);
    if (first->size == a->chunk_size) {
        first->used = 0;
        a->head = first;
    } else {
        free(first);
        a->head = NULL;
    }
}

void dlc_arena_destroy(dlc_arena *a)
{
    free_chunks(a->head);
    a->head = NULL;
}

static dlc_arena_chunk *new_chunk(dlc_arena *a, size_t need)
{
    size_t size = need > a->chunk_size ? need : a->chunk_size;
    dlc_arena_chunk *c = malloc(sizeof *c + size);
    if (!c)
        return NULL;
    c->size = size;
    c->used = 0;
    c->next = a->head;
    a->head = c;
    return c;
}

void *dlc_arena_alloc(dlc_arena *a, size_t size)
{
    const size_t align = alignof(max_align_t);
    size = (size + align - 1) & ~(align - 1);
    if (size == 0)
        size = align;
    dlc_arena_chunk *c = a->head;
    if (!c || c->size - c->used < size) {
        c = new_chunk(a, size);
        if (!c)
            return NULL;
    }
    void *p = c->data + c->used;
    c->used += size;
    return p;
}

void *dlc_arena_zalloc(dlc_arena *a, size_t size)
{
    void *p = dlc_arena_alloc(a, size);
    if (p)
        memset(p, 0, size);
    return p;
}

char *dlc_arena_strdup(dlc_arena *a, const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = dlc_arena_alloc(a, n);
    if (d)
        memcpy(d, s, n);
    return d;
}

char *dlc_arena_vprintf(dlc_arena *a, const char *fmt, va_list ap)
{
    va_list copy;
    va_copy(copy, ap);
    int n = vsnprintf(NULL, 0, fmt, copy);
    va_end(copy);
    if (n < 0)
        return NULL;
    char *d = dlc_arena_alloc(a, (size_t)n + 1);
    if (d)
        vsnprintf(d, (size_t)n + 1, fmt, ap);
    return d;
}

char *dlc_arena_printf(dlc_arena *a, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *d = dlc_arena_vprintf(a, fmt, ap);
    va_end(ap);
    return d;
}

ProtobufCMessage *dlc_arena_message(dlc_arena *a, const ProtobufCMessageDescriptor *desc)
{
    ProtobufCMessage *m = dlc_arena_alloc(a, desc->sizeof_message);
    if (m)
        desc->message_init(m);
    return m;
}
