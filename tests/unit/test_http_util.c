/* See test_http_util.h. */
#include "test_http_util.h"

const uint8_t *find(const uint8_t *hay, size_t len, const char *needle)
{
    size_t n = strlen(needle);
    for (size_t i = 0; i + n <= len; i++)
        if (!memcmp(hay + i, needle, n))
            return hay + i;
    return NULL;
}

size_t page_response(char *buf, size_t cap, const char *extra_fields, bool head_only)
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
