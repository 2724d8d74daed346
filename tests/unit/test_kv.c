/* examples/kv without the network: the bounded store (limits, replace, delete with backward
 * shift under collisions, agreement with a plain model over many random operations) and the
 * line protocol (framing with LF / CRLF / over-long lines, every answer and error). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "kv_line.h"
#include "kv_store.h"

static void test_store_limits(void **state)
{
    (void)state;
    struct kv_store s;
    assert_int_equal(kv_store_init(&s, 0), -EINVAL);
    assert_int_equal(kv_store_init(&s, KV_MAX_KEYS_LIMIT + 1), -EINVAL);
    assert_int_equal(kv_store_init(&s, 3), 0);
    uint8_t big[KV_MAX_VALUE + 1];
    memset(big, 'v', sizeof(big));
    assert_int_equal(kv_store_set(&s, (const uint8_t *)"", 0, big, 1), -EINVAL);
    assert_int_equal(kv_store_set(&s, big, KV_MAX_KEY + 1, big, 1), -EINVAL);
    assert_int_equal(kv_store_set(&s, big, KV_MAX_KEY, big, KV_MAX_VALUE + 1), -EINVAL);
    assert_int_equal(kv_store_set(&s, big, KV_MAX_KEY, big, KV_MAX_VALUE), 0);
    assert_int_equal(kv_store_set(&s, (const uint8_t *)"a", 1, (const uint8_t *)"1", 1), 0);
    assert_int_equal(kv_store_set(&s, (const uint8_t *)"b", 1, (const uint8_t *)"2", 1), 0);
    assert_int_equal(kv_store_set(&s, (const uint8_t *)"c", 1, (const uint8_t *)"3", 1), -ENOSPC);
    assert_int_equal(kv_store_set(&s, (const uint8_t *)"a", 1, (const uint8_t *)"11", 2), 0);
    const uint8_t *v;
    size_t vl;
    assert_true(kv_store_get(&s, (const uint8_t *)"a", 1, &v, &vl));
    assert_int_equal(vl, 2);
    assert_memory_equal(v, "11", 2);
    assert_int_equal(s.count, 3);
    assert_true(kv_store_del(&s, (const uint8_t *)"a", 1));
    assert_false(kv_store_del(&s, (const uint8_t *)"a", 1));
    assert_int_equal(kv_store_set(&s, (const uint8_t *)"c", 1, (const uint8_t *)"3", 1), 0);
    kv_store_fini(&s);
}

/* Random SET/GET/DEL on a small key space against a plain array: a table of 64 slots for 32
 * keys has long probe runs, so deletions shift entries back often. */
static void test_store_against_model(void **state)
{
    (void)state;
    enum { KEYS = 40, MAX = 32 };
    struct kv_store s;
    assert_int_equal(kv_store_init(&s, MAX), 0);
    int model[KEYS]; /* value, or -1 */
    for (int i = 0; i < KEYS; i++)
        model[i] = -1;
    unsigned held = 0;
    uint32_t x = 12345;
    for (int step = 0; step < 20000; step++) {
        x = x * 1103515245u + 12345u;
        int k = (int)((x >> 8) % KEYS), op = (int)((x >> 20) % 3), val = (int)(x >> 24);
        char key[8], vbuf[8];
        size_t kl = (size_t)snprintf(key, sizeof(key), "k%d", k);
        size_t vl = (size_t)snprintf(vbuf, sizeof(vbuf), "%d", val);
        if (op == 0) {
            int err = kv_store_set(&s, (uint8_t *)key, kl, (uint8_t *)vbuf, vl);
            if (model[k] < 0 && held == MAX) {
                assert_int_equal(err, -ENOSPC);
            } else {
                assert_int_equal(err, 0);
                held += model[k] < 0;
                model[k] = val;
            }
        } else if (op == 1) {
            assert_int_equal(kv_store_del(&s, (uint8_t *)key, kl), model[k] >= 0);
            held -= model[k] >= 0;
            model[k] = -1;
        }
        for (int j = 0; j < KEYS; j++) { /* every key agrees after every step */
            const uint8_t *v;
            size_t n;
            char want[8];
            size_t jl = (size_t)snprintf(key, sizeof(key), "k%d", j);
            bool found = kv_store_get(&s, (uint8_t *)key, jl, &v, &n);
            assert_int_equal(found, model[j] >= 0);
            if (found) {
                assert_int_equal(n, (size_t)snprintf(want, sizeof(want), "%d", model[j]));
                assert_memory_equal(v, want, n);
            }
        }
        assert_int_equal(s.count, held);
    }
    kv_store_fini(&s);
}

static void test_frame(void **state)
{
    (void)state;
    size_t content;
    int crlf;
    assert_int_equal(kv_line_frame((const uint8_t *)"GET a", 5, &content, &crlf),
                     KV_LINE_NEED_MORE);
    assert_int_equal(kv_line_frame((const uint8_t *)"GET a\nX", 7, &content, &crlf), 6);
    assert_int_equal(content, 5);
    assert_int_equal(crlf, 0);
    assert_int_equal(kv_line_frame((const uint8_t *)"GET a\r\n", 7, &content, &crlf), 7);
    assert_int_equal(content, 5);
    assert_int_equal(crlf, 1);
    assert_int_equal(kv_line_frame((const uint8_t *)"\n", 1, &content, &crlf), 1);
    assert_int_equal(content, 0);
    uint8_t line[KV_LINE_SCAN + 10];
    memset(line, 'x', sizeof(line));
    assert_int_equal(kv_line_frame(line, KV_LINE_SCAN - 1, &content, &crlf), KV_LINE_NEED_MORE);
    assert_int_equal(kv_line_frame(line, KV_LINE_SCAN, &content, &crlf), KV_LINE_TOO_LONG);
    line[KV_MAX_LINE] = '\n'; /* exactly 512 bytes: good */
    assert_int_equal(kv_line_frame(line, sizeof(line), &content, &crlf), KV_MAX_LINE + 1);
    line[KV_MAX_LINE] = '\r';
    line[KV_MAX_LINE + 1] = '\n'; /* 512 + CRLF: good */
    assert_int_equal(kv_line_frame(line, sizeof(line), &content, &crlf), KV_MAX_LINE + 2);
    line[KV_MAX_LINE] = 'x'; /* 513 bytes then LF: too long */
    assert_int_equal(kv_line_frame(line, sizeof(line), &content, &crlf), KV_LINE_TOO_LONG);
}

static void expect(struct kv_store *s, const char *line, const char *answer)
{
    struct kv_line_stats st = {0};
    uint8_t out[KV_MAX_ANSWER];
    size_t n = kv_line_exec(s, (const uint8_t *)line, strlen(line), out, &st);
    if (n != strlen(answer) || memcmp(out, answer, n) != 0)
        fail_msg("'%s' answered '%.*s', expected '%s'", line, (int)n, (const char *)out, answer);
}

static void test_commands(void **state)
{
    (void)state;
    struct kv_store s;
    assert_int_equal(kv_store_init(&s, 2), 0);
    expect(&s, "", "ERR empty line");
    expect(&s, "   ", "ERR empty line");
    expect(&s, "PUT a 1", "ERR unknown command");
    expect(&s, "GETX a", "ERR unknown command");
    expect(&s, "GET", "ERR missing argument");
    expect(&s, "SET a", "ERR missing argument");
    expect(&s, "SET a ", "ERR missing argument");
    expect(&s, "DEL", "ERR missing argument");
    expect(&s, "GET a b", "ERR too many arguments");
    expect(&s, "DEL a b", "ERR too many arguments");
    expect(&s, "GET a", "NOTFOUND");
    expect(&s, "SET a hello  world ", "OK");
    expect(&s, "get a", "hello  world ");
    expect(&s, "  Get   a  ", "hello  world ");
    expect(&s, "SET b 2", "OK");
    expect(&s, "SET c 3", "ERR store full");
    expect(&s, "SET b 22", "OK");
    expect(&s, "DEL a", "OK");
    expect(&s, "del a", "NOTFOUND");
    expect(&s, "SET c 3", "OK");
    char line[KV_MAX_LINE + 1], key[KV_MAX_KEY + 2], val[KV_MAX_VALUE + 2];
    memset(key, 'k', sizeof(key));
    key[KV_MAX_KEY + 1] = 0;
    snprintf(line, sizeof(line), "GET %s", key);
    expect(&s, line, "ERR key too long");
    memset(val, 'v', sizeof(val));
    val[KV_MAX_VALUE + 1] = 0;
    snprintf(line, sizeof(line), "SET c %s", val);
    expect(&s, line, "ERR value too long");
    val[KV_MAX_VALUE] = 0;
    snprintf(line, sizeof(line), "SET c %s", val);
    expect(&s, line, "OK");
    expect(&s, "GET c", val);
    kv_store_fini(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_store_limits),
        cmocka_unit_test(test_store_against_model),
        cmocka_unit_test(test_frame),
        cmocka_unit_test(test_commands),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
