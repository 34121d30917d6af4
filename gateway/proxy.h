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

#include "common/netaddr.h"

#include <stdbool.h>
#include <stddef.h>

/* trusted: server.trusted_proxies (dlc_addr_list_new). Writes the client
 * address into out (≥ 64 bytes) and returns out. */
const char *dlc_proxy_client_ip(const dlc_addr_list *trusted, const char *peer, const char *xff,
                                char *out, size_t len);

#endif
