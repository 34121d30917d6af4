/*
 * PostgreSQL stopped and started under a running dlc-rpcd: Check answers
 * NOT_SERVING promptly while the database is down and SERVING again once it
 * is back, without restarting dlc-rpcd. Uses a cluster of its own so that
 * stopping it disturbs no other test.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "common/clock.h"
#include "dlc/v1/system.pb-c.h"
#include "support/proc.h"
#include "support/rpcd.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

static char g_dir[64];
static char g_pgdir[128], g_pgport[32];

static int pg(const char *action)
{
    char *argv[] = {DLC_SOURCE_DIR "/scripts/pg.sh", (char *)action, NULL};
    char *env[] = {g_pgdir, g_pgport, NULL};
    return dlc_proc_run(argv, env, NULL);
}

/* Reads PGHOST/PGPORT/PGUSER of the private cluster as DLC_DATABASE_* settings. */
static int database_env(char out[3][300])
{
    char cmd[512];
    snprintf(cmd, sizeof cmd, "%s %s '%s/scripts/pg.sh' env", g_pgdir, g_pgport, DLC_SOURCE_DIR);
    FILE *f = popen(cmd, "r");
    char line[512];
    int found = 0;
    static const char *const vars[3][2] = {{"PGHOST=", "DLC_DATABASE_HOST="},
                                           {"PGPORT=", "DLC_DATABASE_PORT="},
                                           {"PGUSER=", "DLC_DATABASE_USER="}};
    while (f && fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = '\0';
        for (int i = 0; i < 3; i++) {
            char *p = strstr(line, vars[i][0]);
            if (p) {
                p += strlen(vars[i][0]);
                if (*p == '\'' || *p == '"')
                    p++;
                p[strcspn(p, "'\"")] = '\0';
                snprintf(out[i], 300, "%s%s", vars[i][1], p);
                found++;
            }
        }
    }
    if (f)
        pclose(f);
    return found == 3 ? 0 : -1;
}

static int status_of(const char *url, char *reason, size_t len, int64_t *took_ms)
{
    Dlc__V1__HealthCheckRequest in = DLC__V1__HEALTH_CHECK_REQUEST__INIT;
    ProtobufCMessage *out;
    dlc_status st;
    int64_t t0 = dlc_clock_mono_ms();
    dlc_test_call(url, "dlc.v1.SystemService/Check", &in.base, 2000, 5000,
                  &dlc__v1__health_check_response__descriptor, &out, &st);
    *took_ms = dlc_clock_mono_ms() - t0;
    if (!out)
        return -1;
    Dlc__V1__HealthCheckResponse *r = (Dlc__V1__HealthCheckResponse *)out;
    int s = r->status;
    snprintf(reason, len, "%s", r->reason);
    protobuf_c_message_free_unpacked(out, NULL);
    return s;
}

/* Polls Check until it reports want (≤ limit_ms); every answer must come
 * promptly. Returns the reason of the last answer through reason. */
static void wait_for(const char *url, int want, int64_t limit_ms, char *reason, size_t len)
{
    int64_t until = dlc_clock_mono_ms() + limit_ms;
    int got = -1;
    while (dlc_clock_mono_ms() < until) {
        int64_t took;
        got = status_of(url, reason, len, &took);
        assert_true(took < 2500); /* never hangs on a dead database */
        if (got == want)
            return;
        struct timespec ts = {0, 100 * 1000000L};
        nanosleep(&ts, NULL);
    }
    fail_msg("Check never reported %d (last %d)", want, got);
}

static void outage_and_recovery_without_restart(void **state)
{
    (void)state;
    snprintf(g_dir, sizeof g_dir, "/tmp/dlc-outage-XXXXXX");
    assert_non_null(mkdtemp(g_dir));
    assert_int_equal(chmod(g_dir, 0755), 0);
    snprintf(g_pgdir, sizeof g_pgdir, "DLC_PG_DIR=%s/pg", g_dir);
    snprintf(g_pgport, sizeof g_pgport, "DLC_PG_PORT=%d", dlc_proc_free_port());
    assert_int_equal(pg("start"), 0);
    char dbenv[3][300];
    assert_int_equal(database_env(dbenv), 0);
    char *extra[] = {dbenv[0], dbenv[1], dbenv[2], "DLC_RPC_WORKERS=2", NULL};
    dlc_test_rpcd core;
    assert_int_equal(dlc_test_rpcd_start(&core, "postgres", extra), 0);
    char reason[64];
    wait_for(core.tcp_url, DLC__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__SERVING, 5000, reason,
             sizeof reason);

    assert_int_equal(pg("stop"), 0);
    wait_for(core.tcp_url, DLC__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__NOT_SERVING, 10000,
             reason, sizeof reason);
    assert_string_equal(reason, "database_unhealthy");

    assert_int_equal(pg("start"), 0);
    wait_for(core.tcp_url, DLC__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__SERVING, 20000, reason,
             sizeof reason);
    assert_int_equal(kill(core.pid, 0), 0); /* the same process throughout */

    assert_int_equal(dlc_test_rpcd_stop(&core), 0);
    pg("destroy");
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", g_dir);
    assert_int_equal(system(cmd), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(outage_and_recovery_without_restart),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
