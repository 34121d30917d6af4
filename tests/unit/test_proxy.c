/* Who the client is: X-Forwarded-For is believed only from trusted proxies. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "gateway/proxy.h"

#include <string.h>

static char *TRUSTED_ITEMS[] = {"10.0.0.1", "192.168.0.0/16", "fd00::/8"};
static dlc_proxy_list *TRUSTED, *NONE;

static int parse_lists(void **state)
{
    (void)state;
    char err[128];
    TRUSTED = dlc_proxy_list_new(&(dlc_strlist){TRUSTED_ITEMS, 3}, err, sizeof err);
    NONE = dlc_proxy_list_new(&(dlc_strlist){NULL, 0}, err, sizeof err);
    return TRUSTED && NONE ? 0 : -1;
}

static int free_lists(void **state)
{
    (void)state;
    dlc_proxy_list_free(TRUSTED);
    dlc_proxy_list_free(NONE);
    return 0;
}

static const char *client(const dlc_proxy_list *t, const char *peer, const char *xff)
{
    static char out[64];
    return dlc_proxy_client_ip(t, peer, xff, out, sizeof out);
}

static void trusted_entries_and_ranges(void **state)
{
    (void)state;
    assert_true(dlc_proxy_trusted(TRUSTED, "10.0.0.1"));
    assert_false(dlc_proxy_trusted(TRUSTED, "10.0.0.2"));
    assert_true(dlc_proxy_trusted(TRUSTED, "192.168.44.5"));
    assert_false(dlc_proxy_trusted(TRUSTED, "192.169.0.1"));
    assert_true(dlc_proxy_trusted(TRUSTED, "fd12::1"));
    assert_false(dlc_proxy_trusted(TRUSTED, "fe80::1"));
    assert_false(dlc_proxy_trusted(TRUSTED, "not an address"));
    assert_false(dlc_proxy_trusted(NONE, "10.0.0.1"));
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
    static const char *const bad[] = {"10.0.0.0/", "10.0.0.0/x", "10.0.0.0/33", "::/129",
                                      "10.0.0.0/8 ", "proxy.example", ""};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char *items[] = {(char *)bad[i]};
        char err[128] = "";
        assert_null(dlc_proxy_list_new(&(dlc_strlist){items, 1}, err, sizeof err));
        assert_non_null(strstr(err, "server.trusted_proxies"));
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(trusted_entries_and_ranges),
        cmocka_unit_test(forwarded_for_only_from_trusted_peers),
        cmocka_unit_test(malformed_entries_are_refused),
    };
    return cmocka_run_group_tests(tests, parse_lists, free_lists);
}
