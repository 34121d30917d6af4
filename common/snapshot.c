/*
 * dlc_snapshot: publishing immutable objects that readers load without
 * waiting; replaced ones are retired until destroy (see snapshot.h).
 */
#include "common/snapshot.h"

#include <stdlib.h>

struct dlc_snapshot_node {
    void *obj;
    uint64_t gen;
    dlc_snapshot_node *next_retired; /* writers only, under mu */
};

int dlc_snapshot_init(dlc_snapshot *s, void (*free_fn)(void *obj))
{
    atomic_init(&s->current, NULL);
    s->retired = NULL;
    s->free_fn = free_fn;
    return pthread_mutex_init(&s->mu, NULL) == 0 ? 0 : -1;
}

static void node_free(const dlc_snapshot *s, dlc_snapshot_node *n)
{
    if (!n)
        return;
    s->free_fn(n->obj);
    free(n);
}

void dlc_snapshot_destroy(dlc_snapshot *s)
{
    node_free(s, atomic_load_explicit(&s->current, memory_order_acquire));
    atomic_store(&s->current, NULL);
    while (s->retired) {
        dlc_snapshot_node *next = s->retired->next_retired;
        node_free(s, s->retired);
        s->retired = next;
    }
    pthread_mutex_destroy(&s->mu);
}

const void *dlc_snapshot_get(const dlc_snapshot *s, uint64_t *gen)
{
    /* Acquire pairs with the release in publish: what the writer stored in
     * the object before publishing it is visible here. */
    const dlc_snapshot_node *n =
        atomic_load_explicit(&((dlc_snapshot *)s)->current, memory_order_acquire);
    if (gen)
        *gen = n ? n->gen : 0;
    return n ? n->obj : NULL;
}

uint64_t dlc_snapshot_publish(dlc_snapshot *s, void *obj)
{
    dlc_snapshot_node *n = malloc(sizeof *n);
    if (!n) {
        s->free_fn(obj);
        return 0;
    }
    n->obj = obj;
    n->next_retired = NULL;
    pthread_mutex_lock(&s->mu);
    dlc_snapshot_node *old = atomic_load_explicit(&s->current, memory_order_relaxed);
    n->gen = old ? old->gen + 1 : 1;
    atomic_store_explicit(&s->current, n, memory_order_release);
    if (old) { /* a reader may still hold it */
        old->next_retired = s->retired;
        s->retired = old;
    }
    pthread_mutex_unlock(&s->mu);
    return n->gen;
}
