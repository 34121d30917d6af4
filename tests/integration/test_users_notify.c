/*
 * NOTIFY dlc_users against a real PostgreSQL (migrations/0006): every change
 * that matters to authorization (admin flag, soft and hard delete, password)
 * announces the user's id, and nothing else does; heard through dlc_listen's
 * payload callback, which also reports a lost connection. Last, the wiring
 * the core is meant to use: a dlc_principals kept fresh by that listener.
 *
 * "Nothing else" is tested without sleeping: after each change the test
 * sends a mark on the channel and collects what came before it
 * (notifications are delivered in commit order).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
/* cmocka.h needs the four above first. */
#include <cmocka.h>

#include "common/clock.h"
#include "rpc/core/auth/principals.h"
#include "storage/listen.h"
#include "storage/users.h"
#include "support/testdb.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define LISTEN_APP "dlc-users-notify-test"
#define MARK "mark"
#define MAX_HEARD 16
#define WAIT_MS 5000

typedef dlc_testdb_fixture fixture;

static int setup(void **state)
{
    return dlc_testdb_fixture_setup(state, dlc_users_statements, dlc_users_statement_count);
}

/* ---- what the listener heard --------------------------------------------- */

typedef struct {
    pthread_mutex_t mu;
    char payloads[MAX_HEARD][32]; /* since the last mark, in arrival order */
    size_t n;
    bool marked;
    atomic_int connects;        /* CONNECTED callbacks */
    atomic_int losses;          /* on_lost calls */
    dlc_principals *principals; /* fed too, when set */
} heard;

static void on_payload(const char *payload, void *arg)
{
    heard *h = arg;
    dlc_principals_invalidate_text(h->principals, payload);
    pthread_mutex_lock(&h->mu);
    if (strcmp(payload, MARK) == 0)
        h->marked = true;
    else if (h->n < MAX_HEARD) /* '' stands for the empty payload */
        snprintf(h->payloads[h->n++], sizeof h->payloads[0], "%s", *payload ? payload : "''");
    pthread_mutex_unlock(&h->mu);
}

static void on_event(PGconn *conn, dlc_listen_event ev, void *arg)
{
    (void)conn;
    heard *h = arg;
    if (ev != DLC_LISTEN_CONNECTED)
        return;
    dlc_principals_set_trusted(h->principals, true); /* flushes what was missed */
    atomic_fetch_add(&h->connects, 1);
}

static void on_lost(void *arg)
{
    heard *h = arg;
    dlc_principals_set_trusted(h->principals, false);
    atomic_fetch_add(&h->losses, 1);
}

/* A listener on DLC_USERS_CHANNEL feeding h, already listening. */
static dlc_listen *listen_to(fixture *f, heard *h, dlc_principals *principals)
{
    memset(h, 0, sizeof *h);
    assert_int_equal(pthread_mutex_init(&h->mu, NULL), 0);
    h->principals = principals;
    dlc_db_params p = dlc_testdb_params(f->name, 5000);
    p.application_name = LISTEN_APP;
    dlc_listen_opts o = {
        .poll_ms = 60000, .cb = on_event, .on_payload = on_payload, .on_lost = on_lost, .arg = h};
    dlc_listen *w = dlc_listen_start_with(&p, DLC_USERS_CHANNEL, &o);
    assert_non_null(w);
    assert_true(dlc_listen_wait(w, WAIT_MS));
    return w;
}

static void stop_listening(dlc_listen *w, heard *h)
{
    dlc_listen_stop(w);
    pthread_mutex_destroy(&h->mu);
}

/* Polls cond(arg) every 5 ms for up to WAIT_MS; true once it holds. */
static bool eventually(bool (*cond)(void *), void *arg)
{
    int64_t until = dlc_clock_mono_ms() + WAIT_MS;
    while (!cond(arg)) {
        if (dlc_clock_mono_ms() >= until)
            return false;
        nanosleep(&(struct timespec){0, 5000000L}, NULL);
    }
    return true;
}

static bool took_mark(void *arg)
{
    heard *h = arg;
    pthread_mutex_lock(&h->mu);
    bool marked = h->marked;
    pthread_mutex_unlock(&h->mu);
    return marked;
}

static int by_text(const void *a, const void *b)
{
    return strcmp(a, b);
}

/* Sends a mark, waits for it, and checks that exactly the payloads listed
 * in expected (comma-separated, sorted as strings; "" for none) came
 * before it; then forgets them. Row order within a statement is the
 * planner's, hence the sort. */
static void expect_heard(fixture *f, heard *h, const char *expected)
{
    assert_int_equal(
        dlc_testdb_exec(f->conn, "SELECT pg_notify('" DLC_USERS_CHANNEL "', '" MARK "')"), 0);
    assert_true(eventually(took_mark, h));
    pthread_mutex_lock(&h->mu);
    qsort(h->payloads, h->n, sizeof h->payloads[0], by_text);
    char got[MAX_HEARD * 33] = "";
    for (size_t i = 0; i < h->n; i++)
        snprintf(got + strlen(got), sizeof got - strlen(got), "%s%s", i ? "," : "", h->payloads[i]);
    h->n = 0;
    h->marked = false;
    pthread_mutex_unlock(&h->mu);
    assert_string_equal(got, expected);
}

/* ---- helpers ------------------------------------------------------------- */

static int64_t deadline(void)
{
    return dlc_clock_mono_ms() + 5000;
}

static int64_t make_user(dlc_db *db, const char *name)
{
    dlc_user u = {0};
    bool taken = true;
    assert_int_equal(dlc_users_create(db, name, "h1", deadline(), &u, &taken), DLC_DB_OK);
    assert_false(taken);
    int64_t id = u.id;
    dlc_user_clear(&u);
    return id;
}

/* Runs a printf-formatted statement on the admin connection. */
static void sql(fixture *f, const char *fmt, ...)
{
    char text[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    assert_int_equal(dlc_testdb_exec(f->conn, text), 0);
}

static const char *id_text(int64_t id, char buf[24])
{
    snprintf(buf, 24, "%lld", (long long)id);
    return buf;
}

/* ---- what notifies ------------------------------------------------------- */

static void authorization_changes_notify_the_id(void **state)
{
    fixture *f = *state;
    heard h;
    dlc_listen *w = listen_to(f, &h, NULL);
    char a[24], b[24];
    int64_t ann = make_user(f->db, "ann"), bob = make_user(f->db, "bob");
    id_text(ann, a);
    id_text(bob, b);
    expect_heard(f, &h, ""); /* a new user is in no cache */

    sql(f, "UPDATE users SET is_admin = true WHERE id = %s", a);
    expect_heard(f, &h, a);

    bool found = false;
    assert_int_equal(dlc_users_set_password(f->db, ann, "h2", deadline(), &found), DLC_DB_OK);
    assert_true(found);
    expect_heard(f, &h, a);

    assert_int_equal(dlc_users_allow_reset(f->db, "bob", "c0de", 60000, deadline(), NULL, &found),
                     DLC_DB_OK);
    expect_heard(f, &h, "");
    dlc_reset_completion r = {"bob", "c0de", "h3", 5};
    assert_int_equal(dlc_users_complete_reset(f->db, &r, deadline(), &found), DLC_DB_OK);
    assert_true(found);
    expect_heard(f, &h, b);

    assert_int_equal(dlc_users_revoke_tokens(f->db, "bob", deadline(), &found), DLC_DB_OK);
    assert_true(found);
    expect_heard(f, &h, b);

    assert_int_equal(dlc_users_soft_delete(f->db, "ann", deadline(), &found), DLC_DB_OK);
    assert_true(found);
    expect_heard(f, &h, a);

    sql(f, "DELETE FROM users WHERE id = %s", b);
    expect_heard(f, &h, b);
    stop_listening(w, &h);
}

static void other_changes_are_silent(void **state)
{
    fixture *f = *state;
    heard h;
    dlc_listen *w = listen_to(f, &h, NULL);
    int64_t ann = make_user(f->db, "ann");
    bool found = false;
    assert_int_equal(
        dlc_users_update_profile(f->db, ann, "likes tea", "waltz", deadline(), NULL, &found),
        DLC_DB_OK);
    assert_true(found);
    assert_int_equal(dlc_users_touch_login(f->db, ann, deadline()), DLC_DB_OK);
    assert_int_equal(dlc_users_allow_reset(f->db, "ann", "c0de", 60000, deadline(), NULL, &found),
                     DLC_DB_OK);
    /* Columns named by the trigger, set to what they hold. */
    assert_int_equal(dlc_users_rehash(f->db, ann, "h1", deadline()), DLC_DB_OK);
    sql(f, "UPDATE users SET is_admin = false, deleted_at = NULL, username = 'Ann'");
    expect_heard(f, &h, "");
    stop_listening(w, &h);
}

static void one_per_row_on_commit_only(void **state)
{
    fixture *f = *state;
    heard h;
    dlc_listen *w = listen_to(f, &h, NULL);
    char a[24], b[24], c[24], all[80];
    id_text(make_user(f->db, "ann"), a);
    id_text(make_user(f->db, "bob"), b);
    id_text(make_user(f->db, "cyd"), c);
    snprintf(all, sizeof all, "%s,%s,%s", a, b, c); /* one-digit ids sort as numbers */

    sql(f, "UPDATE users SET is_admin = true");
    expect_heard(f, &h, all);

    sql(f, "BEGIN");
    sql(f, "UPDATE users SET is_admin = false");
    sql(f, "ROLLBACK");
    expect_heard(f, &h, "");

    /* PostgreSQL folds a transaction's identical notifications into one. */
    sql(f, "BEGIN");
    sql(f, "UPDATE users SET is_admin = false WHERE id = %s", a);
    sql(f, "UPDATE users SET password_hash = 'h9' WHERE id = %s", a);
    sql(f, "COMMIT");
    expect_heard(f, &h, a);

    sql(f, "TRUNCATE users CASCADE");
    expect_heard(f, &h, "''"); /* no row named: drop everything */
    stop_listening(w, &h);
}

/* ---- the listener's connection ------------------------------------------ */

static bool is_one(void *arg)
{
    return atomic_load((atomic_int *)arg) == 1;
}

static bool is_two(void *arg)
{
    return atomic_load((atomic_int *)arg) == 2;
}

static void kill_listener(fixture *f)
{
    sql(f, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
           " WHERE application_name = '" LISTEN_APP "' AND datname = current_database()");
}

static void loss_is_reported_and_listening_resumes(void **state)
{
    fixture *f = *state;
    heard h;
    dlc_listen *w = listen_to(f, &h, NULL);
    assert_int_equal(atomic_load(&h.connects), 1);
    assert_int_equal(atomic_load(&h.losses), 0);
    kill_listener(f);
    assert_true(eventually(is_one, &h.losses));
    assert_true(eventually(is_two, &h.connects));
    char a[24];
    id_text(make_user(f->db, "ann"), a);
    sql(f, "UPDATE users SET is_admin = true WHERE id = %s", a);
    expect_heard(f, &h, a); /* listening again */
    dlc_listen_stop(w);     /* stopping ends listening too */
    assert_int_equal(atomic_load(&h.losses), 2);
    pthread_mutex_destroy(&h.mu);
}

/* ---- a principal cache fed by the listener ------------------------------- */

typedef struct {
    dlc_principals *p;
    int64_t id;
} probe;

static bool misses(void *arg)
{
    probe *pr = arg;
    dlc_principal_info info;
    return !dlc_principals_get(pr->p, pr->id, &info);
}

/* What a request would do on a miss: begin, read the row, store it. */
static void load(fixture *f, dlc_principals *p, int64_t id)
{
    uint64_t token = dlc_principals_begin(p, id);
    dlc_user u = {0};
    bool found = false;
    assert_int_equal(dlc_users_find_by_id(f->db, id, deadline(), &u, &found), DLC_DB_OK);
    assert_true(found);
    assert_true(dlc_principals_put(p, id, token, &(dlc_principal_info){.is_admin = u.is_admin}));
    dlc_user_clear(&u);
}

static void principals_follow_the_table(void **state)
{
    fixture *f = *state;
    dlc_principals *p = dlc_principals_new(64);
    assert_non_null(p);
    heard h;
    dlc_listen *w = listen_to(f, &h, p); /* connected: trusted */
    int64_t ann = make_user(f->db, "ann"), bob = make_user(f->db, "bob");
    load(f, p, ann);
    load(f, p, bob);
    probe pa = {p, ann}, pb = {p, bob};
    assert_false(misses(&pa));

    bool found = false;
    assert_int_equal(dlc_users_soft_delete(f->db, "ann", deadline(), &found), DLC_DB_OK);
    assert_true(eventually(misses, &pa));
    assert_false(misses(&pb));

    kill_listener(f); /* missed notifications: untrusted, then flushed */
    assert_true(eventually(is_two, &h.connects));
    assert_true(misses(&pb));
    load(f, p, bob);
    assert_false(misses(&pb));
    stop_listening(w, &h);
    assert_true(misses(&pb)); /* nobody listens any more */
    dlc_principals_free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        DLC_TESTDB_TEST(authorization_changes_notify_the_id, setup),
        DLC_TESTDB_TEST(other_changes_are_silent, setup),
        DLC_TESTDB_TEST(one_per_row_on_commit_only, setup),
        DLC_TESTDB_TEST(loss_is_reported_and_listening_resumes, setup),
        DLC_TESTDB_TEST(principals_follow_the_table, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
