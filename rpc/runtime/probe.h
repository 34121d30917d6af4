/*
 * dlc_probe: the health probe behind `dlc-rpcd --probe URL`, for container
 * healthchecks and scripts on machines without curl: one Check("") call to
 * the core at an nng URL, bounded in time, its verdict as one line.
 */
#ifndef DLC_PROBE_H
#define DLC_PROBE_H

#include <stdint.h>
#include <stdio.h>

#define DLC_PROBE_TIMEOUT_MS 2000

/* Calls dlc.v1.SystemService/Check on url (tcp://HOST:PORT, ipc:///path),
 * waiting at most timeout_ms in all (connecting included). Prints one line
 * to out ("SERVING url", or "NOT_SERVING url: reason", or the error) and
 * returns 0 when the core answered SERVING, 1 otherwise. */
int dlc_probe_core(const char *url, uint32_t timeout_ms, FILE *out);

#endif
