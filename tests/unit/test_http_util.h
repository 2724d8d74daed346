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

#include "http_content.h"
#include "http_server.h"
#include "http_session.h"

/* memmem is not C11. */
const uint8_t *find(const uint8_t *hay, size_t len, const char *needle);

/* The expected answer to GET / (keep-alive): head + the page. */
size_t page_response(char *buf, size_t cap, const char *extra_fields, bool head_only);

#endif
