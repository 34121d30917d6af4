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

/* entry: "10.0.0.1", "10.0.0.0/8", "::1", "fd00::/8". */
static bool entry_matches(const char *entry, const address *a)
{
    char host[64];
    const char *slash = strchr(entry, '/');
    size_t n = slash ? (size_t)(slash - entry) : strlen(entry);
    if (n >= sizeof host)
        return false;
    memcpy(host, entry, n);
    host[n] = '\0';
    address net;
    if (!parse_addr(host, &net) || net.family != a->family)
        return false;
    int max = a->family == AF_INET ? 32 : 128;
    int bits = slash ? atoi(slash + 1) : max;
    return bits >= 0 && bits <= max && prefix_equal(net.bytes, a->bytes, bits);
}

bool dlc_proxy_trusted(const dlc_strlist *trusted, const char *addr)
{
    address a;
    if (!parse_addr(addr, &a))
        return false;
    for (size_t i = 0; i < trusted->count; i++) {
        if (entry_matches(trusted->items[i], &a))
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

const char *dlc_proxy_client_ip(const dlc_strlist *trusted, const char *peer, const char *xff,
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
