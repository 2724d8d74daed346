/* Timers: ordering, ties, cancellation, re-arming from callbacks, nothing armed = no deadline. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

#include "unic/timer.h"

struct fire_log {
    int order[64];
    int n;
};

struct test_timer {
    struct timer t;
    int id;
    struct fire_log *log;
};

static void record_fire(struct timer *t)
{
    struct test_timer *tt = t->arg;
    tt->log->order[tt->log->n++] = tt->id;
}

static void setup_timers(struct test_timer *tts, int n, struct fire_log *log)
{
    for (int i = 0; i < n; i++) {
        tts[i].id = i;
        tts[i].log = log;
        timer_init(&tts[i].t, record_fire, &tts[i]);
    }
}

static void test_empty_queue_has_no_deadline(void **state)
{
    (void)state;
    struct timer_queue tq;
    timer_queue_init(&tq, 0);
    assert_true(timer_queue_next(&tq) == TIMER_NEVER);
    assert_int_equal(timer_queue_run(&tq, 1000000), 0);
}

static void test_fires_in_deadline_order(void **state)
{
    (void)state;
    struct timer_queue tq;
    struct fire_log log = {0};
    struct test_timer tts[5];
    timer_queue_init(&tq, 0);
    setup_timers(tts, 5, &log);
    uint64_t deadlines[5] = {50, 10, 40, 20, 30};
    for (int i = 0; i < 5; i++)
        timer_arm(&tq, &tts[i].t, deadlines[i]);
    assert_true(timer_queue_next(&tq) == 10);
    assert_int_equal(timer_queue_run(&tq, 35), 3);
    assert_int_equal(log.order[0], 1);
    assert_int_equal(log.order[1], 3);
    assert_int_equal(log.order[2], 4);
    assert_true(timer_queue_next(&tq) == 40);
    assert_int_equal(timer_queue_run(&tq, 100), 2);
    assert_int_equal(log.order[3], 2);
    assert_int_equal(log.order[4], 0);
    assert_true(timer_queue_next(&tq) == TIMER_NEVER);
}

static void test_equal_deadlines_fire_in_arming_order(void **state)
{
    (void)state;
    struct timer_queue tq;
    struct fire_log log = {0};
    struct test_timer tts[8];
    timer_queue_init(&tq, 0);
    setup_timers(tts, 8, &log);
    for (int i = 0; i < 8; i++)
        timer_arm(&tq, &tts[i].t, 100);
    timer_queue_run(&tq, 100);
    assert_int_equal(log.n, 8);
    for (int i = 0; i < 8; i++)
        assert_int_equal(log.order[i], i);
}

static void test_cancel_prevents_firing(void **state)
{
    (void)state;
    struct timer_queue tq;
    struct fire_log log = {0};
    struct test_timer tts[4];
    timer_queue_init(&tq, 0);
    setup_timers(tts, 4, &log);
    for (int i = 0; i < 4; i++)
        timer_arm(&tq, &tts[i].t, (uint64_t)(10 * (i + 1)));
    timer_cancel(&tq, &tts[2].t); /* a middle node */
    timer_cancel(&tq, &tts[0].t); /* the root */
    timer_cancel(&tq, &tts[0].t); /* twice is harmless */
    assert_false(timer_armed(&tts[0].t));
    timer_queue_run(&tq, 1000);
    assert_int_equal(log.n, 2);
    assert_int_equal(log.order[0], 1);
    assert_int_equal(log.order[1], 3);
}

static void test_rearm_moves_timer(void **state)
{
    (void)state;
    struct timer_queue tq;
    struct fire_log log = {0};
    struct test_timer tts[2];
    timer_queue_init(&tq, 0);
    setup_timers(tts, 2, &log);
    timer_arm(&tq, &tts[0].t, 10);
    timer_arm(&tq, &tts[1].t, 20);
    timer_arm(&tq, &tts[0].t, 30);
    timer_queue_run(&tq, 25);
    assert_int_equal(log.n, 1);
    assert_int_equal(log.order[0], 1);
    assert_true(timer_queue_next(&tq) == 30);
}

static struct timer_queue *rearm_queue;
static int rearm_count;
static void rearm_self(struct timer *t)
{
    if (++rearm_count < 3)
        timer_arm_in(rearm_queue, t, 10);
}

static void test_callback_may_rearm(void **state)
{
    (void)state;
    struct timer_queue tq;
    struct timer t;
    timer_queue_init(&tq, 0);
    rearm_queue = &tq;
    rearm_count = 0;
    timer_init(&t, rearm_self, NULL);
    timer_arm(&tq, &t, 10);
    timer_queue_run(&tq, 15);
    assert_int_equal(rearm_count, 1);
    assert_true(timer_queue_next(&tq) == 25);
    timer_queue_run(&tq, 100); /* fires at 25; now is 100, so it re-arms for 110 */
    assert_int_equal(rearm_count, 2);
    assert_true(timer_queue_next(&tq) == 110);
    timer_queue_run(&tq, 300);
    assert_int_equal(rearm_count, 3);
    assert_false(timer_armed(&t));
}

/* A timer that re-arms itself for now (delay 0), up to (eager_limit) times in all. */
static struct timer_queue *eager_queue;
static unsigned eager_fired, eager_limit;
static void rearm_now(struct timer *t)
{
    if (++eager_fired < eager_limit)
        timer_arm_in(eager_queue, t, 0);
}

/* A run fires the timers due when it starts; one a callback arms for a time <= now fires in the
 * next run, so a timer that keeps re-arming itself for now cannot hold the event loop (and the
 * platform's signals) in one call. Before: one call fired it 100000 times (without the bound
 * in the callback, forever). Timers due at the start still all fire, in order. */
static void test_rearm_for_now_waits_for_next_run(void **state)
{
    (void)state;
    struct timer_queue tq;
    struct timer eager;
    struct fire_log log = {0};
    struct test_timer others[3];
    timer_queue_init(&tq, 0);
    setup_timers(others, 3, &log);
    eager_queue = &tq;
    eager_fired = 0;
    eager_limit = 100000;
    timer_init(&eager, rearm_now, NULL);
    timer_arm(&tq, &eager, 5);
    timer_arm(&tq, &others[0].t, 3);
    timer_arm(&tq, &others[1].t, 7);
    timer_arm(&tq, &others[2].t, 50);
    assert_int_equal(timer_queue_run(&tq, 10), 3);
    assert_int_equal(eager_fired, 1);
    assert_int_equal(log.n, 2);
    assert_true(timer_queue_next(&tq) == 10);
    assert_int_equal(timer_queue_run(&tq, 10), 1);
    assert_int_equal(eager_fired, 2);
    for (unsigned runs = 0; runs < 200000 && timer_queue_next(&tq) <= 10; runs++)
        timer_queue_run(&tq, 10);
    assert_int_equal(eager_fired, eager_limit);
    assert_int_equal(timer_queue_run(&tq, 60), 1);
    assert_int_equal(log.n, 3);
}

static void test_random_stress_matches_sorted_order(void **state)
{
    (void)state;
    enum { N = 2000 };
    static struct test_timer tts[N];
    struct timer_queue tq;
    timer_queue_init(&tq, 0);
    uint32_t seed = 12345;
    bool cancelled[N] = {false};
    for (int i = 0; i < N; i++) {
        timer_init(&tts[i].t, NULL, &tts[i]);
        seed = seed * 1103515245 + 12345;
        timer_arm(&tq, &tts[i].t, seed % 100000);
    }
    for (int i = 0; i < N; i += 7) {
        timer_cancel(&tq, &tts[i].t);
        cancelled[i] = true;
    }
    uint64_t last = 0;
    int popped = 0;
    while (timer_queue_next(&tq) != TIMER_NEVER) {
        uint64_t next = timer_queue_next(&tq);
        assert_true(next >= last);
        last = next;
        struct timer *root = tq.root;
        timer_cancel(&tq, root);
        assert_false(cancelled[((struct test_timer *)root->arg) - tts]);
        popped++;
    }
    assert_int_equal(popped, N - (N + 6) / 7);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_empty_queue_has_no_deadline),
        cmocka_unit_test(test_fires_in_deadline_order),
        cmocka_unit_test(test_equal_deadlines_fire_in_arming_order),
        cmocka_unit_test(test_cancel_prevents_firing),
        cmocka_unit_test(test_rearm_moves_timer),
        cmocka_unit_test(test_callback_may_rearm),
        cmocka_unit_test(test_rearm_for_now_waits_for_next_run),
        cmocka_unit_test(test_random_stress_matches_sorted_order),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
