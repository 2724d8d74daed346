/*
 * A deterministic platform for unit tests and fuzz harnesses: a virtual clock the test sets
 * (fake_clock_set), reproducible "random" bytes, console on stderr, no NICs.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fake_platform.h"
#include "unic/platform.h"

static uint64_t fake_now = 1000000000ull; /* 1 s: keeps "time 0" special cases out of tests */
static uint64_t fake_rng = 0x853c49e6748fea9bull;
static int fake_quiet_console;

void fake_clock_set(uint64_t now)
{
    if (now > fake_now)
        fake_now = now;
}

void fake_random_seed(uint64_t seed)
{
    fake_rng = seed ? seed : 1;
}

void fake_console_quiet(int quiet)
{
    fake_quiet_console = quiet;
}

uint64_t plat_clock_monotonic(void)
{
    return fake_now;
}

uint64_t plat_clock_wall(void)
{
    return 1700000000ull * 1000000000ull + fake_now;
}

void plat_console_write(const char *s, size_t n)
{
    if (!fake_quiet_console)
        fwrite(s, 1, n, stderr);
}

void plat_random(void *buf, size_t n)
{
    uint8_t *p = buf;
    for (size_t i = 0; i < n; i++) {
        fake_rng ^= fake_rng << 13;
        fake_rng ^= fake_rng >> 7;
        fake_rng ^= fake_rng << 17;
        p[i] = (uint8_t)(fake_rng >> 24);
    }
}

const char *plat_cmdline(void)
{
    return "test";
}

_Noreturn void plat_exit(int status)
{
    fflush(stderr);
    exit(status);
}

uint64_t plat_wait(uint64_t deadline_ns)
{
    if (deadline_ns != UINT64_MAX)
        fake_clock_set(deadline_ns);
    return 0;
}

unsigned plat_net_count(void)
{
    return 0;
}

int plat_net_info(unsigned nic, struct plat_net_info *out)
{
    (void)nic;
    (void)out;
    return -19; /* -ENODEV */
}

int plat_net_send(unsigned nic, const void *frame, size_t len)
{
    (void)nic;
    (void)frame;
    (void)len;
    return -19;
}

int plat_net_recv(unsigned nic, void *buf, size_t cap, size_t *len)
{
    (void)nic;
    (void)buf;
    (void)cap;
    (void)len;
    return -11; /* -EAGAIN */
}

void *plat_heap(size_t *len)
{
    *len = 0;
    return NULL;
}
