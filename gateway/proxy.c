#include "gateway/proxy.h"

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

struct dlc_proxy_list {
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

dlc_proxy_list *dlc_proxy_list_new(const dlc_strlist *entries, char *err, size_t errlen)
{
    dlc_proxy_list *l = malloc(sizeof *l + entries->count * sizeof l->ranges[0]);
    if (!l) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    l->n = entries->count;
    for (size_t i = 0; i < l->n; i++) {
        if (!parse_range(entries->items[i], &l->ranges[i])) {
            snprintf(err, errlen,
                     "server.trusted_proxies: \"%.64s\" is not an address or CIDR range",
                     entries->items[i]);
            free(l);
            return NULL;
        }
    }
    return l;
}

void dlc_proxy_list_free(dlc_proxy_list *l)
{
    free(l);
}

bool dlc_proxy_trusted(const dlc_proxy_list *trusted, const char *addr)
{
    address a;
    if (!parse_addr(addr, &a))
        return false;
    for (size_t i = 0; i < trusted->n; i++) {
        const range *r = &trusted->ranges[i];
        if (r->net.family == a.family && prefix_equal(r->net.bytes, a.bytes, r->bits))
            return true;
    }
    return false;
}

/* The rightmost comma-separated item of xff[0..*end), trimmed, into out;
 * moves *end before it. False when nothing is left. */
static bool pop_rightmost(const char *xff, size_t *end, char *out, size_t len)
{
    while (*end > 0 && (xff[*end - 1] == ' ' || xff[*end - 1] == ','))
        (*end)--;
    if (*end == 0)
        return false;
    size_t start = *end;
    while (start > 0 && xff[start - 1] != ',')
        start--;
    size_t s = start;
    while (s < *end && xff[s] == ' ')
        s++;
    snprintf(out, len, "%.*s", (int)(*end - s), xff + s);
    *end = start;
    return true;
}

const char *dlc_proxy_client_ip(const dlc_proxy_list *trusted, const char *peer, const char *xff,
                                char *out, size_t len)
{
    snprintf(out, len, "%s", peer);
    size_t end = xff ? strlen(xff) : 0;
    char hop[64];
    while (dlc_proxy_trusted(trusted, out) && pop_rightmost(xff, &end, hop, sizeof hop)) {
        address a;
        if (!parse_addr(hop, &a))
            break; /* garbage in the header: keep the last address we trust */
        snprintf(out, len, "%s", hop);
    }
    return out;
}
