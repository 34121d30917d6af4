/*
 * dlc_addr: IP addresses as the services key and trust them — lists of
 * addresses and CIDR ranges (server.trusted_proxies, rpc.trusted_peers), and
 * the key a client is limited by (an IPv6 client by its prefix: whoever has
 * a /64 has every address in it).
 */
#ifndef DLC_NETADDR_H
#define DLC_NETADDR_H

#include "common/config.h"

#include <stdbool.h>
#include <stddef.h>

/* Addresses and CIDR ranges, IPv4 or IPv6, parsed once. */
typedef struct dlc_addr_list dlc_addr_list;

/* The entries of setting (its name, for the message) except those equal to
 * skip (NULL: none; e.g. "ipc", a word the caller handles). NULL when an
 * entry is neither an address nor a CIDR range (err names it: "10.0.0.0/"
 * must not come to mean "everyone"), or on OOM. */
dlc_addr_list *dlc_addr_list_new(const dlc_strlist *entries, const char *setting, const char *skip,
                                 char *err, size_t errlen);
void dlc_addr_list_free(dlc_addr_list *l);

/* True when addr (text) is an address in one of l's ranges. */
bool dlc_addr_list_has(const dlc_addr_list *l, const char *addr);

/* True when text is an IPv4 or IPv6 address. */
bool dlc_addr_valid(const char *text);

/* The key of client address text into out (≥ 64 bytes): an IPv4 address as
 * it is (also when written IPv4-mapped, ::ffff:a.b.c.d); an IPv6 address
 * as its first v6_prefix bits, "2001:db8:1:2::/64". false (out empty) when
 * text is not an address. */
bool dlc_addr_client_key(const char *text, int v6_prefix, char *out, size_t len);

#endif
