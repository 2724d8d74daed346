/* The kvm libc subset: time() and timespec_get() read the platform's wall clock (the RTC or
 * kvmclock at boot plus the monotonic time since, clock.c). */
#include <time.h>

#include "unic/platform.h"

#define NS_PER_SEC 1000000000ull

time_t time(time_t *t)
{
    time_t now = (time_t)(plat_clock_wall() / NS_PER_SEC);
    if (t)
        *t = now;
    return now;
}

int timespec_get(struct timespec *ts, int base)
{
    if (base != TIME_UTC)
        return 0;
    uint64_t ns = plat_clock_wall();
    ts->tv_sec = (time_t)(ns / NS_PER_SEC);
    ts->tv_nsec = (long)(ns % NS_PER_SEC);
    return base;
}
