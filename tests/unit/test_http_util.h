/*
 * Shared by the HTTP example's tests (test_http_session.c, test_http_server.c): the example's
 * sources compiled in (tests link only the OS), and helpers to check answers.
 */
#ifndef TEST_HTTP_UTIL_H
#define TEST_HTTP_UTIL_H

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "../../examples/http/http_content.c"
#include "../../examples/http/http_server.c"
#include "../../examples/http/http_session.c"

/* memmem is not C11. */
static inline const uint8_t *find(const uint8_t *hay, size_t len, const char *needle)
{
    size_t n = strlen(needle);
    for (size_t i = 0; i + n <= len; i++)
        if (!memcmp(hay + i, needle, n))
            return hay + i;
    return NULL;
}

/* The expected answer to GET / (keep-alive): head + the page. */
static inline size_t page_response(char *buf, size_t cap, const char *extra_fields, bool head_only)
{
    int n = snprintf(buf, cap,
                     "HTTP/1.1 200 OK\r\nServer: unic\r\nContent-Type: text/html\r\n"
                     "Content-Length: 136\r\n%s\r\n",
                     extra_fields);
    size_t len = (size_t)n;
    if (!head_only) {
        memcpy(buf + len, http_page, HTTP_PAGE_LEN);
        len += HTTP_PAGE_LEN;
    }
    buf[len] = 0;
    return len;
}

#endif
