/* dlc_clock: monotonic and wall time in milliseconds, RFC 3339 formatting. */
#ifndef DLC_CLOCK_H
#define DLC_CLOCK_H

#include <stddef.h>
#include <stdint.h>

/* Monotonic milliseconds (deadlines, durations). */
int64_t dlc_clock_mono_ms(void);
/* Monotonic microseconds (request durations). */
int64_t dlc_clock_mono_us(void);
/* Wall-clock milliseconds since the Unix epoch. */
int64_t dlc_clock_wall_ms(void);
/* "2026-11-26T10:00:00Z" (UTC, seconds precision) into buf (≥ 21 bytes). */
char *dlc_clock_rfc3339(int64_t wall_ms, char *buf, size_t len);
/* As above with milliseconds: "2026-11-26T10:00:00.123Z" (≥ 25 bytes). */
char *dlc_clock_rfc3339_ms(int64_t wall_ms, char *buf, size_t len);

#endif
