/*
 * dlc_proxy: which address is the client. The TCP peer, unless the peer is
 * a trusted proxy (server.trusted_proxies: addresses or CIDR ranges, IPv4
 * or IPv6): then X-Forwarded-For is read from the right, skipping trusted
 * hops, and the first untrusted address is the client. A client can put
 * anything at the left of X-Forwarded-For, so only what trusted proxies
 * appended is believed.
 */
#ifndef DLC_PROXY_H
#define DLC_PROXY_H

#include "common/config.h"

#include <stdbool.h>
#include <stddef.h>

/* server.trusted_proxies, parsed once. */
typedef struct dlc_proxy_list dlc_proxy_list;

/* NULL when an entry is neither an address nor a CIDR range (err names it:
 * "10.0.0.0/" must not come to mean "everyone"), or on OOM. */
dlc_proxy_list *dlc_proxy_list_new(const dlc_strlist *entries, char *err, size_t errlen);
void dlc_proxy_list_free(dlc_proxy_list *l);

/* True when addr is in one of the ranges of trusted. */
bool dlc_proxy_trusted(const dlc_proxy_list *trusted, const char *addr);

/* Writes the client address into out (≥ 64 bytes) and returns out. */
const char *dlc_proxy_client_ip(const dlc_proxy_list *trusted, const char *peer, const char *xff,
                                char *out, size_t len);

#endif
