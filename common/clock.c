/*
 * dlc_clock: monotonic and wall clocks in milliseconds, and RFC 3339
 * formatting of wall times.
 */
#include "common/clock.h"

#include <stdio.h>
#include <time.h>

static int64_t ts_ms(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t dlc_clock_mono_ms(void)
{
    return ts_ms(CLOCK_MONOTONIC);
}

int64_t dlc_clock_mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int64_t dlc_clock_wall_ms(void)
{
    return ts_ms(CLOCK_REALTIME);
}

static size_t format_utc(int64_t wall_ms, char *buf, size_t len)
{
    time_t secs = (time_t)(wall_ms / 1000);
    struct tm tm;
    gmtime_r(&secs, &tm);
    return strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
}

char *dlc_clock_rfc3339(int64_t wall_ms, char *buf, size_t len)
{
    size_t n = format_utc(wall_ms, buf, len);
    snprintf(buf + n, len - n, "Z");
    return buf;
}

char *dlc_clock_rfc3339_ms(int64_t wall_ms, char *buf, size_t len)
{
    size_t n = format_utc(wall_ms, buf, len);
    snprintf(buf + n, len - n, ".%03dZ", (int)(wall_ms % 1000));
    return buf;
}
