/*
 * dlc_snapshot: one immutable object that many threads read without ever
 * waiting, replaced now and then by a writer (the configuration on reload,
 * the JWT keyring on rotation).
 *
 * A reader's pointer stays valid until dlc_snapshot_destroy: a replaced
 * object is retired, not freed, because a reader may still hold it. Each
 * publication therefore costs its object's size until exit; publish only
 * when something changed (a reload or a rotation is rare).
 *
 * Ownership: dlc_snapshot_publish takes obj; destroy frees every object
 * published, current and retired, with the free function given at init.
 */
#ifndef DLC_SNAPSHOT_H
#define DLC_SNAPSHOT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

typedef struct dlc_snapshot_node dlc_snapshot_node;

typedef struct {
    _Atomic(dlc_snapshot_node *) current;
    pthread_mutex_t mu;          /* serialises writers; guards retired */
    dlc_snapshot_node *retired;
    void (*free_fn)(void *obj);
} dlc_snapshot;

/* Empty until the first publish. 0, or -1 (mutex). */
int dlc_snapshot_init(dlc_snapshot *s, void (*free_fn)(void *obj));
void dlc_snapshot_destroy(dlc_snapshot *s);

/* The current object (NULL before the first publish) and, when gen is not
 * NULL, its generation: 1 for the first object published, +1 per publish.
 * Never waits. */
const void *dlc_snapshot_get(const dlc_snapshot *s, uint64_t *gen);

/* Makes obj current; returns its generation, or 0 on allocation failure
 * (obj is then freed with free_fn and the current one stays). */
uint64_t dlc_snapshot_publish(dlc_snapshot *s, void *obj);

#endif
