/*
 * dlc_reload: the running configuration of a daemon and its hot reload.
 *
 * Readers take the current snapshot with dlc_reload_config: one atomic load,
 * never a wait, whatever a reload is doing. A reload (the watched file
 * changed, or SIGHUP → dlc_reload_now) reads every source anew and compares
 * it with what the sources said last time:
 *   - nothing differs: nothing happens;
 *   - the new sources are invalid: an error naming file:line and key is
 *     logged, the running configuration stays whole;
 *   - a changed key that needs a restart (listen addresses, database, …):
 *     a warning names it and the running value stays;
 *   - changed reloadable keys (dlc_config_key_reloadable) take effect:
 *     logging.level at once, the others from the next request that reads
 *     the snapshot.
 * Every accepted change of the sources publishes a new snapshot whose
 * generation (1 at start) is one more: /api/info and GetInfo show it, so
 * tests and operators can tell that a reload took effect without sleeping.
 *
 * File watching uses inotify on the file's directory, because editors and
 * config managers replace a file by rename (IN_MOVED_TO), and Kubernetes
 * swaps a "..data" symlink. Events are debounced (100 ms of quiet).
 *
 * Snapshots are kept until dlc_reload_free (see common/snapshot.h): a
 * reload costs a few KB, and only when the sources changed.
 */
#ifndef DLC_RELOAD_H
#define DLC_RELOAD_H

#include "common/config.h"

#include <stdint.h>

typedef struct dlc_reload dlc_reload;

/* Reads every source anew into out (overwritten; the callee leaves it
 * freeable in every case) and validates it. 0, or -1 with err filled. */
typedef int (*dlc_reload_read_fn)(void *ctx, dlc_config *out, dlc_config_error *err);

/* Generation 1 holds a copy of initial; nothing is watched yet. NULL on OOM. */
dlc_reload *dlc_reload_new(const dlc_config *initial);
/* Stops the watcher and frees every snapshot: no reader may remain. */
void dlc_reload_free(dlc_reload *r);

/* The current configuration (valid until dlc_reload_free) and, when gen is
 * not NULL, its generation. Never waits. */
const dlc_config *dlc_reload_config(const dlc_reload *r, uint64_t *gen);

/* Sets where the configuration comes from and, when the initial
 * configuration was read from a file, starts watching it. ctx must outlive
 * r. 0, or -1 with err filled. */
int dlc_reload_watch(dlc_reload *r, dlc_reload_read_fn read, void *ctx, char *err, size_t errlen);

/* Reloads now (SIGHUP), in the caller's thread. Returns the generation in
 * effect afterwards, or 0 when the sources were refused (logged). */
uint64_t dlc_reload_now(dlc_reload *r);

#endif
