/* Logging to the platform console. Messages are formatted into a bounded stack buffer and
 * written in one plat_console_write() so lines from the loop never interleave. */
#include "unic/log.h"

#include <stdio.h>

#include "unic/platform.h"

static enum log_level current_level = UNIC_LOG_INFO;
static const char *const level_prefix[] = {"error: ", "warn: ", "", "debug: "};

static enum log_level clamp_level(enum log_level level)
{
    if ((int)level < (int)UNIC_LOG_ERROR)
        return UNIC_LOG_ERROR;
    return level > UNIC_LOG_DEBUG ? UNIC_LOG_DEBUG : level;
}

void log_set_level(enum log_level level)
{
    current_level = clamp_level(level);
}

enum log_level log_get_level(void)
{
    return current_level;
}

static void write_line(const char *prefix, const char *fmt, va_list ap)
{
    char line[UNIC_LOG_LINE_MAX];
    int n = snprintf(line, sizeof(line), "%s", prefix);
    if (n < 0)
        return;
    int m = vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
    if (m < 0)
        return;
    size_t len = (size_t)n + (size_t)m;
    if (len > sizeof(line) - 2)
        len = sizeof(line) - 2;
    if (len == 0 || line[len - 1] != '\n')
        line[len++] = '\n';
    plat_console_write(line, len);
}

void unic_vlog(enum log_level level, const char *fmt, va_list ap)
{
    level = clamp_level(level);
    if (level > current_level)
        return;
    write_line(level_prefix[level], fmt, ap);
}

void unic_log(enum log_level level, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    unic_vlog(level, fmt, ap);
    va_end(ap);
}

void unic_printf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    write_line("", fmt, ap);
    va_end(ap);
}

_Noreturn void unic_panic(const char *file, int line, const char *fmt, ...)
{
    char where[128];
    snprintf(where, sizeof(where), "panic at %s:%d: ", file, line);
    va_list ap;
    va_start(ap, fmt);
    write_line(where, fmt, ap);
    va_end(ap);
    plat_exit(70); /* EX_SOFTWARE */
}
