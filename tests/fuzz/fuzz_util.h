/*
 * Helpers shared by the fuzz harnesses (tests/fuzz/fuzz_*.c): copies of the
 * input as C strings, splitting it at a separator, and the one-time quiet
 * setup. Header-only (static inline): each harness is one translation unit
 * plus this file, for libFuzzer and for the replay driver (replay.c) alike.
 */
#ifndef DLC_FUZZ_UTIL_H
#define DLC_FUZZ_UTIL_H

#include "common/log.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* A NUL-terminated malloc'd copy of data (free()d by the caller); embedded
 * NULs stay, so C-string consumers see a prefix. abort()s on OOM: the
 * fuzzer reports it, nothing else would. */
static inline char *fuzz_strndup(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    if (!s)
        abort();
    memcpy(s, data, size);
    s[size] = '\0';
    return s;
}

/* Index of the first sep in data, or size when there is none. */
static inline size_t fuzz_find(const uint8_t *data, size_t size, uint8_t sep)
{
    const uint8_t *p = size ? memchr(data, sep, size) : NULL;
    return p ? (size_t)(p - data) : size;
}

/* Error paths log at debug or warn; millions of lines would only slow the
 * fuzzer down. Errors (bugs) still show. */
static inline void fuzz_quiet(void)
{
    dlc_log_set_level(DLC_LOG_ERROR);
}

#endif
