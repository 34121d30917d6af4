/*
 * dlc_addr: address lists, CIDR matching and client keys (see netaddr.h).
 */
#include "common/netaddr.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    int family;
    unsigned char bytes[16];
} address;

static bool parse_addr(const char *text, address *a)
{
    if (inet_pton(AF_INET, text, a->bytes) == 1) {
        a->family = AF_INET;
        return true;
    }
    if (inet_pton(AF_INET6, text, a->bytes) == 1) {
        a->family = AF_INET6;
        return true;
    }
    return false;
}

static bool prefix_equal(const unsigned char *x, const unsigned char *y, int bits)
{
    int whole = bits / 8, rest = bits % 8;
    if (memcmp(x, y, (size_t)whole) != 0)
        return false;
    unsigned char mask = (unsigned char)(0xFF << (8 - rest));
    return rest == 0 || (x[whole] & mask) == (y[whole] & mask);
}

typedef struct {
    address net;
    int bits;
} range;

struct dlc_addr_list {
    size_t n;
    range ranges[];
};

/* entry: "10.0.0.1", "10.0.0.0/8", "::1", "fd00::/8". */
static bool parse_range(const char *entry, range *r)
{
    char host[64];
    const char *slash = strchr(entry, '/');
    size_t n = slash ? (size_t)(slash - entry) : strlen(entry);
    if (n >= sizeof host)
        return false;
    memcpy(host, entry, n);
    host[n] = '\0';
    if (!parse_addr(host, &r->net))
        return false;
    int max = r->net.family == AF_INET ? 32 : 128;
    if (!slash) {
        r->bits = max;
        return true;
    }
    char *end;
    long bits = strtol(slash + 1, &end, 10);
    r->bits = (int)bits;
    return end != slash + 1 && *end == '\0' && bits >= 0 && bits <= max;
}

dlc_addr_list *dlc_addr_list_new(const dlc_strlist *entries, const char *setting, const char *skip,
                                 char *err, size_t errlen)
{
    dlc_addr_list *l = malloc(sizeof *l + entries->count * sizeof l->ranges[0]);
    if (!l) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    l->n = 0;
    for (size_t i = 0; i < entries->count; i++) {
        const char *e = entries->items[i];
        if (skip && strcmp(e, skip) == 0)
            continue;
        if (!parse_range(e, &l->ranges[l->n++])) {
            snprintf(err, errlen, "%s: \"%.64s\" is not an address or CIDR range", setting, e);
            free(l);
            return NULL;
        }
    }
    return l;
}

void dlc_addr_list_free(dlc_addr_list *l)
{
    free(l);
}

bool dlc_addr_list_has(const dlc_addr_list *l, const char *addr)
{
    address a;
    if (!parse_addr(addr, &a))
        return false;
    for (size_t i = 0; i < l->n; i++) {
        const range *r = &l->ranges[i];
        if (r->net.family == a.family && prefix_equal(r->net.bytes, a.bytes, r->bits))
            return true;
    }
    return false;
}

bool dlc_addr_valid(const char *text)
{
    address a;
    return parse_addr(text, &a);
}

bool dlc_addr_client_key(const char *text, int v6_prefix, char *out, size_t len)
{
    static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF};
    address a;
    out[0] = '\0';
    if (!parse_addr(text, &a))
        return false;
    if (a.family == AF_INET6 && memcmp(a.bytes, mapped, sizeof mapped) == 0) {
        a.family = AF_INET;
        memmove(a.bytes, a.bytes + 12, 4);
    }
    char buf[INET6_ADDRSTRLEN];
    if (a.family == AF_INET) {
        inet_ntop(AF_INET, a.bytes, buf, sizeof buf);
        snprintf(out, len, "%s", buf);
        return true;
    }
    int bits = v6_prefix < 1 ? 1 : v6_prefix > 128 ? 128 : v6_prefix;
    for (int i = 0; i < 16; i++) {
        int keep = bits - 8 * i; /* bits of this byte kept */
        a.bytes[i] &= keep >= 8 ? 0xFF : keep <= 0 ? 0 : (unsigned char)(0xFF << (8 - keep));
    }
    inet_ntop(AF_INET6, a.bytes, buf, sizeof buf);
    snprintf(out, len, "%s/%d", buf, bits);
    return true;
}
