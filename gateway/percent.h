/*
 * dlc_percent: the one percent-decoder of the gateway (RFC 3986), for path
 * segments (the router) and query components (request binding, the
 * gateway's own routes).
 */
#ifndef DLC_PERCENT_H
#define DLC_PERCENT_H

#include <stdbool.h>
#include <stddef.h>

/* Decodes len bytes of s into out (at most len bytes; out may be s: the
 * decoding never grows). form: '+' is a space (a query); otherwise '+' is
 * itself (a path). Returns the decoded length, or -1 on a bad escape or a
 * NUL (%00, which would cut the C string). out is not NUL-terminated. */
long dlc_percent_decode(const char *s, size_t len, char *out, bool form);

#endif
