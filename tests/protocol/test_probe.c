/*
 * A real dlc-rpcd under a fake service manager: started with NOTIFY_SOCKET
 * (abstract) set, it says READY=1 once it serves, RELOADING=1 then READY=1
 * around a SIGHUP reload, STOPPING=1 at SIGTERM. `dlc-rpcd --probe URL`
 * exits 0 against it (tcp and ipc) and 1, within its 2 s bound, once
 * nothing listens there any more.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "common/clock.h"
#include "support/notify_sock.h"
#include "support/proc.h"
#include "support/rpcd.h"
#include "support/testdb.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* The probe's own bound plus room for a loaded machine to start a process. */
#define PROBE_BOUND_MS 4000

static int probe(const char *url)
{
    char *argv[] = {DLC_RPCD_PATH, "--probe", (char *)url, NULL};
    return dlc_proc_run(argv, NULL, NULL);
}

static void expect_state(int fd, const char *want)
{
    char buf[256];
    assert_true(dlc_test_notify_read(fd, 10000, buf, sizeof buf) > 0);
    assert_string_equal(buf, want);
}

static void notify_and_probe(void **state)
{
    (void)state;
    char db[64], sock[64], env_sock[96];
    snprintf(sock, sizeof sock, "@dlc-test-probe-%ld", (long)getpid());
    snprintf(env_sock, sizeof env_sock, "NOTIFY_SOCKET=%s", sock);
    int fd = dlc_test_notify_bind(sock);
    assert_true(fd >= 0);
    assert_int_equal(dlc_testdb_create(db, sizeof db), 0);
    char *env[] = {env_sock, NULL};
    dlc_test_rpcd r;
    assert_int_equal(dlc_test_rpcd_start(&r, db, env), 0);
    expect_state(fd, "READY=1");

    assert_int_equal(probe(r.tcp_url), 0);
    assert_int_equal(probe(r.ipc_url), 0);

    assert_int_equal(kill(r.pid, SIGHUP), 0);
    expect_state(fd, "RELOADING=1");
    expect_state(fd, "READY=1");

    char url[64];
    snprintf(url, sizeof url, "%s", r.tcp_url);
    assert_int_equal(dlc_test_rpcd_stop(&r), 0);
    expect_state(fd, "STOPPING=1");
    int64_t t0 = dlc_clock_mono_ms();
    assert_int_equal(probe(url), 1);
    assert_true(dlc_clock_mono_ms() - t0 < PROBE_BOUND_MS);
    dlc_testdb_drop(db);
    close(fd);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(notify_and_probe)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
