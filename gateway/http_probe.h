/*
 * dlc_http_probe: the health probe behind `dlc-gateway --probe URL`, for
 * container healthchecks and scripts on machines without curl: one GET over
 * plain HTTP, bounded in time, its verdict as one line.
 */
#ifndef DLC_HTTP_PROBE_H
#define DLC_HTTP_PROBE_H

#include <stdint.h>
#include <stdio.h>

#define DLC_HTTP_PROBE_TIMEOUT_MS 2000

/* GETs url (http://HOST:PORT/PATH; HOST a name or an IPv4 address), waiting
 * at most timeout_ms for the answer. Prints one line to out ("200 url", or
 * the error) and returns 0 for a 2xx answer, 1 otherwise (2 for a URL it
 * cannot read). */
int dlc_http_probe(const char *url, int timeout_ms, FILE *out);

#endif
