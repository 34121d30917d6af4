/*
 * dlc_notify: datagrams reach a real AF_UNIX socket, by path and in the
 * abstract namespace; without NOTIFY_SOCKET nothing is sent; a malformed
 * one is an error, never a crash.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "common/notify.h"
#include "support/notify_sock.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

/* Sends through NOTIFY_SOCKET=name and reads it back at name. */
static void round_trip(const char *name)
{
    int fd = dlc_test_notify_bind(name);
    assert_true(fd >= 0);
    setenv("NOTIFY_SOCKET", name, 1);
    assert_int_equal(dlc_notify_send("READY=1"), 0);
    char buf[64];
    assert_int_equal(dlc_test_notify_read(fd, 1000, buf, sizeof buf), 7);
    assert_string_equal(buf, "READY=1");
    assert_int_equal(dlc_notify_send("STOPPING=1\nSTATUS=bye"), 0);
    assert_true(dlc_test_notify_read(fd, 1000, buf, sizeof buf) > 0);
    assert_string_equal(buf, "STOPPING=1\nSTATUS=bye");
    close(fd);
    unsetenv("NOTIFY_SOCKET");
}

static void path_socket(void **state)
{
    (void)state;
    char dir[] = "/tmp/dlc-notify-XXXXXX", path[64];
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/notify", dir);
    round_trip(path);
    unlink(path);
    rmdir(dir);
}

static void abstract_socket(void **state)
{
    (void)state;
    char name[64];
    snprintf(name, sizeof name, "@dlc-test-notify-%ld", (long)getpid());
    round_trip(name);
}

static void no_socket_no_send(void **state)
{
    (void)state;
    unsetenv("NOTIFY_SOCKET");
    assert_int_equal(dlc_notify_send("READY=1"), 1);
    setenv("NOTIFY_SOCKET", "", 1);
    assert_int_equal(dlc_notify_send("READY=1"), 1);
    unsetenv("NOTIFY_SOCKET");
}

static void bad_socket_is_an_error(void **state)
{
    (void)state;
    setenv("NOTIFY_SOCKET", "relative/path", 1);
    assert_int_equal(dlc_notify_send("READY=1"), -1);
    setenv("NOTIFY_SOCKET", "/nonexistent/dlc-notify", 1);
    assert_int_equal(dlc_notify_send("READY=1"), -1);
    unsetenv("NOTIFY_SOCKET");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(path_socket),
        cmocka_unit_test(abstract_socket),
        cmocka_unit_test(no_socket_no_send),
        cmocka_unit_test(bad_socket_is_an_error),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
