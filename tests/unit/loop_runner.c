/* See loop_runner.h. */
#include "loop_runner.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fake_platform.h"

int loop_run_captured(struct unic_config *cfg, char *console, size_t cap)
{
    fake_console_quiet(1);
    fake_console_capture(console, cap);
    int status = unic_main(cfg);
    fake_console_capture(NULL, 0);
    fake_console_quiet(0);
    fake_net_disable();
    return status;
}

long long loop_console_stat(const char *console, const char *group, const char *name)
{
    char head[64], key[64];
    snprintf(head, sizeof(head), "stats %s:", group);
    const char *line = strstr(console, head);
    assert_non_null(line);
    const char *end = strchr(line, '\n');
    snprintf(key, sizeof(key), " %s=", name);
    const char *at = strstr(line, key);
    if (!at || (end && at > end))
        return 0;
    return strtoll(at + strlen(key), NULL, 10);
}
