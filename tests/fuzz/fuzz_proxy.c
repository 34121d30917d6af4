/*
 * Fuzz target: who the client is (gateway/proxy.c dlc_proxy_client_ip) and
 * the address lists and keys under it (common/netaddr.c). The first byte
 * is ratelimit.ipv6_prefix (its value mod 129: 0-128); the rest is
 * "TRUSTED\nPEER\nXFF": server.trusted_proxies as text, split as a flag or
 * environment value is (dlc_config_value_list_split) and parsed as the
 * gateway does (dlc_addr_list_new); the TCP peer; the X-Forwarded-For value
 * (no second newline: no header). Asserted: a client other than the peer is
 * a valid address of the header, given by a trusted peer, and the one a
 * right-to-left walk of the header finds; every entry of a list is in it;
 * a client key is a range holding its address.
 */
#include "fuzz_util.h"

#include "common/config_value.h"
#include "common/netaddr.h"
#include "gateway/proxy.h"

#include <stdio.h>

#define ADDR_LEN 64 /* the gateway's buffer (dlc_gateway_call) */

static dlc_addr_list *everyone; /* ::/0 and 0.0.0.0/0; read-only once built */

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fuzz_quiet();
    char *all[] = {"::/0", "0.0.0.0/0"};
    char err[128];
    everyone = dlc_addr_list_new(&(dlc_strlist){all, 2}, "everyone", NULL, err, sizeof err);
    if (!everyone) {
        fprintf(stderr, "fuzz_proxy: %s\n", err);
        abort();
    }
    return 0;
}

/* The list of the one entry text, or NULL when it is not an address or range. */
static dlc_addr_list *one(const char *text)
{
    char *items[] = {(char *)text};
    char err[128];
    return dlc_addr_list_new(&(dlc_strlist){items, 1}, "fuzz", NULL, err, sizeof err);
}

/* Every entry of a list is in it (its address part, that is), and the list
 * parses exactly when each entry does on its own. */
static void check_list(const dlc_strlist *entries, const dlc_addr_list *l)
{
    bool all_ok = true;
    for (size_t i = 0; i < entries->count; i++) {
        dlc_addr_list *alone = one(entries->items[i]);
        all_ok = all_ok && alone;
        if (alone) {
            char host[ADDR_LEN];
            snprintf(host, sizeof host, "%.*s", (int)strcspn(entries->items[i], "/"),
                     entries->items[i]);
            if (!dlc_addr_list_has(alone, host) || (l && !dlc_addr_list_has(l, host)))
                abort();
        }
        dlc_addr_list_free(alone);
    }
    if (all_ok != (l != NULL))
        abort();
}

/* The client key of addr: an address or range, holding addr, its own key. */
static void check_key(const char *addr, int prefix)
{
    char key[ADDR_LEN], again[ADDR_LEN];
    memset(key, 'x', sizeof key);
    bool ok = dlc_addr_client_key(addr, prefix, key, sizeof key);
    if (ok != dlc_addr_valid(addr) || (!ok && key[0] != '\0'))
        abort();
    if (!ok)
        return;
    dlc_addr_list *range = one(key);
    if (!range)
        abort(); /* a key the trusted-list parser cannot read */
    char host[ADDR_LEN];
    snprintf(host, sizeof host, "%.*s", (int)strcspn(key, "/"), key);
    bool v6 = key[strlen(host)] == '/';
    /* an IPv6 key is a range holding the address; an IPv4 one (also from
     * ::ffff:a.b.c.d) is the address itself */
    if (!dlc_addr_list_has(range, v6 ? addr : host))
        abort();
    if (v6) {
        int bits = prefix < 1 ? 1 : prefix > 128 ? 128 : prefix;
        char suffix[8];
        snprintf(suffix, sizeof suffix, "/%d", bits);
        if (strcmp(key + strlen(host), suffix) != 0)
            abort();
    }
    if (!dlc_addr_client_key(host, prefix, again, sizeof again) || strcmp(again, key) != 0)
        abort(); /* a key is its own key */
    dlc_addr_list_free(range);
}

/* The client as a plain walk of the header from the right: items between
 * commas, spaces trimmed, empty ones skipped; the walk goes on while the
 * current address is trusted and stops at the first item that is not an
 * address. */
static void expected_client(const dlc_addr_list *trusted, const char *peer, const char *xff,
                            char *out, size_t len)
{
    snprintf(out, len, "%s", peer);
    size_t end = xff ? strlen(xff) : 0; /* what is left: xff[0..end) */
    bool left = xff != NULL;
    while (dlc_addr_list_has(trusted, out)) {
        size_t b, e;
        do { /* the rightmost non-empty item that is left */
            if (!left)
                return;
            size_t start = end;
            while (start > 0 && xff[start - 1] != ',')
                start--;
            b = start;
            e = end;
            while (b < e && xff[b] == ' ')
                b++;
            while (e > b && xff[e - 1] == ' ')
                e--;
            left = start > 0;
            end = left ? start - 1 : 0;
        } while (b == e);
        char item[ADDR_LEN];
        if (e - b >= sizeof item)
            return; /* longer than any address */
        snprintf(item, sizeof item, "%.*s", (int)(e - b), xff + b);
        if (!dlc_addr_valid(item))
            return;
        snprintf(out, len, "%s", item);
    }
}

static void check_client(const dlc_addr_list *trusted, const char *peer, const char *xff)
{
    char out[ADDR_LEN], want[ADDR_LEN], first[ADDR_LEN];
    const char *r = dlc_proxy_client_ip(trusted, peer, xff, out, sizeof out);
    snprintf(first, sizeof first, "%s", peer);
    if (r != out || strlen(out) >= sizeof out)
        abort();
    if (strcmp(out, first) != 0) {
        /* believed only from a trusted peer, and only an address */
        if (!dlc_addr_list_has(trusted, first) || !dlc_addr_valid(out) || !xff)
            abort();
        /* … that a comma-separated item of the header is */
        const char *at = xff;
        bool found = false;
        size_t n = strlen(out);
        while (!found && (at = strstr(at, out))) {
            const char *l = at, *r2 = at + n;
            while (l > xff && l[-1] == ' ')
                l--;
            while (*r2 == ' ')
                r2++;
            found = (l == xff || l[-1] == ',') && (*r2 == '\0' || *r2 == ',');
            at++;
        }
        if (!found)
            abort();
    }
    expected_client(trusted, peer, xff, want, sizeof want);
    if (strcmp(out, want) != 0)
        abort();
    /* nothing is more trusted than everyone: the first valid hop is the client */
    if (dlc_addr_list_has(everyone, out) != dlc_addr_valid(out))
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    int prefix = data[0] % 129;
    char *text = fuzz_strndup(data + 1, size - 1);
    size_t len = size - 1;
    size_t a = fuzz_find(data + 1, len, '\n');
    size_t b = a < len ? a + 1 + fuzz_find(data + 2 + a, len - a - 1, '\n') : len;
    text[a] = '\0';
    const char *peer = a < len ? text + a + 1 : text + len;
    if (b < len)
        text[b] = '\0';
    const char *xff = b < len ? text + b + 1 : NULL;

    /* server.trusted_proxies as the gateway builds it, and rpc.trusted_peers */
    dlc_strlist entries;
    if (dlc_config_value_list_split(&entries, text) < 0)
        abort();
    char err[256];
    dlc_addr_list *trusted =
        dlc_addr_list_new(&entries, "server.trusted_proxies", NULL, err, sizeof err);
    dlc_addr_list *peers = dlc_addr_list_new(&entries, "rpc.trusted_peers", "ipc", err, sizeof err);
    check_list(&entries, trusted);
    if (trusted && (!peers || dlc_addr_list_has(trusted, peer) != dlc_addr_list_has(peers, peer)))
        abort(); /* skipping a word no address is changes nothing */

    /* the CIDR parser on the unsplit text and on the peer */
    dlc_addr_list *raw = one(text);
    if (raw && !strchr(text, '/') && !dlc_addr_list_has(raw, text))
        abort();
    dlc_addr_list_free(raw);
    dlc_addr_list *self = one(peer);
    if (dlc_addr_valid(peer) ? !self || !dlc_addr_list_has(self, peer) : self && !strchr(peer, '/'))
        abort(); /* an address's own list holds it; nothing else is a list */
    dlc_addr_list_free(self);

    if (trusted) {
        check_client(trusted, peer, xff);
        check_client(everyone, peer, xff);
    }
    check_key(peer, prefix);
    if (xff) {
        char out[ADDR_LEN];
        check_key(dlc_proxy_client_ip(everyone, peer, xff, out, sizeof out), prefix);
    }

    dlc_addr_list_free(peers);
    dlc_addr_list_free(trusted);
    dlc_config_value_list_free(&entries);
    free(text);
    return 0;
}
