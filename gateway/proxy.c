/*
 * dlc_proxy: which address is the client (see proxy.h): X-Forwarded-For read
 * from the right through trusted proxies.
 */
#include "gateway/proxy.h"

#include <stdio.h>
#include <string.h>

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

const char *dlc_proxy_client_ip(const dlc_addr_list *trusted, const char *peer, const char *xff,
                                char *out, size_t len)
{
    snprintf(out, len, "%s", peer);
    size_t end = xff ? strlen(xff) : 0;
    char hop[64];
    while (dlc_addr_list_has(trusted, out) && pop_rightmost(xff, &end, hop, sizeof hop)) {
        if (!dlc_addr_valid(hop))
            break; /* garbage in the header: keep the last address we trust */
        snprintf(out, len, "%s", hop);
    }
    return out;
}
