/*
 * dlc_reload: the running configuration as a snapshot, the file watcher and
 * SIGHUP reloads that replace it (see reload.h).
 */
#define _GNU_SOURCE /* pipe2 */
#include "common/reload.h"

#include "common/log.h"
#include "common/snapshot.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>

/* A save is often several events (truncate, write, rename): wait for quiet. */
#define DEBOUNCE_MS 100
/* Keys named in one log line. */
#define MAX_CHANGED 128 /* more than the schema has keys */

struct dlc_reload {
    dlc_snapshot live;       /* of dlc_config */
    pthread_mutex_t mu;      /* serialises reloads (watcher and SIGHUP) */
    dlc_config last_read;    /* what the sources said last time, under mu */
    dlc_reload_read_fn read;
    void *ctx;
    /* the watcher */
    int inotify_fd, stop_pipe[2];
    char dir[PATH_MAX], base[256];
    pthread_t thread;
    bool watching;
};

static void config_free(void *obj)
{
    dlc_config_free(obj);
    free(obj);
}

/* A heap copy for the snapshot; NULL on OOM. */
static dlc_config *config_dup(const dlc_config *c)
{
    dlc_config *copy = malloc(sizeof *copy);
    if (copy && dlc_config_copy(copy, c) != 0) {
        free(copy);
        return NULL;
    }
    return copy;
}

dlc_reload *dlc_reload_new(const dlc_config *initial)
{
    dlc_reload *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    r->inotify_fd = r->stop_pipe[0] = r->stop_pipe[1] = -1;
    if (dlc_config_copy(&r->last_read, initial) != 0) {
        free(r);
        return NULL;
    }
    dlc_config *first = config_dup(initial);
    if (!first || dlc_snapshot_init(&r->live, config_free) != 0) {
        config_free(first);
        dlc_config_free(&r->last_read);
        free(r);
        return NULL;
    }
    pthread_mutex_init(&r->mu, NULL); /* cannot fail with default attributes on Linux */
    if (!dlc_snapshot_publish(&r->live, first)) {
        dlc_reload_free(r);
        return NULL;
    }
    return r;
}

const dlc_config *dlc_reload_config(const dlc_reload *r, uint64_t *gen)
{
    return dlc_snapshot_get(&r->live, gen);
}

/* ---- one reload ------------------------------------------------------------ */

static void log_refused(const dlc_config_error *e)
{
    char buf[800];
    dlc_log_error("configuration reload refused; the running configuration stays", "error",
                  dlc_config_error_format(e, buf, sizeof buf));
}

/* The running configuration with the reloadable keys of fresh; the others
 * are named in a warning and keep their running value. NULL on OOM. */
static dlc_config *merge(const dlc_config *running, const dlc_config *fresh,
                         const char *const *changed, size_t n)
{
    dlc_config *next = config_dup(running);
    for (size_t i = 0; next && i < n; i++) {
        if (!dlc_config_key_reloadable(changed[i])) {
            dlc_log_warn("configuration key changed; it needs a restart, the running value stays",
                         "key", changed[i]);
        } else if (dlc_config_copy_key(next, fresh, changed[i]) != 0) {
            config_free(next);
            next = NULL;
        }
    }
    return next;
}

static void join_keys(const char *const *keys, size_t n, char *out, size_t len)
{
    size_t used = 0;
    out[0] = '\0';
    for (size_t i = 0; i < n && used < len; i++)
        used += (size_t)snprintf(out + used, len - used, "%s%s", i ? "," : "", keys[i]);
}

static void apply_logging(const dlc_config *c)
{
    dlc_log_level level;
    if (dlc_log_parse_level(c->logging.level, &level) == 0)
        dlc_log_set_level(level);
    dlc_log_set_access(c->logging.access);
}

/* Publishes the merge of fresh; keeps fresh as last_read. Under mu. */
static uint64_t take(dlc_reload *r, dlc_config *fresh, const char *const *changed, size_t n)
{
    const dlc_config *running = dlc_snapshot_get(&r->live, NULL);
    dlc_config *next = merge(running, fresh, changed, n);
    dlc_config_error e = {0};
    if (next && dlc_config_validate(next, &e) != 0) { /* e.g. leeway vs a new ttl */
        log_refused(&e);
        config_free(next);
        return 0;
    }
    uint64_t gen = next ? dlc_snapshot_publish(&r->live, next) : 0;
    if (!gen) {
        dlc_log_error("configuration reload failed: out of memory");
        return 0;
    }
    dlc_config_free(&r->last_read);
    r->last_read = *fresh;
    *fresh = (dlc_config){0};
    apply_logging(dlc_snapshot_get(&r->live, NULL));
    char keys[1024], g[24];
    join_keys(changed, n < MAX_CHANGED ? n : MAX_CHANGED, keys, sizeof keys);
    snprintf(g, sizeof g, "%llu", (unsigned long long)gen);
    dlc_log_info("configuration reloaded", "generation", g, "changed", keys);
    return gen;
}

/* Under mu: reads the sources and takes them when they changed. */
static uint64_t reload_locked(dlc_reload *r)
{
    dlc_config fresh;
    dlc_config_error e = {0};
    const char *changed[MAX_CHANGED];
    uint64_t gen = 0;
    if (r->read(r->ctx, &fresh, &e) != 0) {
        log_refused(&e);
    } else {
        size_t n = dlc_config_diff(&r->last_read, &fresh, changed, MAX_CHANGED);
        if (n > 0)
            gen = take(r, &fresh, changed, n < MAX_CHANGED ? n : MAX_CHANGED);
        else
            dlc_snapshot_get(&r->live, &gen);
    }
    dlc_config_free(&fresh);
    return gen;
}

uint64_t dlc_reload_now(dlc_reload *r)
{
    if (!r->read) {
        dlc_log_warn("configuration reload: nothing to reload from");
        return 0;
    }
    pthread_mutex_lock(&r->mu);
    uint64_t gen = reload_locked(r);
    pthread_mutex_unlock(&r->mu);
    return gen;
}

/* ---- the watcher --------------------------------------------------------- */

/* Whether an event names the file (or a Kubernetes "..data" swap). */
static bool names_file(const dlc_reload *r, const struct inotify_event *ev)
{
    return ev->len > 0 && (strcmp(ev->name, r->base) == 0 || strncmp(ev->name, "..", 2) == 0);
}

/* Reads the pending events; true when one concerns the file. */
static bool drain_events(const dlc_reload *r)
{
    char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
    bool hit = false;
    ssize_t len;
    while ((len = read(r->inotify_fd, buf, sizeof buf)) > 0) {
        for (char *p = buf; p < buf + len;) {
            const struct inotify_event *ev = (const struct inotify_event *)p;
            hit = hit || names_file(r, ev);
            p += sizeof *ev + ev->len;
        }
    }
    return hit;
}

static void *watch_loop(void *arg)
{
    dlc_reload *r = arg;
    bool pending = false;
    for (;;) {
        struct pollfd fds[2] = {{r->inotify_fd, POLLIN, 0}, {r->stop_pipe[0], POLLIN, 0}};
        int n = poll(fds, 2, pending ? DEBOUNCE_MS : -1);
        if (n < 0 && errno != EINTR)
            break;
        if (fds[1].revents)
            break;
        if (n > 0 && fds[0].revents) {
            pending = drain_events(r) || pending;
        } else if (n == 0 && pending) {
            pending = false;
            dlc_reload_now(r);
        }
    }
    return NULL;
}

static int split_path(dlc_reload *r, const char *path)
{
    const char *slash = strrchr(path, '/');
    const char *base = slash ? slash + 1 : path;
    if (snprintf(r->base, sizeof r->base, "%s", base) >= (int)sizeof r->base)
        return -1;
    if (!slash)
        return snprintf(r->dir, sizeof r->dir, ".") < 0 ? -1 : 0;
    int dirlen = slash == path ? 1 : (int)(slash - path);
    return snprintf(r->dir, sizeof r->dir, "%.*s", dirlen, path) >= (int)sizeof r->dir ? -1 : 0;
}

static int start_watcher(dlc_reload *r, const char *path, char *err, size_t errlen)
{
    if (split_path(r, path) != 0) {
        snprintf(err, errlen, "configuration path too long");
        return -1;
    }
    r->inotify_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (r->inotify_fd < 0 || pipe2(r->stop_pipe, O_CLOEXEC) != 0 ||
        inotify_add_watch(r->inotify_fd, r->dir, IN_CLOSE_WRITE | IN_MOVED_TO) < 0) {
        snprintf(err, errlen, "cannot watch %s: %s", r->dir, strerror(errno));
        return -1;
    }
    if (pthread_create(&r->thread, NULL, watch_loop, r) != 0) {
        snprintf(err, errlen, "cannot start the configuration watcher");
        return -1;
    }
    r->watching = true;
    return 0;
}

int dlc_reload_watch(dlc_reload *r, dlc_reload_read_fn read, void *ctx, char *err, size_t errlen)
{
    r->read = read;
    r->ctx = ctx;
    if (!r->last_read.source_file || r->watching)
        return 0;
    return start_watcher(r, r->last_read.source_file, err, errlen);
}

static void stop_watcher(dlc_reload *r)
{
    if (r->watching) {
        ssize_t ignored = write(r->stop_pipe[1], "x", 1);
        (void)ignored;
        pthread_join(r->thread, NULL);
    }
    int fds[] = {r->inotify_fd, r->stop_pipe[0], r->stop_pipe[1]};
    for (size_t i = 0; i < sizeof fds / sizeof fds[0]; i++)
        if (fds[i] >= 0)
            close(fds[i]);
}

void dlc_reload_free(dlc_reload *r)
{
    if (!r)
        return;
    stop_watcher(r);
    dlc_config_free(&r->last_read);
    dlc_snapshot_destroy(&r->live);
    pthread_mutex_destroy(&r->mu);
    free(r);
}
