/*
 * dlc_request_id: keeping a caller's request id when it is acceptable,
 * making a random one otherwise.
 */
#include "common/request_id.h"

#include "common/clock.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

bool dlc_request_id_ok(const char *id)
{
    size_t n = id ? strlen(id) : 0;
    if (n == 0 || n > DLC_REQUEST_ID_MAX)
        return false;
    for (size_t i = 0; i < n; i++) {
        if (id[i] <= ' ' || id[i] > '~')
            return false;
    }
    return true;
}

void dlc_request_id_new(char out[33])
{
    unsigned char raw[16];
    if (getrandom(raw, sizeof raw, 0) != (ssize_t)sizeof raw) {
        /* ids need to be unique, not secret: fall back to the clock */
        int64_t t = dlc_clock_mono_ms() ^ dlc_clock_wall_ms();
        for (size_t i = 0; i < sizeof raw; i++)
            raw[i] = (unsigned char)(t >> (i % 8 * 8)) ^ (unsigned char)(i * 31);
    }
    for (size_t i = 0; i < sizeof raw; i++)
        snprintf(out + 2 * i, 3, "%02x", raw[i]);
}
