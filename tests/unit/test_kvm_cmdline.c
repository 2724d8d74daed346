/* The kvm platform's kernel command line split (src/platform/kvm/cmdline.c, compiled here for
 * the host): only whole, unquoted platform words leave the line; quoted words keep their quotes
 * and blanks for config_split, which then gives the service exactly what was written. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "kvm.h"
#include "unic/config.h"

static bool is_platform_word(const char *w, size_t n)
{
    return (n > 11 && !memcmp(w, "unic.crash=", 11)) ||
           (n > 19 && !memcmp(w, "virtio_mmio.device=", 19));
}

static void split(const char *raw, char *service, char *words)
{
    cmdline_split_platform(raw, is_platform_word, service, words);
}

static void test_platform_words_leave_the_line(void **state)
{
    (void)state;
    char service[256], words[256];
    split("  hello  unic.crash=nx --ip 10.0.0.2/24\tvirtio_mmio.device=512@0xfeb00e00:12 ", service,
          words);
    assert_string_equal(service, "hello --ip 10.0.0.2/24");
    assert_string_equal(words, "unic.crash=nx virtio_mmio.device=512@0xfeb00e00:12");
    split("", service, words);
    assert_string_equal(service, "");
    assert_string_equal(words, "");
}

static void test_quoted_words_stay_whole(void **state)
{
    (void)state;
    char service[256], words[256], *argv[8];
    split("hello -- 'a   unic.crash=nx   b' \"unic.crash=nx\" x'unic.crash=wx' unic.crash=nx'y z'",
          service, words);
    assert_string_equal(words, "");
    assert_int_equal(config_split(service, argv, 8), 6);
    assert_string_equal(argv[2], "a   unic.crash=nx   b");
    assert_string_equal(argv[3], "unic.crash=nx");
    assert_string_equal(argv[4], "xunic.crash=wx");
    assert_string_equal(argv[5], "unic.crash=nxy z");
}

static void test_words_are_found_as_config_split_finds_them(void **state)
{
    (void)state;
    char service[256], words[256], *argv[8];
    /* An unterminated quote runs to the end, blanks and all, as in config_split. */
    split("hello \"a\"'b c' 'unic.crash=nx unic.crash=wx", service, words);
    assert_string_equal(words, "");
    assert_int_equal(config_split(service, argv, 8), 3);
    assert_string_equal(argv[1], "ab c");
    assert_string_equal(argv[2], "unic.crash=nx unic.crash=wx");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_platform_words_leave_the_line),
        cmocka_unit_test(test_quoted_words_stay_whole),
        cmocka_unit_test(test_words_are_found_as_config_split_finds_them),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
