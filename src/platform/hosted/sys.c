/*
 * The small services of the platform interface for a Linux process: clocks, console, random
 * bytes, exit and the (absent) heap region.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "hosted.h"

static uint64_t sys_clock_ns(clockid_t clock)
{
    struct timespec ts;
    clock_gettime(clock, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

uint64_t plat_clock_monotonic(void)
{
    return sys_clock_ns(CLOCK_MONOTONIC);
}

uint64_t plat_clock_wall(void)
{
    return sys_clock_ns(CLOCK_REALTIME);
}

/* Straight write(2) on stderr, no stdio buffer: a message is out before a crash. */
void plat_console_write(const char *s, size_t n)
{
    while (n > 0) {
        ssize_t w = write(STDERR_FILENO, s, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return;
        s += w;
        n -= (size_t)w;
    }
}

void plat_random(void *buf, size_t n)
{
    uint8_t *p = buf;
    while (n > 0) {
        ssize_t r = getrandom(p, n, 0);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            static const char msg[] = "unic: hosted: getrandom failed\n";
            plat_console_write(msg, sizeof(msg) - 1);
            abort();
        }
        p += r;
        n -= (size_t)r;
    }
}

_Noreturn void plat_exit(int status)
{
    capture_close();
    nic_close_all();
    exit(status);
}

void *plat_heap(size_t *len)
{
    long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
    uint64_t mem = pages > 0 && page > 0 ? (uint64_t)pages * (uint64_t)page : 0;
    struct rlimit rl;
    if (getrlimit(RLIMIT_AS, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < mem)
        mem = rl.rlim_cur;
    *len = mem > SIZE_MAX ? SIZE_MAX : (size_t)mem;
    return NULL;
}

int hosted_fail(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return -1;
}

void hosted_warn(const char *fmt, ...)
{
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    int n = snprintf(line, sizeof(line), "unic: hosted: ");
    vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
    va_end(ap);
    size_t len = strlen(line);
    line[len++] = '\n';
    plat_console_write(line, len);
}
