/*
 * Timers in an intrusive pairing heap (Fredman et al. 1986): insert O(1), delete-min and
 * cancel O(log n) amortized, no allocation. Each node keeps `prev`: its parent when it is a
 * first child, else its left sibling, which makes unlinking from the middle O(1).
 */
#include "unic/timer.h"

#include <stddef.h>

static bool timer_before(const struct timer *a, const struct timer *b)
{
    return a->deadline < b->deadline || (a->deadline == b->deadline && a->seq < b->seq);
}

/* Meld two detached heaps; returns the new root. */
static struct timer *heap_meld(struct timer *a, struct timer *b)
{
    if (!a)
        return b;
    if (!b)
        return a;
    if (timer_before(b, a)) {
        struct timer *t = a;
        a = b;
        b = t;
    }
    b->sibling = a->child;
    if (a->child)
        a->child->prev = b;
    b->prev = a;
    a->child = b;
    a->sibling = NULL;
    a->prev = NULL;
    return a;
}

/* Two-pass pairing of a sibling list; returns one heap. */
static struct timer *heap_merge_pairs(struct timer *first)
{
    struct timer *paired = NULL; /* pairs, linked through sibling in reverse order */
    while (first) {
        struct timer *a = first, *b = first->sibling;
        first = b ? b->sibling : NULL;
        a->sibling = a->prev = NULL;
        if (b)
            b->sibling = b->prev = NULL;
        struct timer *m = heap_meld(a, b);
        m->sibling = paired;
        paired = m;
    }
    struct timer *root = NULL;
    while (paired) {
        struct timer *next = paired->sibling;
        paired->sibling = NULL;
        root = heap_meld(root, paired);
        paired = next;
    }
    return root;
}

void timer_queue_init(struct timer_queue *tq, uint64_t now)
{
    tq->root = NULL;
    tq->now = now;
    tq->next_seq = 0;
    tq->fired = 0;
}

void timer_init(struct timer *t, timer_fn fn, void *arg)
{
    t->deadline = TIMER_NEVER;
    t->seq = 0;
    t->fn = fn;
    t->arg = arg;
    t->child = t->sibling = t->prev = NULL;
    t->armed = false;
}

static void heap_remove(struct timer_queue *tq, struct timer *t)
{
    struct timer *sub = heap_merge_pairs(t->child);
    t->child = NULL;
    if (t == tq->root) {
        tq->root = sub;
    } else {
        /* Unlink t from its parent's child list or its left sibling. */
        if (t->prev->child == t)
            t->prev->child = t->sibling;
        else
            t->prev->sibling = t->sibling;
        if (t->sibling)
            t->sibling->prev = t->prev;
        t->sibling = t->prev = NULL;
        tq->root = heap_meld(tq->root, sub);
    }
    if (tq->root)
        tq->root->prev = NULL;
    t->armed = false;
}

void timer_cancel(struct timer_queue *tq, struct timer *t)
{
    if (t->armed)
        heap_remove(tq, t);
}

void timer_arm(struct timer_queue *tq, struct timer *t, uint64_t deadline)
{
    timer_cancel(tq, t);
    t->deadline = deadline;
    t->seq = tq->next_seq++;
    t->child = t->sibling = t->prev = NULL;
    t->armed = true;
    tq->root = heap_meld(tq->root, t);
}

void timer_arm_in(struct timer_queue *tq, struct timer *t, uint64_t delay_ns)
{
    uint64_t deadline = tq->now + delay_ns;
    if (deadline < tq->now)
        deadline = TIMER_NEVER - 1;
    timer_arm(tq, t, deadline);
}

uint64_t timer_queue_next(const struct timer_queue *tq)
{
    return tq->root ? tq->root->deadline : TIMER_NEVER;
}

void timer_queue_set_now(struct timer_queue *tq, uint64_t now)
{
    if (now > tq->now)
        tq->now = now;
}

unsigned timer_queue_run(struct timer_queue *tq, uint64_t now)
{
    unsigned fired = 0;
    uint64_t armed_before = tq->next_seq; /* later ones wait for the next run (timer.h) */
    if (now > tq->now)
        tq->now = now;
    while (tq->root && tq->root->deadline <= tq->now && tq->root->seq < armed_before) {
        struct timer *t = tq->root;
        heap_remove(tq, t);
        fired++;
        tq->fired++;
        t->fn(t);
    }
    return fired;
}
