/* Who the client is: X-Forwarded-For is believed only from trusted proxies;
 * the key a client is limited by (common/netaddr). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "gateway/proxy.h"

#include <string.h>

static char *TRUSTED_ITEMS[] = {"10.0.0.1", "192.168.0.0/16", "fd00::/8"};
static dlc_addr_list *TRUSTED, *NONE;

static int parse_lists(void **state)
{
    (void)state;
    char err[128];
    TRUSTED = dlc_addr_list_new(&(dlc_strlist){TRUSTED_ITEMS, 3}, "server.trusted_proxies", NULL,
                                err, sizeof err);
    NONE =
        dlc_addr_list_new(&(dlc_strlist){NULL, 0}, "server.trusted_proxies", NULL, err, sizeof err);
    return TRUSTED && NONE ? 0 : -1;
}

static int free_lists(void **state)
{
    (void)state;
    dlc_addr_list_free(TRUSTED);
    dlc_addr_list_free(NONE);
    return 0;
}

static const char *client(const dlc_addr_list *t, const char *peer, const char *xff)
{
    static char out[64];
    return dlc_proxy_client_ip(t, peer, xff, out, sizeof out);
}

static void trusted_entries_and_ranges(void **state)
{
    (void)state;
    assert_true(dlc_addr_list_has(TRUSTED, "10.0.0.1"));
    assert_false(dlc_addr_list_has(TRUSTED, "10.0.0.2"));
    assert_true(dlc_addr_list_has(TRUSTED, "192.168.44.5"));
    assert_false(dlc_addr_list_has(TRUSTED, "192.169.0.1"));
    assert_true(dlc_addr_list_has(TRUSTED, "fd12::1"));
    assert_false(dlc_addr_list_has(TRUSTED, "fe80::1"));
    assert_false(dlc_addr_list_has(TRUSTED, "not an address"));
    assert_false(dlc_addr_list_has(NONE, "10.0.0.1"));
}

static void forwarded_for_only_from_trusted_peers(void **state)
{
    (void)state;
    /* untrusted peer: its header is ignored */
    assert_string_equal(client(TRUSTED, "203.0.113.9", "1.2.3.4"), "203.0.113.9");
    assert_string_equal(client(NONE, "10.0.0.1", "1.2.3.4"), "10.0.0.1");
    /* trusted peer: the rightmost address it appended */
    assert_string_equal(client(TRUSTED, "10.0.0.1", "1.2.3.4"), "1.2.3.4");
    /* a client cannot spoof by prepending: the right end is what counts */
    assert_string_equal(client(TRUSTED, "10.0.0.1", "6.6.6.6, 1.2.3.4"), "1.2.3.4");
    /* chains of trusted proxies are walked */
    assert_string_equal(client(TRUSTED, "10.0.0.1", "1.2.3.4, 192.168.1.1"), "1.2.3.4");
    assert_string_equal(client(TRUSTED, "10.0.0.1", " 1.2.3.4 ,192.168.1.1 "), "1.2.3.4");
    /* no header, empty header, garbage */
    assert_string_equal(client(TRUSTED, "10.0.0.1", NULL), "10.0.0.1");
    assert_string_equal(client(TRUSTED, "10.0.0.1", ""), "10.0.0.1");
    assert_string_equal(client(TRUSTED, "10.0.0.1", "junk"), "10.0.0.1");
    assert_string_equal(client(TRUSTED, "10.0.0.1", "2001:db8::7"), "2001:db8::7");
    /* everything trusted: the leftmost */
    assert_string_equal(client(TRUSTED, "10.0.0.1", "192.168.1.2, 192.168.1.1"), "192.168.1.2");
}

/* A malformed entry is refused, not read as a prefix of 0 (everyone). */
static void malformed_entries_are_refused(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "10.0.0.0/", "10.0.0.0/x", "10.0.0.0/33", "::/129", "10.0.0.0/8 ", "proxy.example", ""};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char *items[] = {(char *)bad[i]};
        char err[128] = "";
        assert_null(dlc_addr_list_new(&(dlc_strlist){items, 1}, "server.trusted_proxies", NULL, err,
                                      sizeof err));
        assert_non_null(strstr(err, "server.trusted_proxies"));
    }
}

static const char *key_of(const char *addr, int prefix)
{
    static char out[64];
    dlc_addr_client_key(addr, prefix, out, sizeof out);
    return out;
}

static void client_keys(void **state)
{
    (void)state;
    assert_string_equal(key_of("203.0.113.7", 64), "203.0.113.7");
    assert_string_equal(key_of("::ffff:203.0.113.7", 64), "203.0.113.7");
    /* every address of a /64 is one client */
    assert_string_equal(key_of("2001:db8:1:2:aaaa::1", 64), "2001:db8:1:2::/64");
    assert_string_equal(key_of("2001:db8:1:2:ffff:ffff:ffff:ffff", 64), "2001:db8:1:2::/64");
    assert_string_equal(key_of("2001:db8:1:3::1", 64), "2001:db8:1:3::/64");
    assert_string_equal(key_of("2001:db8:1:2:aaaa::1", 56), "2001:db8:1::/56");
    assert_string_equal(key_of("2001:db8:1:2:aaaa::1", 60), "2001:db8:1::/60");
    assert_string_equal(key_of("2001:db8::1", 128), "2001:db8::1/128");
    char out[64];
    assert_false(dlc_addr_client_key("not an address", 64, out, sizeof out));
    assert_string_equal(out, "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(client_keys),
        cmocka_unit_test(trusted_entries_and_ranges),
        cmocka_unit_test(forwarded_for_only_from_trusted_peers),
        cmocka_unit_test(malformed_entries_are_refused),
    };
    return cmocka_run_group_tests(tests, parse_lists, free_lists);
}
